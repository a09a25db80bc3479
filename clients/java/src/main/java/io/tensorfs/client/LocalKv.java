package io.tensorfs.client;

import io.tensorfs.client.local.ChannelException;
import io.tensorfs.client.local.ChannelKv;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** {@link KvClient} over the local channel ({@link ChannelKv}), failures as {@link TfsClientException}. Thread-safe. */
final class LocalKv implements KvClient {
  private final ChannelKv kv;

  LocalKv(ChannelKv kv) {
    this.kv = kv;
  }

  @Override
  public CompletionStage<List<KvResult>> put(String tenant, List<String> keys, List<ByteBuffer> values) {
    return translated(kv.put(tenant, keys, values).thenApply(LocalKv::results));
  }

  @Override
  public CompletionStage<List<KvResult>> get(String tenant, List<String> keys, List<ByteBuffer> outs) {
    return translated(kv.get(tenant, keys, outs).thenApply(LocalKv::results));
  }

  @Override
  public CompletionStage<KvExists> exists(String tenant, List<String> keys) {
    return translated(kv.exists(tenant, keys).thenApply(e -> new KvExists(e.present(), e.prefix())));
  }

  @Override
  public CompletionStage<List<Boolean>> remove(String tenant, List<String> keys) {
    return translated(kv.remove(tenant, keys));
  }

  private static List<KvResult> results(List<ChannelKv.KvResult> results) {
    return results.stream().map(r -> new KvResult(r.status(), r.length(), "")).toList();
  }

  /** The channel's failures as the client's. */
  private static <T> CompletionStage<T> translated(CompletionStage<T> stage) {
    return stage.handle((v, e) -> {
      if (e == null) return v;
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof ChannelException c) throw new TfsClientException(c.code(), c.getMessage(), c);
      throw e instanceof CompletionException ce ? ce : new CompletionException(e);
    });
  }
}
