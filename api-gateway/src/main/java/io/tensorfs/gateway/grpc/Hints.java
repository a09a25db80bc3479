package io.tensorfs.gateway.grpc;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.operator.HintOp;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the gRPC {@code Hint} call does: the node's cache hints on one file. Supplied by whoever wires
 * the node; called on a gRPC request thread, so it must not block.
 */
@FunctionalInterface
public interface Hints {
  String WILLNEED = "willneed";
  String DONTNEED = "dontneed";
  String PIN = "pin";
  String UNPIN = "unpin";

  /**
   * Applies {@code op} (one of {@link #WILLNEED}, {@link #DONTNEED}, {@link #PIN}, {@link #UNPIN}) to
   * {@code path}. Completes with what was done, in words; fails with a {@link TfsException}
   * (NOT_FOUND for a missing file) for the client to see.
   */
  CompletionStage<String> apply(TfsPath path, String op);

  /** The hints of the node's operator, reported in words. */
  static Hints of(NodeOperator operator) {
    return (path, op) -> operator.hint(path, HintOp.parse(op)).thenApply(Object::toString);
  }

  /** For a node without a cache: every hint fails with UNAVAILABLE. */
  static Hints unsupported() {
    return (path, op) -> CompletableFuture.failedFuture(
        new TfsException(ErrorCode.UNAVAILABLE, "cache hints are not available on this node"));
  }
}
