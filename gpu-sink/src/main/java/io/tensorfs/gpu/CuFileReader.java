package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.gpu.internal.LibC;
import java.nio.file.Path;

/**
 * One file open for cuFile reads into GPU memory: the fd (O_DIRECT where the file system takes it, as GDS
 * needs; buffered otherwise, which compatibility mode accepts) registered with cuFile. Blocking: use it on a
 * blocking dispatcher or a dedicated thread, bound to the GPU of the device memory. Not thread safe.
 */
public final class CuFileReader implements AutoCloseable {
  /** cuFileRead calls are cut to this size. */
  private static final long MAX_READ_BYTES = 256L << 20;

  private final CuFile cufile;
  private final int fd;
  private final long handle;
  private final boolean directIo;
  private boolean closed;

  private CuFileReader(CuFile cufile, int fd, long handle, boolean directIo) {
    this.cufile = cufile;
    this.fd = fd;
    this.handle = handle;
    this.directIo = directIo;
  }

  /** Opens {@code path} for reading and registers it. Throws TfsException (NOT_FOUND, IO_ERROR). */
  public static CuFileReader open(CuFile cufile, Path path) {
    return open(cufile, path, true);
  }

  /**
   * Opens {@code path} for reading, with O_DIRECT when {@code tryDirectIo} and the file system takes it,
   * and registers it. Throws TfsException (NOT_FOUND, IO_ERROR).
   */
  public static CuFileReader open(CuFile cufile, Path path, boolean tryDirectIo) {
    LibC libc = LibC.get();
    String file = path.toAbsolutePath().toString();
    boolean direct = tryDirectIo;
    int fd = tryDirectIo ? libc.open(file, LibC.O_RDONLY | LibC.O_DIRECT | LibC.O_CLOEXEC, 0) : -1;
    if (fd < 0) {
      direct = false;
      fd = libc.open(file, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
    }
    if (fd < 0) {
      int errno = LibC.lastError();
      throw new TfsException(errno == 2 ? ErrorCode.NOT_FOUND : ErrorCode.IO_ERROR,
          "cannot open " + file + ": " + libc.strerror(errno));
    }
    try {
      return new CuFileReader(cufile, fd, cufile.registerHandle(fd), direct);
    } catch (TfsException e) {
      libc.close(fd);
      throw new TfsException(e.code(), e.getMessage() + " (" + file + ", " + (direct ? "O_DIRECT" : "buffered") + ")");
    } catch (RuntimeException e) {
      libc.close(fd);
      throw e;
    }
  }

  /** Whether the fd bypasses the page cache (O_DIRECT). */
  public boolean directIo() {
    return directIo;
  }

  /**
   * Reads {@code bytes} of the file from {@code fileOffset} into {@code deviceBase+deviceOffset}, in as many
   * cuFileRead calls as needed. Returns the bytes read: fewer only where the file ends.
   */
  public long read(long fileOffset, long deviceBase, long deviceOffset, long bytes) {
    long done = 0;
    while (done < bytes) {
      long n = cufile.read(handle, deviceBase, Math.min(MAX_READ_BYTES, bytes - done), fileOffset + done,
          deviceOffset + done);
      if (n == 0) break;
      done += n;
    }
    return done;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    cufile.deregisterHandle(handle);
    LibC.get().close(fd);
  }
}
