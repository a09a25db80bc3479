package io.tensorfs.client;

import io.tensorfs.gateway.grpc.v1.Status;

/**
 * A call the node failed, with the node's error code: the wire {@link Status} named like the node's own
 * error codes ({@code NOT_FOUND}, {@code BAD_PATH}, ...). A broken connection is {@code UNAVAILABLE}.
 */
public final class TfsClientException extends RuntimeException {
  private final Status code;

  public TfsClientException(Status code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The node's error code; never {@code OK}. */
  public Status code() {
    return code;
  }
}
