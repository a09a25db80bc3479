package io.tensorfs.core;

/**
 * The one error vocabulary of tensorfs, carried from the store to the wire. Each edge (HTTP, gRPC)
 * maps it to its own status codes in a single place.
 */
public enum ErrorCode {
  /** A path that breaks the path rules. */
  BAD_PATH,
  /** A malformed request other than its path: an unknown policy, a bad parameter. */
  BAD_REQUEST,
  NOT_FOUND,
  /** The request conflicts with what exists: a file where a directory is needed, or the reverse. */
  CONFLICT,
  /** A conditional request whose condition failed ({@code If-None-Match: *} on an existing file). */
  PRECONDITION_FAILED,
  /** The body or file is larger than the configured limit. */
  TOO_LARGE,
  RANGE_NOT_SATISFIABLE,
  /** The node is starting, or a dependency (metadata store) cannot be reached. */
  UNAVAILABLE,
  /** A store has no room left for the bytes. */
  NO_SPACE,
  /** Bytes on disk do not match their recorded CRC32C: never served. */
  CHECKSUM_MISMATCH,
  /** The upload ended before the announced length, or the client went away. */
  INCOMPLETE_UPLOAD,
  /** An I/O failure that is not the caller's fault. */
  IO_ERROR,
  /** A bug or broken infrastructure. */
  INTERNAL,
  /**
   * A durable write reached fewer replicas than its policy's {@code min-insync}: it was not
   * acknowledged and nothing of it became visible; retry when nodes are back.
   */
  NOT_ENOUGH_REPLICAS,
  /** The request carries no token, or one that is unknown, malformed or revoked. */
  UNAUTHENTICATED,
  /**
   * The caller's token is valid but its role or tenant does not allow the operation. The message names the
   * role and tenant refused, never whether the path exists.
   */
  FORBIDDEN,
  /** The write would take the tenant past its quota of bytes or files: refused, nothing of it visible. */
  QUOTA_EXCEEDED
}
