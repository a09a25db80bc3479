package io.tensorfs.sharding;

import io.tensorfs.core.TfsPath;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Where the names of every directory are kept: one sorted partition per directory, names in Java
 * {@link String} order. The directory's entity is its only writer (it serializes changes, so a name's
 * type stays exact); anyone may read. Implementations are thread-safe and never block the caller.
 * The node's is Cassandra's (deploy); {@link InMemoryDirectoryStore} serves tests.
 */
public interface DirectoryStore {

  /** One name in a directory. */
  record Entry(String name, DirEntry.Type type) {}

  /** A name to write ({@code type} present) or remove ({@code type} null). */
  record Change(String name, DirEntry.Type type) {
    public static Change put(String name, DirEntry.Type type) {
      return new Change(name, type);
    }

    public static Change remove(String name) {
      return new Change(name, null);
    }

    public boolean removes() {
      return type == null;
    }
  }

  /** The types of those of {@code names} that are in {@code dir} (one read). */
  CompletionStage<Map<String, DirEntry.Type>> lookup(TfsPath dir, Collection<String> names);

  /** Applies the changes to {@code dir} at once (one write, atomic within the directory). */
  CompletionStage<Void> apply(TfsPath dir, List<Change> changes);

  /**
   * Up to {@code limit} names of {@code dir} after {@code afterName} (null: from the first), in order.
   * Names added or removed meanwhile may or may not be seen; a name there for the whole scan is.
   */
  CompletionStage<List<Entry>> page(TfsPath dir, String afterName, int limit);
}
