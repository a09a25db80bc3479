package io.tensorfs.store;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;

/**
 * The settings of this node's stores, read once from {@code tensorfs.store} and validated. Immutable.
 *
 * @param directories          one store per directory, ids {@code d0, d1, ...} in this order
 * @param blockBytes           bytes covered by one CRC32C: a power of two, at least 4 KiB
 * @param readSegmentBytes     size of the segments {@link ChunkStore#source} emits
 * @param writeBufferBytes     aligned buffer a writer fills before each write: a multiple of blockBytes
 * @param directIo             whether to bypass the page cache
 * @param reservedBytes        space kept free on each device
 * @param collectRetry         how often a collection checks again whether a version's readers are gone
 * @param reconcileParallelism file versions checked against the metadata at once
 */
public record StoreSettings(
    List<Path> directories,
    int blockBytes,
    int readSegmentBytes,
    int writeBufferBytes,
    DirectIo directIo,
    long reservedBytes,
    Duration collectRetry,
    int reconcileParallelism) {

  /** The config section these settings are read from. */
  public static final String SECTION = "tensorfs.store";
  /** The dispatcher that runs every blocking file operation of the stores. */
  public static final String IO_DISPATCHER = SECTION + ".io-dispatcher";

  private static final int MIN_BLOCK_BYTES = 4096;
  private static final int MAX_BUFFER_BYTES = 256 << 20;

  /** {@code direct-io}: {@code on} fails at start where the file system refuses O_DIRECT. */
  public enum DirectIo { ON, OFF, AUTO }

  public StoreSettings {
    directories = List.copyOf(directories);
    require(!directories.isEmpty(), "directories must name at least one directory");
    require(new HashSet<>(directories).size() == directories.size(), "directories must be distinct");
    require(blockBytes >= MIN_BLOCK_BYTES && Integer.bitCount(blockBytes) == 1,
        "block-bytes must be a power of two of at least 4 KiB, not " + blockBytes);
    require(readSegmentBytes > 0 && readSegmentBytes <= MAX_BUFFER_BYTES,
        "read-segment-bytes must be between 1 byte and 256 MiB, not " + readSegmentBytes);
    require(writeBufferBytes > 0 && writeBufferBytes % blockBytes == 0 && writeBufferBytes <= MAX_BUFFER_BYTES,
        "write-buffer-bytes must be a multiple of block-bytes of at most 256 MiB, not " + writeBufferBytes);
    require(directIo != null, "direct-io must be on, off or auto");
    require(reservedBytes >= 0, "reserved-bytes must not be negative");
    require(collectRetry != null && !collectRetry.isNegative() && !collectRetry.isZero(),
        "collect-retry must be positive");
    require(reconcileParallelism >= 1, "reconcile-parallelism must be at least 1");
  }

  /** Reads and validates {@code tensorfs.store} of {@code config}. Throws IllegalArgumentException. */
  public static StoreSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    return new StoreSettings(
        c.getStringList("directories").stream().map(Path::of).toList(),
        intBytes(c, "block-bytes"),
        intBytes(c, "read-segment-bytes"),
        intBytes(c, "write-buffer-bytes"),
        parseDirectIo(c.getString("direct-io")),
        c.getBytes("reserved-bytes"),
        c.getDuration("collect-retry"),
        c.getInt("reconcile-parallelism"));
  }

  /** The defaults of {@code reference.conf} over the given directories: a start for tests. */
  public static StoreSettings defaults(List<Path> directories) {
    return new StoreSettings(directories, 64 << 10, 1 << 20, 4 << 20, DirectIo.AUTO, 64L << 20,
        Duration.ofSeconds(1), 16);
  }

  public StoreSettings withBlockBytes(int bytes) {
    return new StoreSettings(directories, bytes, readSegmentBytes, writeBufferBytes, directIo, reservedBytes,
        collectRetry, reconcileParallelism);
  }

  public StoreSettings withReadSegmentBytes(int bytes) {
    return new StoreSettings(directories, blockBytes, bytes, writeBufferBytes, directIo, reservedBytes,
        collectRetry, reconcileParallelism);
  }

  public StoreSettings withWriteBufferBytes(int bytes) {
    return new StoreSettings(directories, blockBytes, readSegmentBytes, bytes, directIo, reservedBytes,
        collectRetry, reconcileParallelism);
  }

  public StoreSettings withDirectIo(DirectIo mode) {
    return new StoreSettings(directories, blockBytes, readSegmentBytes, writeBufferBytes, mode, reservedBytes,
        collectRetry, reconcileParallelism);
  }

  public StoreSettings withReservedBytes(long bytes) {
    return new StoreSettings(directories, blockBytes, readSegmentBytes, writeBufferBytes, directIo, bytes,
        collectRetry, reconcileParallelism);
  }

  public StoreSettings withCollectRetry(Duration retry) {
    return new StoreSettings(directories, blockBytes, readSegmentBytes, writeBufferBytes, directIo, reservedBytes,
        retry, reconcileParallelism);
  }

  /** The id of the store over {@code directories.get(index)}: {@code d<index>}. */
  public static String storeId(int index) {
    return "d" + index;
  }

  private static DirectIo parseDirectIo(String text) {
    return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "on", "true", "yes" -> DirectIo.ON;
      case "off", "false", "no" -> DirectIo.OFF;
      case "auto" -> DirectIo.AUTO;
      default -> throw new IllegalArgumentException(
          SECTION + ".direct-io must be on, off or auto, not '" + text + "'");
    };
  }

  private static int intBytes(Config c, String key) {
    long bytes = c.getBytes(key);
    require(bytes > 0 && bytes <= Integer.MAX_VALUE, key + " out of range: " + bytes);
    return (int) bytes;
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(SECTION + ": " + message);
  }
}
