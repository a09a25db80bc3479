package io.tensorfs.client;

import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.concurrent.CompletionException;

/** Turns a failed call into the {@link TfsException} the node meant, by its {@code tfs-error} trailer. */
final class ClientErrors {
  private static final Metadata.Key<String> CODE = Metadata.Key.of("tfs-error", Metadata.ASCII_STRING_MARSHALLER);

  private ClientErrors() {}

  static Throwable translate(Throwable error) {
    Throwable c = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (c instanceof TfsException) return c;
    if (c instanceof StatusRuntimeException e) {
      ErrorCode code = codeOf(e);
      String message = e.getStatus().getDescription() != null ? e.getStatus().getDescription() : e.getStatus().getCode().name();
      return new TfsException(code, message, e);
    }
    return c;
  }

  private static ErrorCode codeOf(StatusRuntimeException e) {
    String name = e.getTrailers() == null ? null : e.getTrailers().get(CODE);
    if (name != null) {
      try {
        return ErrorCode.valueOf(name);
      } catch (IllegalArgumentException unknown) {
        // A newer node's code: fall back to the gRPC status below.
      }
    }
    return switch (e.getStatus().getCode()) {
      case NOT_FOUND -> ErrorCode.NOT_FOUND;
      case INVALID_ARGUMENT -> ErrorCode.BAD_REQUEST;
      case UNAVAILABLE, DEADLINE_EXCEEDED -> ErrorCode.UNAVAILABLE;
      case RESOURCE_EXHAUSTED -> ErrorCode.NO_SPACE;
      case DATA_LOSS -> ErrorCode.CHECKSUM_MISMATCH;
      default -> ErrorCode.INTERNAL;
    };
  }
}
