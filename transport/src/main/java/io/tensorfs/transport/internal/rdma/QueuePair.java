package io.tensorfs.transport.internal.rdma;

/**
 * The verbs calls a ring makes on one reliable-connected queue pair and its completion queue:
 * {@link VerbsQueuePair} over libibverbs; tests use an in-memory pair. Addresses are of registered
 * memory ({@link Nic#register}); lengths in bytes. Owned by the engine's agent thread once connected.
 */
interface QueuePair extends AutoCloseable {
  /** This side's queue pair number, sent to the peer in the handshake. */
  int number();

  /** Moves the queue pair to ready-to-send towards {@code remote}; throws IllegalStateException when the device refuses. */
  void connect(ConnectInfo remote, int psn);

  /**
   * Posts a signalled send of {@code length} bytes at {@code address} (length 0: no data), with
   * {@code immediate} as immediate data when it is not negative. Throws IllegalStateException when the
   * post is refused (a full send queue is a bug of the caller's accounting).
   */
  void postSend(long wrId, long address, int length, int lkey, int immediate);

  /**
   * Posts a signalled send of two scatter/gather entries as one message: {@code length} bytes at {@code
   * address} (the frame's header in a ring slot), then {@code length2} bytes at {@code address2} (its
   * payload where it lies, in registered memory of lkey {@code lkey2}). The memory of both must stay as
   * it is until the send's completion. Throws IllegalStateException when the post is refused.
   */
  void postSend(long wrId, long address, int length, int lkey, long address2, int length2, int lkey2);

  /** Posts a receive into {@code length} bytes at {@code address} (0: a receive for data-less sends). */
  void postReceive(long wrId, long address, int length, int lkey);

  /** Reports what completed (at most a batch); returns how many. */
  int poll(WorkCompletions to);

  @Override
  void close();
}
