package io.tensorfs.faults;

/** What a client learned of one write it attempted. */
public enum Outcome {
  /** 201 for a PUT, 204 for a DELETE (or 404: the path was already absent): the effect is durable. */
  ACKNOWLEDGED,
  /**
   * An error status (503, 507, 500, ...), or a connection that was refused before anything was sent:
   * the write did not happen, so it must never become visible.
   */
  REJECTED,
  /** No answer: the connection died or the request timed out. Either effect may stand, but whole. */
  UNKNOWN
}
