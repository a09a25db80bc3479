package io.tensorfs.gateway.front;

import java.util.concurrent.CompletionStage;

/**
 * The body of a {@link DirectResponse}, handed out piece by piece. One connection thread owns it: it asks for
 * at most one piece ahead of the one being written, never calls {@link #next()} again after the end or after
 * {@link #close()}, and always closes it.
 */
public interface BodySource extends AutoCloseable {
  /** The next piece in order, or a stage completing with null at the end. Fails if the bytes cannot be had. */
  CompletionStage<BodyPiece> next();

  /** Stops early: releases whatever is held (called on every path: end, error, client gone, HEAD). Idempotent. */
  @Override
  void close();
}
