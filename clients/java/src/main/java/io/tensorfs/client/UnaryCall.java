package io.tensorfs.client;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The reply of one unary call as a future; failures translated by {@link ClientErrors}. Used once, by grpc-java's thread. */
final class UnaryCall<T> implements StreamObserver<T> {
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private T reply;

  CompletionStage<T> result() {
    return result;
  }

  @Override
  public void onNext(T value) {
    reply = value;
  }

  @Override
  public void onError(Throwable error) {
    result.completeExceptionally(ClientErrors.translate(error));
  }

  @Override
  public void onCompleted() {
    result.complete(reply);
  }
}
