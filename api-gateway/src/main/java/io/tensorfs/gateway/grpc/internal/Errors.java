package io.tensorfs.gateway.grpc.internal;

import io.grpc.Status;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.grpc.v1.Completion;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.http.scaladsl.model.http2.PeerClosedStreamException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failure becomes what a gRPC client sees: an {@link ErrorCode} with a message,
 * carried as a completion's status or as a call's gRPC status plus the trailer {@value #CODE_KEY}
 * naming the exact code. Failures that are not a TfsException are logged and reported as INTERNAL.
 */
public final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  /** Trailer with the {@link ErrorCode} name of a failed call. */
  public static final String CODE_KEY = "tfs-error";

  private Errors() {}

  /** A failure as the code and message a client sees. */
  public record Failure(ErrorCode code, String message) {}

  public static Failure of(Throwable error) {
    for (Throwable c = error; c != null; c = c.getCause()) {
      if (c instanceof TfsException e) return new Failure(e.code(), e.getMessage());
    }
    Throwable cause = Failures.unwrap(error);
    if (cause instanceof AskTimeoutException || cause instanceof TimeoutException) {
      return new Failure(ErrorCode.UNAVAILABLE, "the metadata did not answer in time; try again");
    }
    if (cause instanceof GrpcServiceException g) {
      return new Failure(ErrorCode.BAD_REQUEST, String.valueOf(g.getStatus().getDescription()));
    }
    if (cause instanceof PeerClosedStreamException) {
      // The client reset its stream (it died, or gave up): its doing, not the node's; nothing to log as an error.
      return new Failure(ErrorCode.INCOMPLETE_UPLOAD, "the client closed the stream: " + cause.getMessage());
    }
    log.error("gRPC request failed", cause);
    return new Failure(ErrorCode.INTERNAL, "internal error; see the node's log");
  }

  public static Completion completion(long id, Throwable error) {
    Failure f = of(error);
    return Completion.newBuilder().setId(id).setStatus(wire(f.code())).setMessage(f.message()).build();
  }

  /** The trailers of a failed call: used as the service's exception handler. */
  public static Trailers trailers(Throwable error) {
    Failure f = of(error);
    return new Trailers(grpcStatus(f.code()).withDescription(f.message()),
        new MetadataBuilder().addText(CODE_KEY, f.code().name()).build());
  }

  public static io.tensorfs.gateway.grpc.v1.Status wire(ErrorCode code) {
    return io.tensorfs.gateway.grpc.v1.Status.valueOf(code.name());
  }

  public static Status grpcStatus(ErrorCode code) {
    return switch (code) {
      case BAD_PATH, BAD_REQUEST, INCOMPLETE_UPLOAD, TOO_LARGE -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case CONFLICT, PRECONDITION_FAILED -> Status.FAILED_PRECONDITION;
      case RANGE_NOT_SATISFIABLE -> Status.OUT_OF_RANGE;
      case UNAVAILABLE, NOT_ENOUGH_REPLICAS -> Status.UNAVAILABLE;
      case NO_SPACE, QUOTA_EXCEEDED -> Status.RESOURCE_EXHAUSTED;
      case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
      case FORBIDDEN -> Status.PERMISSION_DENIED;
      case CHECKSUM_MISMATCH -> Status.DATA_LOSS;
      case IO_ERROR, INTERNAL -> Status.INTERNAL;
    };
  }
}
