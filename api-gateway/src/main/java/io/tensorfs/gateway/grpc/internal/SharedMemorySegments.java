package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Clients' POSIX shared-memory segments ({@code /dev/shm/<name>}), mapped read-write and kept in a
 * small LRU by name. Only the node's segment namespace is opened: a plain file name that starts with the
 * configured prefix ({@code tfs-}, what the clients create), opened without following a symbolic link, so
 * a request cannot make the node map, and write into, a file outside its namespace. A cached mapping is reused only while the segment is the same file of the same
 * size, so a segment removed and created again under its name is mapped afresh. Mappings are cut into
 * 1 GiB windows, so segments larger than a Java buffer work. Thread-safe; {@link #slices} makes
 * blocking system calls and runs on the shared-memory dispatcher.
 */
public final class SharedMemorySegments {
  static final long WINDOW_BYTES = 1L << 30;
  private static final int MAX_NAME_BYTES = 255;

  private final Path directory;
  private final String prefix;
  private final Map<String, Mapping> mappings;

  /** {@code prefix}: every segment name must start with it (the node's namespace in {@code directory}). */
  public SharedMemorySegments(Path directory, String prefix, int capacity) {
    if (prefix.isEmpty() || prefix.indexOf('/') >= 0 || prefix.contains("..")) {
      throw new IllegalArgumentException("bad shared-memory segment prefix '" + prefix + "'");
    }
    this.directory = directory;
    this.prefix = prefix;
    this.mappings = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Mapping> eldest) {
        return size() > capacity;
      }
    };
  }

  private record Mapping(Object fileKey, long sizeBytes, List<MappedByteBuffer> windows) {}

  /**
   * Checks a segment name: one plain file name inside the directory, nothing that could leave it, in the
   * node's namespace (it starts with the prefix).
   */
  public String checkName(String name) {
    if (name == null || name.isEmpty()) throw bad("a host SGE needs a shared-memory segment name");
    if (name.length() > MAX_NAME_BYTES) throw bad("shared-memory segment name longer than " + MAX_NAME_BYTES);
    if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0 || name.contains("..") || name.equals(".")) {
      throw bad("bad shared-memory segment name '" + printable(name) + "': no '/', NUL or '..'");
    }
    if (!name.startsWith(prefix)) {
      throw bad("shared-memory segment '" + printable(name) + "' is outside this node's namespace: names start with '" + prefix + "'");
    }
    return name;
  }

  private static String printable(String name) {
    return name.replace("\0", "\\0");
  }

  /**
   * The bytes {@code [offset, offset+length)} of segment {@code name} as slices of its mapping.
   * Throws BAD_REQUEST when the segment is missing, cannot be mapped, or is too small.
   */
  public List<ByteBuffer> slices(String name, long offset, long length) {
    checkName(name);
    Mapping m = mapping(name);
    if (offset < 0 || length < 0 || offset > m.sizeBytes() || length > m.sizeBytes() - offset) {
      throw bad("shared-memory segment " + name + " holds " + m.sizeBytes() + " bytes; "
          + Long.toUnsignedString(offset) + "+" + Long.toUnsignedString(length) + " is outside it");
    }
    List<ByteBuffer> out = new ArrayList<>();
    for (long pos = offset, end = offset + length; pos < end; ) {
      int window = (int) (pos / WINDOW_BYTES);
      int inWindow = (int) (pos % WINDOW_BYTES);
      int n = (int) Math.min(end - pos, WINDOW_BYTES - inWindow);
      out.add(m.windows().get(window).slice(inWindow, n));
      pos += n;
    }
    return out;
  }

  /** Segments mapped now. */
  public synchronized int mapped() {
    return mappings.size();
  }

  private Mapping mapping(String name) {
    Path file = directory.resolve(name);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw bad("no shared-memory segment " + name + " on this node (" + file + ")");
    } catch (IOException e) {
      throw bad("cannot read shared-memory segment " + name + ": " + e.getMessage());
    }
    if (attrs.isSymbolicLink()) throw bad(file + " is a symbolic link, not a shared-memory segment");
    if (!attrs.isRegularFile()) throw bad(file + " is not a shared-memory segment");
    synchronized (this) {
      Mapping cached = mappings.get(name);
      if (cached != null && cached.sizeBytes() == attrs.size() && Objects.equals(cached.fileKey(), attrs.fileKey())) {
        return cached;
      }
    }
    Mapping fresh = map(file, name, attrs);
    synchronized (this) {
      mappings.put(name, fresh);
    }
    return fresh;
  }

  private static Mapping map(Path file, String name, BasicFileAttributes attrs) {
    // O_NOFOLLOW: a link planted at the name after the check above fails the open instead of being followed.
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      List<MappedByteBuffer> windows = new ArrayList<>();
      for (long pos = 0; pos < size; pos += WINDOW_BYTES) {
        windows.add(ch.map(FileChannel.MapMode.READ_WRITE, pos, Math.min(WINDOW_BYTES, size - pos)));
      }
      return new Mapping(attrs.fileKey(), size, List.copyOf(windows));
    } catch (IOException | RuntimeException e) {
      throw bad("cannot map shared-memory segment " + name + ": " + e.getMessage());
    }
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
