package io.tensorfs.store.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;

/**
 * The {@code .crc} file of a replica: a header (magic, format version, block bytes, data length),
 * one CRC32C per block, then a CRC32C of header and table. Big-endian. Immutable.
 */
public final class BlockTable {
  public static final int MAGIC = 0x54465343; // "TFSC"
  public static final int FORMAT_VERSION = 1;
  private static final int HEADER_BYTES = 4 + 4 + 4 + 8;

  private final int blockBytes;
  private final long dataLength;
  private final int[] blockCrcs;

  public BlockTable(int blockBytes, long dataLength, int[] blockCrcs) {
    if (blockCount(dataLength, blockBytes) != blockCrcs.length) {
      throw new IllegalArgumentException(blockCrcs.length + " CRCs for " + dataLength + " bytes");
    }
    this.blockBytes = blockBytes;
    this.dataLength = dataLength;
    this.blockCrcs = blockCrcs;
  }

  public static long blockCount(long dataLength, int blockBytes) {
    return (dataLength + blockBytes - 1) / blockBytes;
  }

  public int blockBytes() {
    return blockBytes;
  }

  public long dataLength() {
    return dataLength;
  }

  public int blockCrc(long block) {
    return blockCrcs[(int) block];
  }

  public long blockCount() {
    return blockCrcs.length;
  }

  /** Bytes in {@code block}: blockBytes, fewer for the last block. */
  public int blockLength(long block) {
    return (int) Math.min(blockBytes, dataLength - block * blockBytes);
  }

  /** The CRC32C of all the data, from the block CRCs (the bytes are not read again). */
  public int wholeCrc() {
    if (blockCrcs.length == 0) return 0;
    Crc32c.Shift fullBlock = Crc32c.Shift.of(blockBytes);
    int crc = blockCrcs[0];
    for (int b = 1; b < blockCrcs.length; b++) {
      int length = blockLength(b);
      crc = length == blockBytes ? fullBlock.combine(crc, blockCrcs[b]) : Crc32c.combine(crc, blockCrcs[b], length);
    }
    return crc;
  }

  public ByteBuffer encode() {
    ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + 4 * blockCrcs.length + 4);
    out.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(blockBytes).putLong(dataLength);
    for (int crc : blockCrcs) out.putInt(crc);
    out.putInt(Crc32c.of(out.array(), 0, out.position()));
    return out.flip();
  }

  /** Parses a whole {@code .crc} file; any damage fails with CHECKSUM_MISMATCH naming the chunk. */
  public static BlockTable decode(ByteBuffer in, ChunkId chunk) {
    int size = in.remaining();
    if (size < HEADER_BYTES + 4) throw damaged(chunk, "it is " + size + " bytes");
    ByteBuffer b = in.duplicate();
    int magic = b.getInt();
    int version = b.getInt();
    int blockBytes = b.getInt();
    long dataLength = b.getLong();
    if (magic != MAGIC) throw damaged(chunk, "bad magic " + Integer.toHexString(magic));
    if (version != FORMAT_VERSION) throw damaged(chunk, "unknown format version " + version);
    if (blockBytes < 4096 || Integer.bitCount(blockBytes) != 1 || dataLength < 0) {
      throw damaged(chunk, "bad header");
    }
    long blocks = blockCount(dataLength, blockBytes);
    if (size != HEADER_BYTES + 4 * blocks + 4) throw damaged(chunk, "its size does not match its header");
    int[] crcs = new int[(int) blocks];
    for (int i = 0; i < crcs.length; i++) crcs[i] = b.getInt();
    int recorded = b.getInt();
    if (recorded != Crc32c.of(in.duplicate().limit(in.position() + size - 4))) {
      throw damaged(chunk, "its own CRC32C does not match");
    }
    return new BlockTable(blockBytes, dataLength, crcs);
  }

  private static TfsException damaged(ChunkId chunk, String why) {
    return new TfsException(ErrorCode.CHECKSUM_MISMATCH, "checksum table of chunk " + chunk + " is damaged: " + why);
  }
}
