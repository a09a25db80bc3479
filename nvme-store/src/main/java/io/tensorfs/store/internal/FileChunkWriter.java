package io.tensorfs.store.internal;

import com.sun.nio.file.ExtendedOpenOption;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32C;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * Writes one replica into {@code .part} files through an aligned buffer, and renames them to their
 * final names at {@link #finish()}, so a crash never leaves a replica that looks complete. Each call
 * runs on the store's executor after the previous one is done, even when a caller does not wait (an
 * abort sent while an append is in flight runs after it).
 */
public final class FileChunkWriter implements ChunkWriter {
  private enum State { OPEN, FINISHED, DISCARDED }

  private final ChunkId chunk;
  private final TfsPath owner;
  private final boolean durable;
  private final boolean claimed;
  private final StoreContext store;
  private final Path dataPart;
  private final Path crcPart;
  private final CRC32C crc = new CRC32C();
  private final String what;

  private State state;
  /** The last operation queued; the next one starts when it completes. Guarded by {@code this}. */
  private CompletionStage<?> last = CompletableFuture.completedFuture(null);
  private FileChannel data;
  private ByteBuffer buffer;
  private long writtenBytes;
  private int[] blockCrcs = new int[64];
  private int blocks;

  /** {@code claimed}: this writer holds the chunk in {@link StoreContext#writing()}; else CONFLICT. */
  public FileChunkWriter(ChunkId chunk, TfsPath owner, boolean durable, boolean claimed, StoreContext store) {
    this.chunk = chunk;
    this.owner = owner;
    this.durable = durable;
    this.claimed = claimed;
    this.store = store;
    this.dataPart = ChunkLayout.part(store.layout().data(chunk));
    this.crcPart = ChunkLayout.part(store.layout().crc(chunk));
    this.what = "writing chunk " + chunk + " on store " + store.storeId();
    // An unclaimed writer must never touch the .part files: they belong to the writer that holds the chunk.
    this.state = claimed ? State.OPEN : State.DISCARDED;
  }

  @Override
  public CompletionStage<Done> append(ByteString bytes) {
    return enqueue(() -> discardOnFailure(() -> {
      ensureOpen();
      if (store.usableBytes() < bytes.size()) {
        throw new TfsException(ErrorCode.NO_SPACE, what + ": fewer than " + bytes.size()
            + " bytes left above the reserve of " + store.reservedBytes());
      }
      store.io().metrics().written(bytes.size());
      ByteString rest = bytes;
      while (!rest.isEmpty()) {
        int copied = rest.copyToBuffer(buffer);
        rest = rest.drop(copied);
        if (!buffer.hasRemaining()) flushFullBuffer();
      }
      return Done.done();
    }));
  }

  @Override
  public CompletionStage<WrittenReplica> finish() {
    return enqueue(() -> discardOnFailure(() -> {
      ensureOpen();
      flushTail();
      if (durable) data.force(true);
      data.close();
      BlockTable table = new BlockTable(store.blockBytes(), writtenBytes, Arrays.copyOf(blockCrcs, blocks));
      writeTable(table);
      Files.move(dataPart, store.layout().data(chunk), StandardCopyOption.ATOMIC_MOVE);
      // The .crc is renamed last: a replica is complete exactly when its .crc exists.
      Files.move(crcPart, store.layout().crc(chunk), StandardCopyOption.ATOMIC_MOVE);
      if (durable) FileSync.syncDirectory(store.layout().fileDir(chunk.fileId()));
      state = State.FINISHED;
      releaseResources();
      return new WrittenReplica(chunk, store.storeId(), writtenBytes, table.wholeCrc());
    }));
  }

  /** After {@link #finish()} this does nothing: a finished replica is removed with its file version. */
  @Override
  public CompletionStage<Done> abort() {
    return enqueue(() -> {
      if (state == State.OPEN) discard();
      return Done.done();
    });
  }

  private synchronized <T> CompletionStage<T> enqueue(IoRunner.IoTask<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    last.whenComplete((previous, previousFailure) -> store.io().run(what, task).whenComplete((value, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(value);
      }
    }));
    last = result;
    return result;
  }

  private <T> T discardOnFailure(IoRunner.IoTask<T> step) throws Exception {
    try {
      return step.call();
    } catch (Throwable t) {
      if (state == State.OPEN) {
        try {
          discard();
        } catch (IOException | RuntimeException e) {
          t.addSuppressed(e);
        }
      }
      throw t;
    }
  }

  private void ensureOpen() throws IOException {
    if (!claimed) {
      throw new TfsException(ErrorCode.CONFLICT, what + ": another writer of this chunk is open");
    }
    if (state != State.OPEN) {
      throw new TfsException(ErrorCode.INTERNAL, what + ": the writer is " + state.name().toLowerCase());
    }
    if (data != null) return;
    Files.createDirectories(store.layout().fileDir(chunk.fileId()));
    writeOwnerIfAbsent();
    data = store.directIo()
        ? FileChannel.open(dataPart, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)
        : FileChannel.open(dataPart, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    buffer = store.writeBuffers().acquire();
  }

  /** The first writer of a file version records its owner; a rename makes it appear whole or not at all. */
  private void writeOwnerIfAbsent() throws IOException {
    Path ownerFile = store.layout().owner(chunk.fileId());
    if (Files.exists(ownerFile)) return;
    Path tmp = ownerFile.resolveSibling(ChunkLayout.OWNER + "." + UUID.randomUUID() + ChunkLayout.PART);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer text = ByteBuffer.wrap(owner.toString().getBytes(StandardCharsets.UTF_8));
      while (text.hasRemaining()) ch.write(text);
      if (durable) ch.force(true);
    }
    Files.move(tmp, ownerFile, StandardCopyOption.ATOMIC_MOVE);
    if (durable) {
      FileSync.syncDirectory(ownerFile.getParent());
      FileSync.syncDirectory(store.layout().chunksRoot());
    }
  }

  /** The buffer holds whole blocks: checksum them and write it at the end of the file. */
  private void flushFullBuffer() throws IOException {
    buffer.flip();
    int length = buffer.limit();
    recordBlockCrcs(length);
    writeFully(buffer, writtenBytes);
    writtenBytes += length;
    buffer.clear();
  }

  /** Writes what is left; with direct I/O the last block is padded to alignment, then cut off. */
  private void flushTail() throws IOException {
    int length = buffer.position();
    if (length == 0) return;
    buffer.flip();
    recordBlockCrcs(length);
    if (store.directIo()) {
      int padded = (int) StoreContext.alignUp(length, store.align());
      buffer.limit(padded);
      for (int i = length; i < padded; i++) buffer.put(i, (byte) 0);
    }
    writeFully(buffer, writtenBytes);
    writtenBytes += length;
    if (data.size() != writtenBytes) data.truncate(writtenBytes);
  }

  private void recordBlockCrcs(int length) {
    for (int at = 0; at < length; at += store.blockBytes()) {
      crc.reset();
      crc.update(buffer.duplicate().limit(Math.min(length, at + store.blockBytes())).position(at));
      if (blocks == blockCrcs.length) blockCrcs = Arrays.copyOf(blockCrcs, blocks * 2);
      blockCrcs[blocks++] = (int) crc.getValue();
    }
  }

  private void writeFully(ByteBuffer bytes, long position) throws IOException {
    long at = position;
    while (bytes.hasRemaining()) at += data.write(bytes, at);
  }

  private void writeTable(BlockTable table) throws IOException {
    try (FileChannel ch = FileChannel.open(crcPart, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer bytes = table.encode();
      while (bytes.hasRemaining()) ch.write(bytes);
      if (durable) ch.force(true);
    }
  }

  private void discard() throws IOException {
    state = State.DISCARDED;
    try {
      if (data != null) data.close();
      Files.deleteIfExists(dataPart);
      Files.deleteIfExists(crcPart);
    } finally {
      releaseResources();
    }
  }

  private void releaseResources() {
    store.writeBuffers().release(buffer);
    buffer = null;
    data = null;
    if (claimed) store.writing().remove(chunk);
  }
}
