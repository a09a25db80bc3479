package io.tensorfs.gateway.s3.internal;

/**
 * A refusal in S3's own words: the HTTP status, the S3 error code (e.g. {@code NoSuchBucket},
 * {@code SignatureDoesNotMatch}) and a message, written as S3's XML error body by {@link S3Errors}.
 * Thrown at the S3 edge only; failures from the operator arrive as {@code TfsException} and are mapped there.
 */
public final class S3Exception extends RuntimeException {
  private final int status;
  private final String code;

  public S3Exception(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static S3Exception noSuchBucket(String bucket) {
    return new S3Exception(404, "NoSuchBucket", "The specified bucket does not exist: " + bucket);
  }

  public static S3Exception noSuchKey(String key) {
    return new S3Exception(404, "NoSuchKey", "The specified key does not exist: " + key);
  }

  public static S3Exception noSuchUpload(String uploadId) {
    return new S3Exception(404, "NoSuchUpload", "The specified multipart upload does not exist: " + uploadId);
  }

  public static S3Exception invalidArgument(String message) {
    return new S3Exception(400, "InvalidArgument", message);
  }

  public static S3Exception invalidRequest(String message) {
    return new S3Exception(400, "InvalidRequest", message);
  }

  public static S3Exception notImplemented(String what) {
    return new S3Exception(501, "NotImplemented", what + " is not implemented by tensorfs (README: S3 API)");
  }

  public static S3Exception malformedXml(String why) {
    return new S3Exception(400, "MalformedXML", "The XML you provided was not well-formed: " + why);
  }

  public static S3Exception accessDenied(String message) {
    return new S3Exception(403, "AccessDenied", message);
  }

  public static S3Exception signatureMismatch(String message) {
    return new S3Exception(403, "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. " + message);
  }
}
