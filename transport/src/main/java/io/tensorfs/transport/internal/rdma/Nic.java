package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;

/**
 * One opened RDMA device port with its protection domain: where the wire registers its ring memory and
 * makes queue pairs. {@link VerbsNic} over libibverbs; tests use an in-memory one. Thread-safe (calls
 * only at connection set-up and close).
 */
interface Nic extends AutoCloseable {
  /** The device name, e.g. {@code mlx5_0}. */
  String device();

  /** This port's address: LID (InfiniBand) and GID (RoCE, or routed InfiniBand). */
  short lid();

  byte[] gid();

  /**
   * The most bytes this process may have registered at once ({@link MemlockLimit}: its soft
   * RLIMIT_MEMLOCK); {@link MemlockLimit#UNLIMITED} when nothing limits it. A registration past it fails.
   */
  long lockableBytes();

  /** Registers a direct buffer for local access; returns its lkey. */
  int register(ByteBuffer memory);

  /** Deregisters what {@link #register} registered (nothing may use it any more); close deregisters the rest. */
  void deregister(ByteBuffer memory);

  /** A new RC queue pair with its own completion queue, in state INIT. */
  QueuePair queuePair(int sendDepth, int receiveDepth);

  @Override
  void close();
}
