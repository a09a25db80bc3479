package io.tensorfs.client.local;

import io.tensorfs.gateway.grpc.v1.Status;

/**
 * A request of a {@link LocalChannel} the node failed (its status and the message it wrote in the slot), or
 * the channel itself broken or closed ({@code UNAVAILABLE}). The client's own calls surface it as a
 * {@code TfsClientException} with the same code.
 */
public final class ChannelException extends RuntimeException {
  private final Status code;

  public ChannelException(Status code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The node's error code; never {@code OK}. */
  public Status code() {
    return code;
  }
}
