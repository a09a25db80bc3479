package io.tensorfs.fuse.internal;

import io.tensorfs.client.TfsClientException;
import io.tensorfs.client.local.ChannelException;
import io.tensorfs.gateway.grpc.v1.Status;
import ru.serce.jnrfuse.ErrorCodes;

/** The one mapping from the node's error codes (and failures to reach it) to errno values. Stateless. */
public final class Errnos {
  private Errnos() {}

  /** The errno for a failed call; the message says what the node said. */
  public static FsError of(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof FsError e) return e;
    Status code = t instanceof TfsClientException c ? c.code() : t instanceof ChannelException c ? c.code() : null;
    if (code == null) return new FsError(ErrorCodes.EIO(), String.valueOf(t));
    return new FsError(errno(code, t.getMessage()), code + ": " + t.getMessage());
  }

  static int errno(Status code, String message) {
    String m = message == null ? "" : message.toLowerCase(java.util.Locale.ROOT);
    return switch (code) {
      case NOT_FOUND -> ErrorCodes.ENOENT();
      case BAD_PATH -> m.contains("long") ? ErrorCodes.ENAMETOOLONG() : ErrorCodes.EINVAL();
      case BAD_REQUEST -> m.contains("cross-tenant") ? ErrorCodes.EXDEV() : ErrorCodes.EINVAL();
      case CONFLICT -> m.contains("not empty") ? ErrorCodes.ENOTEMPTY()
          : m.contains("exists") ? ErrorCodes.EEXIST()
          : m.contains("not a directory") ? ErrorCodes.ENOTDIR()
          : m.contains("is a directory") || m.contains("directory") ? ErrorCodes.EISDIR()
          : ErrorCodes.EEXIST();
      case PRECONDITION_FAILED -> ErrorCodes.EEXIST();
      case TOO_LARGE -> ErrorCodes.EFBIG();
      case RANGE_NOT_SATISFIABLE -> ErrorCodes.EINVAL();
      case NO_SPACE -> ErrorCodes.ENOSPC();
      case QUOTA_EXCEEDED -> ErrorCodes.EDQUOT();
      case UNAUTHENTICATED, FORBIDDEN -> ErrorCodes.EACCES();
      default -> ErrorCodes.EIO();
    };
  }
}
