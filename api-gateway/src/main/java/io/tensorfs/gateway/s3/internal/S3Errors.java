package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;

/**
 * The one mapping from tensorfs's {@link ErrorCode} to S3's error codes and statuses, and the XML body
 * of an S3 error ({@code <Error><Code/><Message/><Resource/><RequestId/></Error>}). Stateless.
 */
public final class S3Errors {
  private S3Errors() {}

  /**
   * The S3 error of {@code failure}: an {@link S3Exception} as it is, a {@link TfsException} by its code.
   * {@code key} is the object the request names (NOT_FOUND then reads NoSuchKey), null for bucket and
   * service requests (NoSuchBucket); null again when the cause is no known failure (then InternalError).
   */
  public static S3Exception of(Throwable failure, String bucket, String key) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof S3Exception s3) return s3;
    if (!(cause instanceof TfsException) && cause instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
      return new S3Exception(400, "IncompleteBody", "the request body ended early: " + cause.getMessage());
    }
    if (!(cause instanceof TfsException)) {
      if (cause instanceof java.util.concurrent.TimeoutException
          || cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
        return new S3Exception(503, "ServiceUnavailable", "metadata did not answer in time; try again");
      }
      return null;
    }
    String m = cause.getMessage();
    return switch (TfsException.codeOf(cause)) {
      case BAD_PATH -> new S3Exception(400, key != null ? "KeyNotValid" : "InvalidBucketName",
          (key != null ? "the key is not a valid tensorfs path: " : "") + m);
      case BAD_REQUEST -> new S3Exception(400, "InvalidRequest", m);
      case INCOMPLETE_UPLOAD -> new S3Exception(400, "IncompleteBody", m);
      case NOT_FOUND -> key != null ? S3Exception.noSuchKey(key) : S3Exception.noSuchBucket(bucket);
      case CONFLICT -> new S3Exception(409, "KeyConflict", "a key cannot be both an object and a prefix of "
          + "other keys followed by '/' (tensorfs keeps '/' as directories): " + m);
      case PRECONDITION_FAILED -> new S3Exception(412, "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold");
      case TOO_LARGE -> new S3Exception(400, "EntityTooLarge", m);
      case RANGE_NOT_SATISFIABLE -> new S3Exception(416, "InvalidRange", "The requested range is not satisfiable");
      case UNAVAILABLE, NOT_ENOUGH_REPLICAS -> new S3Exception(503, "ServiceUnavailable", m);
      case NO_SPACE -> new S3Exception(507, "InsufficientStorage", m);
      case QUOTA_EXCEEDED -> new S3Exception(403, "QuotaExceeded", m);
      case UNAUTHENTICATED -> new S3Exception(403, "InvalidAccessKeyId", m);
      case FORBIDDEN -> S3Exception.accessDenied(m);
      case CHECKSUM_MISMATCH, IO_ERROR, INTERNAL -> new S3Exception(500, "InternalError", m);
    };
  }

  /** The XML body of {@code e} for {@code resource} (the request's path). */
  public static String body(S3Exception e, String resource, String requestId) {
    return Xml.plainRoot("Error")
        .element("Code", e.code())
        .element("Message", e.getMessage())
        .element("Resource", resource)
        .element("RequestId", requestId)
        .end("Error");
  }
}
