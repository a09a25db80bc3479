package io.tensorfs.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tensorfs.gateway.grpc.v1.KvExistsReply;
import io.tensorfs.gateway.grpc.v1.KvGetReply;
import io.tensorfs.gateway.grpc.v1.KvGetRequest;
import io.tensorfs.gateway.grpc.v1.KvKeys;
import io.tensorfs.gateway.grpc.v1.KvPutRequest;
import io.tensorfs.gateway.grpc.v1.KvReply;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link KvClient} over the node's gRPC KV calls, values inline in the messages. A put sends the values'
 * remaining bytes without copying them into the message first; a get copies each returned block into its
 * buffer. Thread-safe; completions run on grpc-java's executor threads.
 */
final class GrpcKv implements KvClient {
  /** Largest reply accepted: a batch of inline blocks (the node's own limit is the same). */
  static final int MAX_REPLY_BYTES = Integer.MAX_VALUE;

  private final TensorfsGrpc.TensorfsStub grpc;

  GrpcKv(TensorfsGrpc.TensorfsStub grpc) {
    this.grpc = grpc.withMaxInboundMessageSize(MAX_REPLY_BYTES).withMaxOutboundMessageSize(MAX_REPLY_BYTES);
  }

  @Override
  public CompletionStage<List<KvResult>> put(String tenant, List<String> keys, List<ByteBuffer> values) {
    if (keys.size() != values.size()) return mismatch(keys.size(), values.size());
    KvPutRequest.Builder request = KvPutRequest.newBuilder().setTenant(tenant).addAllKeys(keys);
    for (ByteBuffer v : values) request.addValues(UnsafeByteOperations.unsafeWrap(v.duplicate()));
    UnaryCall<KvReply> call = new UnaryCall<>();
    grpc.kvPut(request.build(), call);
    return call.result().thenApply(reply -> results(reply.getResultsList()));
  }

  @Override
  public CompletionStage<List<KvResult>> get(String tenant, List<String> keys, List<ByteBuffer> outs) {
    if (keys.size() != outs.size()) return mismatch(keys.size(), outs.size());
    UnaryCall<KvGetReply> call = new UnaryCall<>();
    grpc.kvGet(KvGetRequest.newBuilder().setTenant(tenant).addAllKeys(keys).build(), call);
    return call.result().thenApply(reply -> {
      List<KvResult> results = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        io.tensorfs.gateway.grpc.v1.KvResult r = reply.getResults(i);
        if (r.getStatus() != Status.OK) {
          results.add(result(r));
          continue;
        }
        ByteString bytes = reply.getValues(i);
        ByteBuffer out = outs.get(i).duplicate();
        if (bytes.size() > out.remaining()) {
          results.add(new KvResult(Status.TOO_LARGE.name(), bytes.size(),
              "the block of " + bytes.size() + " bytes does not fit the " + out.remaining() + " bytes given for it"));
          continue;
        }
        bytes.copyTo(out);
        results.add(result(r));
      }
      return results;
    });
  }

  @Override
  public CompletionStage<KvExists> exists(String tenant, List<String> keys) {
    UnaryCall<KvExistsReply> call = new UnaryCall<>();
    grpc.kvExists(KvKeys.newBuilder().setTenant(tenant).addAllKeys(keys).build(), call);
    return call.result().thenApply(r -> new KvExists(List.copyOf(r.getPresentList()), r.getPrefix()));
  }

  @Override
  public CompletionStage<List<Boolean>> remove(String tenant, List<String> keys) {
    UnaryCall<KvReply> call = new UnaryCall<>();
    grpc.kvRemove(KvKeys.newBuilder().setTenant(tenant).addAllKeys(keys).build(), call);
    return call.result().thenApply(reply -> reply.getResultsList().stream().map(r -> r.getStatus() == Status.OK).toList());
  }

  private static List<KvResult> results(List<io.tensorfs.gateway.grpc.v1.KvResult> wire) {
    List<KvResult> out = new ArrayList<>(wire.size());
    for (io.tensorfs.gateway.grpc.v1.KvResult r : wire) out.add(result(r));
    return out;
  }

  private static KvResult result(io.tensorfs.gateway.grpc.v1.KvResult r) {
    return new KvResult(r.getStatus().name(), r.getLength(), r.getMessage());
  }

  private static <T> CompletionStage<T> mismatch(int keys, int buffers) {
    return CompletableFuture.failedFuture(new TfsClientException(Status.BAD_REQUEST,
        keys + " keys but " + buffers + " buffers: give one buffer per key", null));
  }
}
