package io.tensorfs.fuse.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The local copy of a file open for writing: a sparse temporary file that takes the writes, answers reads, and is
 * uploaded whole as the file's next version (at flush, release and fsync). Removed at {@link #close}. Not
 * thread-safe: its {@link OpenFile} serializes calls.
 */
public final class Spool implements AutoCloseable {
  private static final int COPY_BYTES = 8 << 20;
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1 << 20]);

  private final Path file;
  private final FileChannel channel;

  private Spool(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** A new, empty spool in {@code dir}. */
  public static Spool create(Path dir) {
    try {
      Path file = Files.createTempFile(dir, "spool-", ".tmp");
      return new Spool(file, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
          StandardOpenOption.SPARSE));
    } catch (IOException e) {
      throw local(e);
    }
  }

  /** Copies the first {@code sizeBytes} of the node's {@code path} in. */
  public void copyFrom(NodeCalls node, String path, long sizeBytes) {
    ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(COPY_BYTES, Math.max(1, sizeBytes)));
    long at = 0;
    while (at < sizeBytes) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), sizeBytes - at));
      long n = node.read(path, at, buffer);
      if (n <= 0) break;
      buffer.limit((int) n);
      try {
        while (buffer.hasRemaining()) channel.write(buffer, at + buffer.position());
      } catch (IOException e) {
        throw local(e);
      }
      at += n;
    }
  }

  /** Writes {@code size} bytes of {@code from} at {@code offset}. */
  public int write(Pointer from, long offset, int size) {
    byte[] scratch = scratch(size);
    from.get(0, scratch, 0, size);
    ByteBuffer b = ByteBuffer.wrap(scratch, 0, size);
    try {
      while (b.hasRemaining()) channel.write(b, offset + b.position());
    } catch (IOException e) {
      throw local(e);
    }
    return size;
  }

  /** Reads up to {@code size} bytes at {@code offset} into {@code into}; fewer at the end. */
  public int read(Pointer into, long offset, int size) {
    byte[] scratch = scratch(size);
    ByteBuffer b = ByteBuffer.wrap(scratch, 0, size);
    try {
      while (b.hasRemaining()) {
        if (channel.read(b, offset + b.position()) < 0) break;
      }
    } catch (IOException e) {
      throw local(e);
    }
    into.put(0, scratch, 0, b.position());
    return b.position();
  }

  /** Bytes in the spool. */
  public long size() {
    try {
      return channel.size();
    } catch (IOException e) {
      throw local(e);
    }
  }

  /** Cuts or extends (with zeros, sparse) to {@code sizeBytes}. */
  public void truncate(long sizeBytes) {
    try {
      long now = channel.size();
      if (sizeBytes < now) channel.truncate(sizeBytes);
      else if (sizeBytes > now) channel.write(ByteBuffer.wrap(new byte[1]), sizeBytes - 1);
    } catch (IOException e) {
      throw local(e);
    }
  }

  /** The spool's bytes from the start, read in place; closing it leaves the spool open. */
  public InputStream stream() {
    return new InputStream() {
      private long at;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] into, int off, int len) throws IOException {
        int n = channel.read(ByteBuffer.wrap(into, off, len), at);
        if (n > 0) at += n;
        return n;
      }
    };
  }

  /** Closes and removes the temporary file. */
  @Override
  public void close() {
    try {
      channel.close();
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw local(e);
    }
  }

  private static byte[] scratch(int size) {
    byte[] s = SCRATCH.get();
    if (s.length >= size) return s;
    s = new byte[size];
    SCRATCH.set(s);
    return s;
  }

  private static FsError local(IOException e) {
    String m = String.valueOf(e.getMessage());
    return new FsError(m.contains("No space") ? ErrorCodes.ENOSPC() : ErrorCodes.EIO(), "spool: " + e);
  }

  @Override
  public String toString() {
    return "Spool[" + file + "]";
  }

}
