package io.tensorfs.store.cache;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A real store with hooks for tests: counts reads and writers, holds reads or appends until a gate
 * opens, or fails every writer.
 */
final class TestStore implements ChunkStore {
  final ChunkStore real;
  final AtomicInteger readIntoCalls = new AtomicInteger();
  final AtomicInteger writersOpened = new AtomicInteger();
  volatile CompletableFuture<Void> readGate = CompletableFuture.completedFuture(null);
  volatile CompletableFuture<Void> appendGate = CompletableFuture.completedFuture(null);
  volatile boolean failWriters;

  TestStore(ChunkStore real) {
    this.real = real;
  }

  @Override
  public String id() {
    return real.id();
  }

  @Override
  public Path directory() {
    return real.directory();
  }

  @Override
  public int blockBytes() {
    return real.blockBytes();
  }

  @Override
  public ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable) {
    writersOpened.incrementAndGet();
    if (failWriters) throw new TfsException(ErrorCode.IO_ERROR, "test store refuses writers");
    ChunkWriter writer = real.openWriter(chunk, owner, durable);
    return new ChunkWriter() {
      @Override
      public CompletionStage<Done> append(ByteString bytes) {
        return appendGate.thenCompose(v -> writer.append(bytes));
      }

      @Override
      public CompletionStage<WrittenReplica> finish() {
        return writer.finish();
      }

      @Override
      public CompletionStage<Done> abort() {
        return writer.abort();
      }
    };
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    return real.read(chunk, offset, length);
  }

  @Override
  public CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target) {
    readIntoCalls.incrementAndGet();
    return readGate.thenCompose(v -> real.readInto(chunk, offset, target));
  }

  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    return real.source(chunk, offset, length);
  }

  @Override
  public CompletionStage<Done> deleteFile(FileId file) {
    return real.deleteFile(file);
  }

  @Override
  public CompletionStage<Map<FileId, StoredFile>> scan() {
    return real.scan();
  }

  @Override
  public long usableBytes() {
    return real.usableBytes();
  }
}
