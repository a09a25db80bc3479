package io.tensorfs.deploy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.DirectoryStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The node's {@link DirectoryStore}: the table {@code directory_entries} of the metadata keyspace
 * ({@link MetadataSchema#directoryTable}), one partition per directory. A name is stored as its UTF-16BE
 * bytes in a blob clustering column, whose byte order is Java's {@link String} order (Cassandra's text
 * sorts by UTF-8 bytes, which differs for characters above U+FFFF). Reads and writes go through the
 * metadata's read and write profiles (their consistency levels); a directory's changes are written as one
 * unlogged single-partition batch, which Cassandra applies atomically and in isolation.
 * Thread-safe; statements are prepared on first use, again after a failure (the table may not exist yet).
 */
public final class CassandraDirectoryStore implements DirectoryStore {
  private final CompletionStage<CqlSession> session;
  private final String table;
  private final AtomicReference<CompletableFuture<Prepared>> prepared = new AtomicReference<>();

  /**
   * @param session a session with the metadata's read and write profiles ({@link MetadataSettings#READ_PROFILE},
   *     {@link MetadataSettings#WRITE_PROFILE})
   * @param table the keyspace-qualified table name, made by {@link #createTable}
   */
  public CassandraDirectoryStore(CompletionStage<CqlSession> session, String table) {
    this.session = session;
    this.table = table;
  }

  /**
   * The table: one partition per directory, names sorted as Java strings (UTF-16BE blobs). gc_grace_seconds is
   * 3 hours, Cassandra's default hint window, not 10 days: a directory whose files come and go leaves a
   * tombstone per removed name, which listings scan until compaction drops them. A replica down for longer
   * than that must be repaired before it rejoins, or a removed name can come back; such a name is harmless
   * (a listing skips a file with no sealed version, and the file's next create or delete sets its entry right).
   */
  public static String createTable(String table) {
    return "CREATE TABLE IF NOT EXISTS " + table
        + " (dir text, name blob, type text, PRIMARY KEY (dir, name))"
        + " WITH CLUSTERING ORDER BY (name ASC) AND gc_grace_seconds = 10800";
  }

  private record Prepared(CqlSession session, PreparedStatement lookup, PreparedStatement insert,
      PreparedStatement delete, PreparedStatement first, PreparedStatement after) {}

  @Override
  public CompletionStage<Map<String, DirEntry.Type>> lookup(TfsPath dir, Collection<String> names) {
    List<ByteBuffer> keys = new ArrayList<>(names.size());
    for (String name : names) keys.add(encode(name));
    return statements().thenCompose(p -> p.session().executeAsync(p.lookup().bind(dir.toString(), keys)
            .setExecutionProfileName(MetadataSettings.READ_PROFILE)))
        .thenCompose(rows -> collect(rows, new ArrayList<>()))
        .thenApply(entries -> {
          Map<String, DirEntry.Type> found = new HashMap<>();
          for (Entry e : entries) found.put(e.name(), e.type());
          return found;
        });
  }

  @Override
  public CompletionStage<Void> apply(TfsPath dir, List<Change> changes) {
    return statements().thenCompose(p -> {
      BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED)
          .setExecutionProfileName(MetadataSettings.WRITE_PROFILE)
          .setIdempotence(true);
      for (Change c : changes) {
        batch.addStatement(c.removes()
            ? p.delete().bind(dir.toString(), encode(c.name()))
            : p.insert().bind(dir.toString(), encode(c.name()), c.type().name()));
      }
      return p.session().executeAsync(batch.build());
    }).thenApply(rows -> null);
  }

  @Override
  public CompletionStage<List<Entry>> page(TfsPath dir, String afterName, int limit) {
    return statements().thenCompose(p -> p.session().executeAsync((afterName == null
                ? p.first().bind(dir.toString(), limit)
                : p.after().bind(dir.toString(), encode(afterName), limit))
            .setPageSize(Math.max(limit, 1))
            .setExecutionProfileName(MetadataSettings.READ_PROFILE)))
        .thenCompose(rows -> collect(rows, new ArrayList<>(Math.min(limit, 1024))));
  }

  private static CompletionStage<List<Entry>> collect(AsyncResultSet rows, List<Entry> into) {
    for (Row row : rows.currentPage()) {
      into.add(new Entry(decode(row.getByteBuffer("name")), DirEntry.Type.valueOf(row.getString("type"))));
    }
    if (!rows.hasMorePages()) return CompletableFuture.completedFuture(into);
    return rows.fetchNextPage().thenCompose(next -> collect(next, into));
  }

  private CompletionStage<Prepared> statements() {
    CompletableFuture<Prepared> mine = new CompletableFuture<>();
    CompletableFuture<Prepared> current = prepared.compareAndExchange(null, mine);
    if (current != null) return current;
    session.thenCompose(s -> s.prepareAsync("SELECT name, type FROM " + table + " WHERE dir = ? AND name IN ?")
            .thenCombine(s.prepareAsync("INSERT INTO " + table + " (dir, name, type) VALUES (?, ?, ?)"), List::of)
            .thenCombine(s.prepareAsync("DELETE FROM " + table + " WHERE dir = ? AND name = ?"), (a, b) -> with(a, b))
            .thenCombine(s.prepareAsync("SELECT name, type FROM " + table + " WHERE dir = ? LIMIT ?"), (a, b) -> with(a, b))
            .thenCombine(s.prepareAsync("SELECT name, type FROM " + table + " WHERE dir = ? AND name > ? LIMIT ?"),
                (a, b) -> with(a, b))
            .thenApply(all -> new Prepared(s, all.get(0), all.get(1), all.get(2), all.get(3), all.get(4))))
        .whenComplete((p, failure) -> {
          if (failure == null) {
            mine.complete(p);
          } else {
            prepared.compareAndSet(mine, null); // the next call prepares again
            mine.completeExceptionally(failure);
          }
        });
    return mine;
  }

  private static List<PreparedStatement> with(List<PreparedStatement> so, PreparedStatement next) {
    List<PreparedStatement> more = new ArrayList<>(so);
    more.add(next);
    return more;
  }

  static ByteBuffer encode(String name) {
    return ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_16BE));
  }

  static String decode(ByteBuffer bytes) {
    byte[] raw = new byte[bytes.remaining()];
    bytes.duplicate().get(raw);
    return new String(raw, StandardCharsets.UTF_16BE);
  }
}
