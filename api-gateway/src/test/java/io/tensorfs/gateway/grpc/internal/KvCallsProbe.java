package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.gateway.grpc.v1.KvGetRequest;
import io.tensorfs.gateway.grpc.v1.KvPutRequest;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.kv.KvBlocks;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** The gRPC KV calls of one caller, for tests of their access checks: the error code of a call, or null. */
public final class KvCallsProbe {
  private final KvCalls calls;

  private KvCallsProbe(KvCalls calls) {
    this.calls = calls;
  }

  public static KvCallsProbe of(KvBlocks kv, Caller caller) {
    return new KvCallsProbe(new KvCalls(kv, null, caller));
  }

  public ErrorCode putCode(String tenant, String key) {
    return codeOf(() -> calls.put(KvPutRequest.newBuilder().setTenant(tenant).addKeys(key)
        .addValues(com.google.protobuf.ByteString.copyFromUtf8("x")).build()));
  }

  public ErrorCode getCode(String tenant, String key) {
    return codeOf(() -> calls.get(KvGetRequest.newBuilder().setTenant(tenant).addKeys(key).build()));
  }

  private static ErrorCode codeOf(java.util.function.Supplier<CompletionStage<?>> call) {
    try {
      call.get().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      return Errors.of(e).code();
    }
  }
}
