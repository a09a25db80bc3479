package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One listing of a bucket's keys in S3's order (bytewise by full key), walking its directories: a key
 * {@code a/b} is the file {@code b} in directory {@code a}. Within a directory the entries come sorted by
 * name, but S3 orders a directory {@code a} as {@code a/}, after {@code a-b} and before {@code a0}: a
 * directory met in the listing is held back until the entries after it pass its name + '/'. With the
 * delimiter '/', a directory under the prefix is one common prefix and is not walked. Other delimiters
 * are applied to the walked keys.
 *
 * <p>Collects at most {@code maxKeys + 1} items (the one beyond says the listing is truncated). One walk per
 * request; its stages run one after another.
 */
final class KeyWalk {
  /** A key (a file, its directory entry) or a common prefix. */
  sealed interface Item permits Key, Prefix {
    String name();
  }

  record Key(String name, FileVersion version) implements Item {}

  record Prefix(String name) implements Item {}

  private static final int PAGE = 1000;

  private final NodeOperator files;
  private final String prefix;
  private final String delimiter;
  private final String startAfter;
  private final int want;
  private final List<Item> items = new ArrayList<>();
  private String lastPrefix;

  /**
   * @param prefix     "" for none
   * @param delimiter  null for none
   * @param startAfter null for none: only keys (and prefixes) after it
   */
  KeyWalk(NodeOperator files, String prefix, String delimiter, String startAfter, int maxKeys) {
    this.files = files;
    this.prefix = prefix;
    this.delimiter = delimiter == null || delimiter.isEmpty() ? null : delimiter;
    this.startAfter = startAfter == null || startAfter.isEmpty() ? null : startAfter;
    this.want = maxKeys + 1;
  }

  /** Walks the bucket at {@code bucketDir}; completes with up to maxKeys + 1 items in order. */
  CompletionStage<List<Item>> run(TfsPath bucketDir) {
    if (want <= 1) return CompletableFuture.completedFuture(items);
    // Keys under "a/b/" are all in directory a/b: a prefix naming directories starts the walk there.
    int slash = prefix.lastIndexOf('/');
    if (slash > 0) {
      String base = prefix.substring(0, slash + 1);
      TfsPath start;
      try {
        start = Namespace.object(bucketDir, base.substring(0, base.length() - 1));
      } catch (S3Exception e) {
        return CompletableFuture.completedFuture(items); // no key can start with it
      }
      return walkPages(start, base, null, new TreeMap<>(KeyOrder.BYTEWISE)).thenApply(x -> items);
    }
    return walk(bucketDir, "").thenApply(x -> items);
  }

  private boolean full() {
    return items.size() >= want;
  }

  /** Walks directory {@code dir}, whose keys start with {@code keyPrefix}. */
  private CompletionStage<Void> walk(TfsPath dir, String keyPrefix) {
    return walkPages(dir, keyPrefix, null, new TreeMap<>(KeyOrder.BYTEWISE));
  }

  private CompletionStage<Void> walkPages(TfsPath dir, String keyPrefix, String after, TreeMap<String, TfsPath> held) {
    return files.listVersions(dir, after, PAGE).handle((page, failure) -> {
      if (failure != null) {
        ErrorCode code = TfsException.codeOf(Failures.unwrap(failure));
        if (code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT) return (Metadata.VersionPage) null;
        throw new java.util.concurrent.CompletionException(Failures.unwrap(failure));
      }
      return page;
    }).thenCompose(page -> {
      if (page == null) return flush(held, null, keyPrefix);
      Iterator<Metadata.Listed> entries = page.entries().iterator();
      return each(dir, keyPrefix, entries, held).thenCompose(x -> {
        if (full()) return CompletableFuture.completedFuture(null);
        if (page.lastName().isPresent()) return walkPages(dir, keyPrefix, page.lastName().get(), held);
        return flush(held, null, keyPrefix);
      });
    });
  }

  private CompletionStage<Void> each(TfsPath dir, String keyPrefix, Iterator<Metadata.Listed> entries,
      TreeMap<String, TfsPath> held) {
    while (!full() && entries.hasNext()) {
      Metadata.Listed e = entries.next();
      // At an admin key's bucket root (a tenant's directory) sit that tenant's multipart uploads: never keys.
      if (keyPrefix.isEmpty() && e.name().equals(Namespace.UPLOADS)) continue;
      boolean isDir = e.type() == DirEntry.Type.DIR;
      String key = keyPrefix + e.name() + (isDir ? "/" : "");
      TfsPath child = dir.child(e.name());
      FileVersion version = e.version().orElse(null);
      CompletionStage<Void> before = flush(held, key, keyPrefix);
      if (before instanceof CompletableFuture<Void> f && f.isDone() && !f.isCompletedExceptionally()) {
        take(held, isDir, key, child, version);
        continue;
      }
      // A held directory is being walked: go on with this entry once it is done (a fresh stack then).
      return before.thenCompose(x -> {
        take(held, isDir, key, child, version);
        return each(dir, keyPrefix, entries, held);
      });
    }
    return CompletableFuture.completedFuture(null);
  }

  private void take(TreeMap<String, TfsPath> held, boolean isDir, String key, TfsPath child, FileVersion version) {
    if (isDir) held.put(key, child);
    else offerKey(key, version);
  }

  /** Walks the held directories whose keys sort before {@code upTo} (all of them when null), in order. */
  private CompletionStage<Void> flush(TreeMap<String, TfsPath> held, String upTo, String keyPrefix) {
    if (full() || held.isEmpty()) return CompletableFuture.completedFuture(null);
    Map.Entry<String, TfsPath> first = held.firstEntry();
    if (upTo != null && KeyOrder.compare(first.getKey(), upTo) >= 0) return CompletableFuture.completedFuture(null);
    held.pollFirstEntry();
    return directory(first.getKey(), first.getValue()).thenCompose(x -> flush(held, upTo, keyPrefix));
  }

  /** A directory whose keys all start with {@code dirKey} (ending in '/'). */
  private CompletionStage<Void> directory(String dirKey, TfsPath dir) {
    if (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey)) return CompletableFuture.completedFuture(null);
    if (startAfter != null && KeyOrder.compare(dirKey, startAfter) < 0 && !startAfter.startsWith(dirKey)) {
      return CompletableFuture.completedFuture(null); // every key under it sorts before startAfter
    }
    if (delimiter != null && dirKey.startsWith(prefix)) {
      // A delimiter found within the directory's own key is the first in every key under it.
      int at = dirKey.indexOf(delimiter, prefix.length());
      if (at >= 0) {
        offerPrefix(dirKey.substring(0, at + delimiter.length()));
        return CompletableFuture.completedFuture(null);
      }
    }
    return walk(dir, dirKey);
  }

  private void offerKey(String key, FileVersion version) {
    if (version == null || !key.startsWith(prefix) || key.endsWith("/")) return;
    if (delimiter != null) {
      int at = key.indexOf(delimiter, prefix.length());
      if (at >= 0) {
        offerPrefix(key.substring(0, at + delimiter.length()));
        return;
      }
    }
    if (startAfter != null && KeyOrder.compare(key, startAfter) <= 0) return;
    items.add(new Key(key, version));
  }

  private void offerPrefix(String p) {
    if (p.equals(lastPrefix)) return;
    if (startAfter != null && KeyOrder.compare(p, startAfter) <= 0) return;
    lastPrefix = p;
    items.add(new Prefix(p));
  }
}
