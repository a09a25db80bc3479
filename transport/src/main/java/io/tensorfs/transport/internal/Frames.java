package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import java.nio.charset.StandardCharsets;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The wire format shared by every transport: a 16-byte header then a type-specific body, all
 * little-endian. A DATA frame names the chunk, the chunk offset of its payload, the payload length
 * and the payload's CRC32C, so the receiver checks each frame on its own.
 *
 * <pre>
 *   0 type (byte)   1 flags (byte)   2 version (short)   4 body length (int)   8 transfer id (long)
 *   DATA body: 16 file id (2 longs)  32 chunk index  36 crc32c  40 chunk offset (long)  48 payload length  52 pad  56 payload
 * </pre>
 *
 * Strings are a short length and UTF-8 bytes, byte arrays an int length and the bytes. FETCH and PUSH
 * end with a signature trailer ({@link SignedRequests}). Stateless.
 */
public final class Frames {
  public static final byte FETCH = 1;
  public static final byte PUSH = 2;
  public static final byte DATA = 3;
  public static final byte END = 4;
  public static final byte ERROR = 5;
  public static final byte CREDIT = 6;
  public static final byte ACK = 7;
  public static final byte CANCEL = 8;
  public static final byte KEEPALIVE = 9;
  /**
   * TCP only: the first frame on a connection names the sender's endpoint and proves it holds the
   * cluster's secret ({@link TcpHandshake}).
   */
  public static final byte HELLO = 10;

  /** Set on frames sent by the side that started the transfer. */
  public static final byte FROM_REQUESTER = 1;

  public static final short VERSION = 1;
  public static final int HEADER_BYTES = 16;
  public static final int DATA_HEADER_BYTES = 56;
  /** Largest control frame: strings and contexts are bounded well below it. */
  public static final int MAX_CONTROL_BYTES = 128 * 1024;

  public static final int TYPE_OFFSET = 0;
  public static final int FLAGS_OFFSET = 1;
  public static final int VERSION_OFFSET = 2;
  public static final int BODY_LENGTH_OFFSET = 4;
  public static final int TRANSFER_ID_OFFSET = 8;
  public static final int FILE_HI_OFFSET = 16;
  public static final int FILE_LO_OFFSET = 24;
  public static final int CHUNK_INDEX_OFFSET = 32;
  public static final int CRC_OFFSET = 36;
  public static final int CHUNK_OFFSET_OFFSET = 40;
  public static final int PAYLOAD_LENGTH_OFFSET = 48;

  private Frames() {}

  public static void header(MutableDirectBuffer b, byte type, byte flags, long transferId, int bodyLength) {
    b.putByte(TYPE_OFFSET, type);
    b.putByte(FLAGS_OFFSET, flags);
    b.putShort(VERSION_OFFSET, VERSION);
    b.putInt(BODY_LENGTH_OFFSET, bodyLength);
    b.putLong(TRANSFER_ID_OFFSET, transferId);
  }

  /** Writes a DATA header (the payload follows it on the wire); returns its length. */
  public static int dataHeader(
      MutableDirectBuffer b, byte flags, long transferId, long fileHi, long fileLo, int index, int crc, long chunkOffset, int payloadLength) {
    header(b, DATA, flags, transferId, DATA_HEADER_BYTES - HEADER_BYTES + payloadLength);
    b.putLong(FILE_HI_OFFSET, fileHi);
    b.putLong(FILE_LO_OFFSET, fileLo);
    b.putInt(CHUNK_INDEX_OFFSET, index);
    b.putInt(CRC_OFFSET, crc);
    b.putLong(CHUNK_OFFSET_OFFSET, chunkOffset);
    b.putInt(PAYLOAD_LENGTH_OFFSET, payloadLength);
    b.putInt(PAYLOAD_LENGTH_OFFSET + 4, 0);
    return DATA_HEADER_BYTES;
  }

  public static long fileHi(FileId id) {
    return Long.parseUnsignedLong(id.value().substring(0, 16), 16);
  }

  public static long fileLo(FileId id) {
    return Long.parseUnsignedLong(id.value().substring(16), 16);
  }

  public static FileId fileId(long hi, long lo) {
    return new FileId(String.format("%016x%016x", hi, lo));
  }

  /** Builds the body of a control frame after its header; allocation-free once built. */
  public static final class Writer {
    private final MutableDirectBuffer buffer;
    private int position;

    public Writer(MutableDirectBuffer buffer) {
      this.buffer = buffer;
    }

    public Writer begin(byte type, byte flags, long transferId) {
      header(buffer, type, flags, transferId, 0);
      position = HEADER_BYTES;
      return this;
    }

    public Writer chunk(ChunkId chunk) {
      return putLong(fileHi(chunk.fileId())).putLong(fileLo(chunk.fileId())).putInt(chunk.index());
    }

    public Writer putLong(long v) {
      buffer.putLong(position, v);
      position += 8;
      return this;
    }

    public Writer putInt(int v) {
      buffer.putInt(position, v);
      position += 4;
      return this;
    }

    public Writer putByte(byte v) {
      buffer.putByte(position, v);
      position += 1;
      return this;
    }

    public Writer putString(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      int n = Math.min(bytes.length, Short.MAX_VALUE);
      buffer.putShort(position, (short) n);
      buffer.putBytes(position + 2, bytes, 0, n);
      position += 2 + n;
      return this;
    }

    public Writer putBytes(byte[] bytes) {
      buffer.putInt(position, bytes.length);
      buffer.putBytes(position + 4, bytes);
      position += 4 + bytes.length;
      return this;
    }

    /** Bytes written so far, header included. */
    public int position() {
      return position;
    }

    /** Moves past {@code n} bytes the caller wrote into {@link #buffer()} itself. */
    public Writer skip(int n) {
      position += n;
      return this;
    }

    /** Completes the frame; returns its length in bytes. */
    public int end() {
      buffer.putInt(BODY_LENGTH_OFFSET, position - HEADER_BYTES);
      return position;
    }

    public MutableDirectBuffer buffer() {
      return buffer;
    }
  }

  /** Reads the body of a control frame in order. Not thread-safe; reused by one thread. */
  public static final class Reader {
    private DirectBuffer buffer;
    private int position;
    private int limit;

    /** Starts reading the body of the frame at {@code offset}. */
    public Reader wrap(DirectBuffer buffer, int offset, int length) {
      this.buffer = buffer;
      this.position = offset + HEADER_BYTES;
      this.limit = offset + length;
      return this;
    }

    private void need(int n) {
      if (position + n > limit) throw new IllegalStateException("truncated frame");
    }

    public long getLong() {
      need(8);
      long v = buffer.getLong(position);
      position += 8;
      return v;
    }

    public int getInt() {
      need(4);
      int v = buffer.getInt(position);
      position += 4;
      return v;
    }

    public byte getByte() {
      need(1);
      return buffer.getByte(position++);
    }

    public ChunkId chunk() {
      long hi = getLong();
      long lo = getLong();
      return new ChunkId(fileId(hi, lo), getInt());
    }

    public String getString() {
      need(2);
      int n = buffer.getShort(position) & 0xFFFF;
      position += 2;
      need(n);
      byte[] bytes = new byte[n];
      buffer.getBytes(position, bytes);
      position += n;
      return new String(bytes, StandardCharsets.UTF_8);
    }

    public byte[] getBytes() {
      int n = getInt();
      if (n < 0) throw new IllegalStateException("negative length");
      need(n);
      byte[] bytes = new byte[n];
      buffer.getBytes(position, bytes);
      position += n;
      return bytes;
    }
  }
}
