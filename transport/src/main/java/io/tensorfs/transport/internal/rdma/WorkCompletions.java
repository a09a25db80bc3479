package io.tensorfs.transport.internal.rdma;

/**
 * What a {@link QueuePair#poll} reports, one call per completed work request, on the polling thread.
 * Implemented once by each ring (no object per completion).
 */
interface WorkCompletions {
  /** A send posted with {@code wrId} has left this side (its buffer may be reused). */
  void sent(long wrId);

  /** A receive posted with {@code wrId} got {@code bytes} bytes; {@code immediate} is the sender's immediate data, or -1. */
  void received(long wrId, int bytes, int immediate);

  /** A work request failed; the queue pair is in error and takes nothing more. */
  void failed(long wrId, String why);
}
