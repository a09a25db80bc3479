package io.tensorfs.client.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A POSIX shared-memory segment ({@code /dev/shm/tfs-<pid>-<hex>}) the caller allocates for zero-copy I/O
 * with the local node: buffers handed out by {@link #buffer()} and {@link #slice} are recognised by the
 * channel, which registers the segment once and has the node read or write it in place. Any other buffer
 * (a duplicate of these included) is staged through the channel's own memory. At most 2 GiB - 1 bytes.
 * Thread-safe; {@link #close} removes the segment (the mapping stays valid until collected).
 */
public final class SharedBuffer implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Map<IdentityKey, Located> HANDED_OUT = new ConcurrentHashMap<>();
  private static final ReferenceQueue<ByteBuffer> COLLECTED = new ReferenceQueue<>();

  private final Path file;
  private final String name;
  private final long sizeBytes;
  private final MappedByteBuffer mapping;

  /** Where a buffer handed out by a SharedBuffer starts in it. */
  record Located(SharedBuffer shared, long offset) {}

  private SharedBuffer(Path file, String name, long sizeBytes, MappedByteBuffer mapping) {
    this.file = file;
    this.name = name;
    this.sizeBytes = sizeBytes;
    this.mapping = mapping;
  }

  /** A new segment of {@code sizeBytes} in {@code /dev/shm}, readable and writable by this user only. */
  public static SharedBuffer allocate(long sizeBytes) {
    return allocate(Path.of("/dev/shm"), sizeBytes);
  }

  static SharedBuffer allocate(Path directory, long sizeBytes) {
    if (sizeBytes < 1 || sizeBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a shared buffer holds 1 byte to 2 GiB - 1, not " + sizeBytes);
    }
    String name = "tfs-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(randomBytes(8));
    Path file = directory.resolve(name);
    try {
      Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, sizeBytes);
        return new SharedBuffer(file, name, sizeBytes, m);
      }
    } catch (IOException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // Nothing more to clean.
      }
      throw new UncheckedIOException("cannot make shared-memory segment " + file, e);
    }
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** The segment's name (without {@code /dev/shm/}). */
  public String name() {
    return name;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** The whole segment, position 0. */
  public ByteBuffer buffer() {
    return slice(0, (int) sizeBytes);
  }

  /** The bytes {@code [offset, offset+length)} of the segment, as a buffer of their own (position 0). */
  public ByteBuffer slice(long offset, int length) {
    if (offset < 0 || length < 0 || offset + length > sizeBytes) {
      throw new IndexOutOfBoundsException(offset + "+" + length + " is outside a segment of " + sizeBytes + " bytes");
    }
    ByteBuffer b = mapping.slice((int) offset, length);
    purge();
    HANDED_OUT.put(new IdentityKey(b, COLLECTED), new Located(this, offset));
    return b;
  }

  /** Where {@code b} lies, when it is a buffer this class handed out (by identity). */
  static Optional<Located> locate(ByteBuffer b) {
    if (!b.isDirect()) return Optional.empty();
    return Optional.ofNullable(HANDED_OUT.get(new IdentityKey(b, null)));
  }

  private static void purge() {
    for (Object k; (k = COLLECTED.poll()) != null; ) HANDED_OUT.remove(k);
  }

  /** Removes the segment's file; buffers already handed out stay readable until collected. */
  @Override
  public void close() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A weak key compared by the identity of its buffer. */
  private static final class IdentityKey extends WeakReference<ByteBuffer> {
    private final int hash;

    IdentityKey(ByteBuffer b, ReferenceQueue<ByteBuffer> queue) {
      super(b, queue);
      this.hash = System.identityHashCode(b);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o == this || (o instanceof IdentityKey k && k.get() != null && k.get() == get());
    }
  }
}
