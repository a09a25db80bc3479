package io.tensorfs.store.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import io.tensorfs.store.ChunkStore;
import java.nio.file.FileStore;

/**
 * The metrics of one store, tagged with its id: bytes read and written, the latency of its blocking
 * file work, failures by code (checksum failures among them), and its free and total space. Thread-safe.
 */
public final class StoreMetrics {
  private final String storeId;
  private final Counter readBytes;
  private final Counter writtenBytes;
  private final Histogram ioLatency;
  private final Counter checksumFailures;

  public StoreMetrics(String storeId) {
    this.storeId = storeId;
    Tags tags = Tags.of("store", storeId);
    this.readBytes = Metrics.counter("tensorfs.store.read", "Bytes read from the store's replica files", Unit.BYTES, tags);
    this.writtenBytes = Metrics.counter("tensorfs.store.written", "Bytes written to the store's replica files", Unit.BYTES, tags);
    this.ioLatency = Metrics.histogram("tensorfs.store.io-latency", "Time of the store's blocking file operations, queueing excluded", Unit.NANOSECONDS, tags);
    this.checksumFailures = Metrics.counter("tensorfs.store.checksum-failures", "Reads that found a replica's checksum wrong", Unit.NONE, tags);
  }

  /** Free space (above the reserve) and total space of {@code store}'s file system, read at every tick. */
  public static void registerSpace(ChunkStore store, FileStore fileStore) {
    Tags tags = Tags.of("store", store.id());
    Metrics.gauge("tensorfs.store.free", "Free space of the store above its reserve", Unit.BYTES, tags, store, ChunkStore::usableBytes);
    Metrics.gauge("tensorfs.store.capacity", "Total space of the store's file system", Unit.BYTES, tags, fileStore, StoreMetrics::totalSpace);
  }

  public void read(long bytes) {
    readBytes.increment(bytes);
  }

  public void written(long bytes) {
    writtenBytes.increment(bytes);
  }

  /** One piece of blocking file work ended; {@code failure} is null when it succeeded. */
  void ioDone(long startNanos, ErrorCode failure) {
    ioLatency.recordSince(startNanos);
    if (failure != null) {
      Metrics.counter("tensorfs.store.io-errors", "Blocking file operations of the store that failed, by error code", Unit.NONE, Tags.of("store", storeId, "code", failure.name()))
          .increment();
      if (failure == ErrorCode.CHECKSUM_MISMATCH) checksumFailures.increment();
    }
  }

  private static long totalSpace(FileStore fileStore) {
    try {
      return fileStore.getTotalSpace();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
