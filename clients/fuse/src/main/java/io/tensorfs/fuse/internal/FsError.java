package io.tensorfs.fuse.internal;

/**
 * A call of the file system that ends with an errno: the FUSE callback answers {@code -errno}. Carries no stack
 * trace (expected answers, not bugs).
 */
public final class FsError extends RuntimeException {
  private final int errno;

  public FsError(int errno, String message) {
    super(message, null, false, false);
    this.errno = errno;
  }

  /** The positive errno. */
  public int errno() {
    return errno;
  }
}
