package io.tensorfs.client.local;

import static io.tensorfs.client.local.Layout.*;

import io.tensorfs.gateway.grpc.v1.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A tenant's KV blocks over a {@link LocalChannel}, batched, one result per key in order: each batch is one
 * request (or several, when its keys do not fit in one slot), values and outs passed in place when they are
 * {@link SharedBuffer} slices, else through the slot or the channel's staging segment. What
 * {@code TfsClient.kv()} answers with when a channel is attached. Thread-safe.
 */
public final class ChannelKv {
  private final LocalChannel channel;

  public ChannelKv(LocalChannel channel) {
    this.channel = channel;
  }

  /** One key's outcome: {@code status} "OK" or an error code name ("NOT_FOUND" is a miss); {@code length} the block's. */
  public record KvResult(String status, long length) {
    public boolean ok() {
      return "OK".equals(status);
    }
  }

  /** Per key whether it is present, and how many leading keys are. */
  public record KvExists(List<Boolean> present, int prefix) {}

  /** Puts each value (its remaining bytes) under its key. */
  public CompletionStage<List<KvResult>> put(String tenant, List<String> keys, List<ByteBuffer> values) {
    same(keys, values, "values");
    return inGroups(tenant, keys, (from, to) -> {
      Transfer t = new Transfer(channel, values.subList(from, to), true);
      List<String> part = keys.subList(from, to);
      return t.prepare(inlineRoom(tenant, part)).thenCompose(x -> channel.submit(
          s -> encode(s, OP_KV_PUT, tenant, part, t),
          s -> results(s, part.size()), t::release));
    });
  }

  /** Reads each key's block into its buffer from its position (not moved); a block longer than the room is TOO_LARGE. */
  public CompletionStage<List<KvResult>> get(String tenant, List<String> keys, List<ByteBuffer> outs) {
    same(keys, outs, "outs");
    return inGroups(tenant, keys, (from, to) -> {
      Transfer t = new Transfer(channel, outs.subList(from, to), false);
      List<String> part = keys.subList(from, to);
      return t.prepare(inlineRoom(tenant, part)).thenCompose(x -> channel.submit(
          s -> encode(s, OP_KV_GET, tenant, part, t),
          s -> {
            long[] lengths = new long[part.size()];
            for (int i = 0; i < lengths.length; i++) lengths[i] = s.resultStatus(i) == 0 ? s.resultLength(i) : 0;
            t.copyBack(lengths);
            return results(s, part.size());
          }, t::release));
    });
  }

  /** Per key whether it is present, and the present prefix. */
  public CompletionStage<KvExists> exists(String tenant, List<String> keys) {
    return inGroups(tenant, keys, (from, to) -> channel.submit(
        s -> encode(s, OP_KV_EXISTS, tenant, keys.subList(from, to), null),
        s -> results(s, to - from))).thenApply(results -> {
          List<Boolean> present = new ArrayList<>(results.size());
          for (KvResult r : results) present.add(r.ok());
          int prefix = 0;
          while (prefix < present.size() && present.get(prefix)) prefix++;
          return new KvExists(present, prefix);
        });
  }

  /** Per key whether it held a block. */
  public CompletionStage<List<Boolean>> remove(String tenant, List<String> keys) {
    return inGroups(tenant, keys, (from, to) -> channel.submit(
        s -> encode(s, OP_KV_REMOVE, tenant, keys.subList(from, to), null),
        s -> results(s, to - from))).thenApply(results -> results.stream().map(KvResult::ok).toList());
  }

  private void encode(Slot s, int op, String tenant, List<String> keys, Transfer t) {
    s.begin(op, 0, keys.size(), 0);
    boolean fits = s.string(tenant);
    for (String key : keys) fits &= s.string(key);
    fits &= s.align8();
    int sgeAt = t == null ? 0 : s.skip(SGE_BYTES * keys.size());
    fits &= sgeAt >= 0 && s.results(keys.size());
    if (!fits) throw new IllegalArgumentException("the keys do not fit in a slot");
    if (t != null) t.encode(s, sgeAt);
    s.finish(0);
  }

  private static List<KvResult> results(Slot s, int count) {
    List<KvResult> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int status = s.resultStatus(i);
      Status code = Status.forNumber(status);
      out.add(new KvResult(code == null ? "INTERNAL" : code.name(), s.resultLength(i)));
    }
    return out;
  }

  private interface Group {
    CompletableFuture<List<KvResult>> run(int from, int to);
  }

  /** Runs the keys in groups that fit a slot (keys and SGEs in at most half of it), results in key order. */
  private CompletableFuture<List<KvResult>> inGroups(String tenant, List<String> keys, Group group) {
    List<CompletableFuture<List<KvResult>>> parts = new ArrayList<>();
    int budget = channel.slotBytes() / 2 - ARGS_AT - 2 - utf8(tenant) - 16;
    int from = 0;
    long used = 0;
    for (int i = 0; i < keys.size(); i++) {
      long cost = 2 + utf8(keys.get(i)) + SGE_BYTES + RESULT_BYTES;
      if (i > from && (used + cost > budget || i - from >= MAX_KEYS)) {
        parts.add(group.run(from, i));
        from = i;
        used = 0;
      }
      used += cost;
    }
    if (from < keys.size() || keys.isEmpty()) parts.add(group.run(from, keys.size()));
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(x -> {
      List<KvResult> all = new ArrayList<>(keys.size());
      for (CompletableFuture<List<KvResult>> p : parts) all.addAll(p.getNow(List.of()));
      return all;
    });
  }

  private long inlineRoom(String tenant, List<String> keys) {
    long args = ARGS_AT + 2 + utf8(tenant) + 16;
    for (String k : keys) args += 2 + utf8(k) + SGE_BYTES + RESULT_BYTES;
    return Math.max(0, channel.slotBytes() - ERROR_TEXT_FROM_END - args);
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static void same(List<String> keys, List<ByteBuffer> buffers, String what) {
    if (keys.size() != buffers.size()) {
      throw new IllegalArgumentException(keys.size() + " keys and " + buffers.size() + " " + what);
    }
  }
}
