package io.tensorfs.gateway.grpc;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.grpc.v1.AttachLocalReply;
import io.tensorfs.gateway.grpc.v1.AttachLocalRequest;
import io.tensorfs.sharding.auth.Caller;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What gRPC {@code AttachLocal} calls: attaches a client's shared-memory channel on this host, whose requests
 * then run as {@code caller}. Implemented by the local channel's service; thread-safe.
 */
public interface LocalAttach {
  CompletionStage<AttachLocalReply> attach(Caller caller, AttachLocalRequest request);

  /** A node that serves no local channel: every attach fails UNAVAILABLE (clients then use gRPC). */
  static LocalAttach none() {
    return (caller, request) -> CompletableFuture.failedFuture(
        new TfsException(ErrorCode.UNAVAILABLE, "this node serves no local channel"));
  }
}
