package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The one place where an {@link ErrorCode} becomes an HTTP status. */
public final class ErrorStatus {
  private ErrorStatus() {}

  public static StatusCode of(ErrorCode code) {
    return switch (code) {
      case BAD_PATH, BAD_REQUEST, INCOMPLETE_UPLOAD -> StatusCodes.BAD_REQUEST;
      case NOT_FOUND -> StatusCodes.NOT_FOUND;
      case CONFLICT -> StatusCodes.CONFLICT;
      case PRECONDITION_FAILED -> StatusCodes.PRECONDITION_FAILED;
      case TOO_LARGE -> StatusCodes.CONTENT_TOO_LARGE;
      case RANGE_NOT_SATISFIABLE -> StatusCodes.RANGE_NOT_SATISFIABLE;
      case UNAVAILABLE, NOT_ENOUGH_REPLICAS -> StatusCodes.SERVICE_UNAVAILABLE;
      case NO_SPACE, QUOTA_EXCEEDED -> StatusCodes.INSUFFICIENT_STORAGE;
      case UNAUTHENTICATED -> StatusCodes.UNAUTHORIZED;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      case CHECKSUM_MISMATCH, IO_ERROR, INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }
}
