package io.tensorfs.store.internal;

import com.sun.nio.file.ExtendedOpenOption;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.DiskTurn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/**
 * One finished replica opened for reading: its checksum table and its data file. Every read covers
 * whole blocks, verifies each against the table, and returns only the bytes asked for. Used by one
 * thread at a time (the store's executor runs one read of it at a time).
 */
public final class ReplicaReader implements AutoCloseable {
  private final ChunkId chunk;
  private final StoreContext store;
  private final BlockTable table;
  private final FileChannel data;
  private final boolean direct;
  private final CRC32C crc = new CRC32C();

  private ReplicaReader(ChunkId chunk, StoreContext store, BlockTable table, FileChannel data, boolean direct) {
    this.chunk = chunk;
    this.store = store;
    this.table = table;
    this.data = data;
    this.direct = direct;
  }

  /** Opens a finished replica; NOT_FOUND when absent, CHECKSUM_MISMATCH when its files disagree. */
  public static ReplicaReader open(ChunkId chunk, StoreContext store) throws IOException {
    BlockTable table;
    FileChannel data;
    // A replica read with another block size than this store writes may not fit direct alignment.
    boolean direct = false;
    try {
      table = BlockTable.decode(ByteBuffer.wrap(Files.readAllBytes(store.layout().crc(chunk))), chunk);
      direct = store.directIo() && table.blockBytes() % store.align() == 0;
      OpenOption[] options = direct
          ? new OpenOption[] {StandardOpenOption.READ, ExtendedOpenOption.DIRECT}
          : new OpenOption[] {StandardOpenOption.READ};
      data = FileChannel.open(store.layout().data(chunk), options);
    } catch (NoSuchFileException e) {
      throw new TfsException(ErrorCode.NOT_FOUND, "no replica of chunk " + chunk + " on store " + store.storeId(), e);
    }
    try {
      long size = data.size();
      if (size != table.dataLength()) {
        throw new TfsException(ErrorCode.CHECKSUM_MISMATCH, "replica of chunk " + chunk + " on store "
            + store.storeId() + " is damaged: " + size + " bytes, its table covers " + table.dataLength());
      }
      return new ReplicaReader(chunk, store, table, data, direct);
    } catch (IOException | RuntimeException e) {
      data.close();
      throw e;
    }
  }

  public long length() {
    return table.dataLength();
  }

  /** The verified bytes {@code [offset, offset+length)}, fewer only at the replica's end. */
  public ByteString read(long offset, int length) throws IOException {
    long end = end(offset, length);
    if (end == offset) return ByteString.emptyByteString();
    byte[] out = new byte[(int) (end - offset)];
    readThroughScratch(offset, end, ByteBuffer.wrap(out));
    return ByteString.fromArrayUnsafe(out);
  }

  /**
   * Reads the verified bytes from {@code offset} into {@code target}'s remaining space (fewer only at
   * the replica's end), moves its position past them and returns their count. Where the replica is
   * read with O_DIRECT, the target is direct and aligned, the offset falls on a block and the range
   * ends on a block or at the replica's end, the bytes land straight in the target and each block is
   * verified there; otherwise they pass through a scratch buffer. Up to the alignment past the count
   * may be written within the target's remaining space. The reads from the disk happen inside {@code turn}:
   * on the straight path the turn ends before the blocks are checked; through the scratch buffer, where each
   * pass reads and checks, after the last pass.
   */
  public int readInto(long offset, ByteBuffer target, DiskTurn turn) throws IOException, InterruptedException {
    long end = end(offset, target.remaining());
    int count = (int) (end - offset);
    if (count == 0) return 0;
    if (canReadStraightInto(offset, end, target)) {
      readStraightInto(offset, end, target, turn);
    } else {
      turn.enter();
      try {
        readThroughScratch(offset, end, target.duplicate());
      } finally {
        turn.leave();
      }
    }
    target.position(target.position() + count);
    return count;
  }

  /**
   * Reads and verifies the blocks under {@code [offset, offset+length)} without handing their bytes out
   * (the scrubber); returns the bytes covered, fewer only at the replica's end. Fails as a read does.
   */
  public int verify(long offset, int length) throws IOException {
    long end = end(offset, length);
    if (end == offset) return 0;
    ByteBuffer scratch = acquireScratch();
    try {
      int perPass = scratch.capacity() / table.blockBytes();
      long last = (end - 1) / table.blockBytes();
      for (long first = offset / table.blockBytes(); first <= last; first += perPass) {
        readBlocks(first, Math.min(last, first + perPass - 1), scratch);
      }
    } finally {
      releaseScratch(scratch);
    }
    return (int) (end - offset);
  }

  private long end(long offset, int length) {
    if (offset < 0 || length < 0 || offset > table.dataLength()) {
      throw new TfsException(ErrorCode.RANGE_NOT_SATISFIABLE, "range " + offset + "+" + length
          + " outside chunk " + chunk + " of " + table.dataLength() + " bytes");
    }
    return Math.min(table.dataLength(), offset + length);
  }

  private boolean canReadStraightInto(long offset, long end, ByteBuffer target) {
    int align = store.align();
    int count = (int) (end - offset);
    return direct
        && target.isDirect()
        && !target.isReadOnly()
        && offset % table.blockBytes() == 0
        && (count % table.blockBytes() == 0 || end == table.dataLength())
        && target.remaining() >= StoreContext.alignUp(count, align)
        && target.alignmentOffset(target.position(), align) == 0;
  }

  /** O_DIRECT into the target itself, then each block checked in place: no copy. */
  private void readStraightInto(long offset, long end, ByteBuffer target, DiskTurn turn)
      throws IOException, InterruptedException {
    int count = (int) (end - offset);
    ByteBuffer into = target.duplicate();
    int start = into.position();
    into.limit(start + (int) StoreContext.alignUp(count, store.align()));
    turn.enter();
    try {
      while (into.position() - start < count) {
        if (data.read(into, offset + into.position() - start) < 0) throw endsEarly();
      }
    } finally {
      turn.leave();
    }
    long first = offset / table.blockBytes();
    long last = (end - 1) / table.blockBytes();
    verifyBlocks(first, last, target.duplicate().position(start));
  }

  /** Reads the blocks under {@code [offset, end)} pass by pass and copies the range into {@code out} at its position. */
  private void readThroughScratch(long offset, long end, ByteBuffer out) throws IOException {
    ByteBuffer scratch = acquireScratch();
    try {
      int perPass = scratch.capacity() / table.blockBytes();
      long last = (end - 1) / table.blockBytes();
      for (long first = offset / table.blockBytes(); first <= last; first += perPass) {
        long passLast = Math.min(last, first + perPass - 1);
        readBlocks(first, passLast, scratch);
        copyOverlap(scratch, first * table.blockBytes(), offset, end, out);
      }
    } finally {
      releaseScratch(scratch);
    }
  }

  /** Reads blocks {@code first..last} into the start of {@code scratch} and verifies each. */
  private void readBlocks(long first, long last, ByteBuffer scratch) throws IOException {
    long start = first * table.blockBytes();
    int want = (int) (Math.min(table.dataLength(), (last + 1) * table.blockBytes()) - start);
    scratch.clear().limit(direct ? (int) StoreContext.alignUp(want, store.align()) : want);
    while (scratch.position() < want) {
      if (data.read(scratch, start + scratch.position()) < 0) throw endsEarly();
    }
    verifyBlocks(first, last, scratch.duplicate().position(0));
  }

  /** Checks blocks {@code first..last}, laid out from {@code bytes}' position on, against the table. */
  private void verifyBlocks(long first, long last, ByteBuffer bytes) {
    int base = bytes.position();
    for (long b = first; b <= last; b++) {
      int at = base + (int) ((b - first) * table.blockBytes());
      crc.reset();
      crc.update(bytes.duplicate().limit(at + table.blockLength(b)).position(at));
      if ((int) crc.getValue() != table.blockCrc(b)) {
        throw new TfsException(ErrorCode.CHECKSUM_MISMATCH, "chunk " + chunk + " on store " + store.storeId()
            + ": block " + b + " (bytes " + b * table.blockBytes() + "+" + table.blockLength(b)
            + ") does not match its CRC32C");
      }
    }
  }

  private TfsException endsEarly() {
    return new TfsException(ErrorCode.CHECKSUM_MISMATCH, "replica of chunk " + chunk + " on store "
        + store.storeId() + " ends before its recorded length");
  }

  /** Copies what {@code scratch} holds of {@code [offset, end)} into {@code out}, whose position stands for {@code offset}. */
  private static void copyOverlap(ByteBuffer scratch, long scratchStart, long offset, long end, ByteBuffer out) {
    long from = Math.max(offset, scratchStart);
    long to = Math.min(end, scratchStart + scratch.position());
    out.put(out.position() + (int) (from - offset), scratch, (int) (from - scratchStart), (int) (to - from));
  }

  private ByteBuffer acquireScratch() {
    AlignedBufferPool pool = store.readBuffers();
    if (pool.bufferBytes() >= table.blockBytes()) return pool.acquire();
    return AlignedBufferPool.allocate((int) StoreContext.alignUp(table.blockBytes(), store.align()), store.align());
  }

  private void releaseScratch(ByteBuffer scratch) {
    if (scratch.capacity() == store.readBuffers().bufferBytes()) store.readBuffers().release(scratch);
  }

  @Override
  public void close() throws IOException {
    data.close();
  }
}
