package io.tensorfs.gpu.internal;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/** The few libc calls the cuFile path needs: an fd opened with O_DIRECT, which Java's channels do not give. */
public interface LibC {
  /** Linux x86-64 open(2) flags. */
  int O_RDONLY = 0;
  int O_DIRECT = 0x4000;
  int O_CLOEXEC = 0x80000;

  @SaveError
  int open(String path, int flags, int mode);

  int close(int fd);

  String strerror(int errno);

  /** libc, loaded once. */
  static LibC get() {
    return Holder.LIBC;
  }

  /** The errno that the last {@link SaveError} call on this thread left. */
  static int lastError() {
    return jnr.ffi.Runtime.getRuntime(Holder.LIBC).getLastError();
  }

  /** Defers loading to the first use. */
  final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");

    private Holder() {}
  }
}
