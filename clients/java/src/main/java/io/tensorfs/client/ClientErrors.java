package io.tensorfs.client;

import io.grpc.Metadata;
import io.tensorfs.gateway.grpc.v1.Status;

/** Turns a failed call into the {@link TfsClientException} the node meant, by its {@code tfs-error} trailer. */
final class ClientErrors {
  static final Metadata.Key<String> CODE = Metadata.Key.of("tfs-error", Metadata.ASCII_STRING_MARSHALLER);

  private ClientErrors() {}

  /** The failure grpc-java reports for a call, as the node's error; other throwables as they are. */
  static Throwable translate(Throwable error) {
    if (error instanceof TfsClientException) return error;
    io.grpc.Status status = io.grpc.Status.fromThrowable(error);
    if (status.getCode() == io.grpc.Status.Code.UNKNOWN && status.getCause() == error) return error;
    String message = status.getDescription() != null ? status.getDescription() : status.getCode().name();
    return new TfsClientException(codeOf(status, io.grpc.Status.trailersFromThrowable(error)), message, error);
  }

  private static Status codeOf(io.grpc.Status status, Metadata trailers) {
    String name = trailers == null ? null : trailers.get(CODE);
    if (name != null) {
      try {
        Status code = Status.valueOf(name);
        if (code != Status.OK && code != Status.UNRECOGNIZED) return code;
      } catch (IllegalArgumentException unknown) {
        // A newer node's code: fall back to the gRPC status below.
      }
    }
    return switch (status.getCode()) {
      case NOT_FOUND -> Status.NOT_FOUND;
      case INVALID_ARGUMENT -> Status.BAD_REQUEST;
      case UNAVAILABLE, DEADLINE_EXCEEDED -> Status.UNAVAILABLE;
      case RESOURCE_EXHAUSTED -> Status.NO_SPACE;
      case DATA_LOSS -> Status.CHECKSUM_MISMATCH;
      case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.FORBIDDEN;
      default -> Status.INTERNAL;
    };
  }
}
