package io.tensorfs.store.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** Turns what file I/O throws into the {@link TfsException} a caller of the store sees. */
public final class IoFailures {
  private IoFailures() {}

  /** {@code what} names the operation and its object, e.g. "writing chunk f-0 on store d0". */
  public static TfsException translate(Throwable t, String what) {
    Throwable c = Failures.unwrap(t);
    if (c instanceof TfsException e) return e;
    if (c instanceof NoSuchFileException) {
      return new TfsException(ErrorCode.NOT_FOUND, what + ": not found", c);
    }
    if (isNoSpace(c)) return new TfsException(ErrorCode.NO_SPACE, what + ": no space left on device", c);
    if (c instanceof IOException) return new TfsException(ErrorCode.IO_ERROR, what + ": " + c, c);
    if (c instanceof InterruptedException) {
      return new TfsException(ErrorCode.UNAVAILABLE, what + ": interrupted waiting for the disk (the store is shutting down)", c);
    }
    return new TfsException(ErrorCode.INTERNAL, what + ": " + c, c);
  }

  public static boolean isNoSpace(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IOException && c.getMessage() != null && c.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }
}
