package io.tensorfs.core;

/**
 * A failure with an {@link ErrorCode}. Used where a reply cannot carry the error, chiefly to fail a
 * stream (a chunk that fails its checksum mid-response) and to complete a future exceptionally.
 */
public final class TfsException extends RuntimeException {
  private final ErrorCode code;

  public TfsException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public TfsException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** The {@link ErrorCode} of any throwable: its own when it is a TfsException, else INTERNAL. */
  public static ErrorCode codeOf(Throwable t) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof TfsException e) return e.code();
      c = c.getCause();
    }
    return ErrorCode.INTERNAL;
  }
}
