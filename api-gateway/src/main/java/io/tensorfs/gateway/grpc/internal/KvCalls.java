package io.tensorfs.gateway.grpc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.grpc.v1.KvExistsReply;
import io.tensorfs.gateway.grpc.v1.KvGetReply;
import io.tensorfs.gateway.grpc.v1.KvGetRequest;
import io.tensorfs.gateway.grpc.v1.KvKeys;
import io.tensorfs.gateway.grpc.v1.KvPutRequest;
import io.tensorfs.gateway.grpc.v1.KvReply;
import io.tensorfs.gateway.grpc.v1.KvResult;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvHeld;
import io.tensorfs.sharding.kv.KvReservation;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The gRPC KV calls of one {@link Caller}: the tenant passes {@link Access} first (put and remove need to
 * write, get and exists to read; FORBIDDEN fails the whole call), then each key gets its own result. Values
 * come inline or through one SGE per key (a client's shared-memory segment or GPU buffer on this host):
 * a put reserves the block's room in the node's pinned pages and copies (or DMAs) the value straight into
 * it; a get holds the block's pages and copies (or DMAs) from them, so a block crosses memory once on the
 * node. Thread-safe; holds no per-request state.
 */
final class KvCalls {
  /** Most keys in one call. */
  static final int MAX_KEYS = 4096;

  private final KvBlocks kv;
  private final BatchIo memory;
  private final Caller caller;

  /** @param memory resolves SGEs and copies to and from GPUs (unused by inline calls) */
  KvCalls(KvBlocks kv, BatchIo memory, Caller caller) {
    this.kv = kv;
    this.memory = memory;
    this.caller = caller;
  }

  CompletionStage<KvReply> put(KvPutRequest in) {
    String tenant = allowed(in.getTenant(), Operation.WRITE, in.getKeysCount());
    List<String> keys = in.getKeysList();
    boolean inline = in.getSgesCount() == 0;
    if (inline ? in.getValuesCount() != keys.size() : (in.getValuesCount() != 0 || in.getSgesCount() != keys.size())) {
      throw bad("a put takes one value or one SGE per key: " + keys.size() + " keys, " + in.getValuesCount()
          + " values, " + in.getSgesCount() + " SGEs");
    }
    if (inline) {
      List<CompletableFuture<KvResult>> each = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) each.add(putInline(tenant, keys.get(i), in.getValues(i)));
      return reply(each);
    }
    return memory.resolve(in.getSgesList()).thenCompose(sources -> {
      List<CompletableFuture<KvResult>> each = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) each.add(putFrom(tenant, keys.get(i), sources.get(i)));
      return reply(each);
    });
  }

  private CompletableFuture<KvResult> putInline(String tenant, String key, ByteString value) {
    KvReservation room;
    try {
      room = kv.reserve(tenant, key, value.size());
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failed(e));
    }
    try {
      int at = 0;
      for (ByteBuffer b : room.buffers()) {
        int n = b.remaining();
        value.substring(at, at + n).copyTo(b.duplicate());
        at += n;
      }
    } catch (RuntimeException e) {
      room.abort();
      throw e;
    }
    return committed(room, value.size());
  }

  private CompletableFuture<KvResult> putFrom(String tenant, String key, Memory source) {
    return KvMemory.put(kv, memory.gpus(), tenant, key, source).handle((d, e) -> e != null ? failed(e) : ok(source.length()));
  }

  private static CompletableFuture<KvResult> committed(KvReservation room, long length) {
    return room.commit().toCompletableFuture().handle((d, e) -> e != null ? failed(e) : ok(length));
  }

  CompletionStage<KvGetReply> get(KvGetRequest in) {
    String tenant = allowed(in.getTenant(), Operation.READ, in.getKeysCount());
    List<String> keys = in.getKeysList();
    boolean inline = in.getSgesCount() == 0;
    if (!inline && in.getSgesCount() != keys.size()) {
      throw bad("a get takes no SGE or one per key: " + keys.size() + " keys, " + in.getSgesCount() + " SGEs");
    }
    Valid valid = Valid.of(tenant, keys);
    CompletionStage<List<Memory>> targets = inline
        ? CompletableFuture.completedFuture(null)
        : memory.resolve(in.getSgesList());
    return targets.thenCompose(outs -> kv.hold(tenant, valid.keys).thenCompose(held -> {
      List<CompletableFuture<KvResult>> each = new ArrayList<>(keys.size());
      ByteString[] values = new ByteString[keys.size()];
      java.util.Arrays.fill(values, ByteString.EMPTY);
      int h = 0;
      for (int i = 0; i < keys.size(); i++) {
        if (valid.refused[i] != null) {
          each.add(CompletableFuture.completedFuture(failed(valid.refused[i])));
          continue;
        }
        Optional<KvHeld> block = held.get(h++);
        if (block.isEmpty()) {
          each.add(CompletableFuture.completedFuture(KvResult.newBuilder().setStatus(Status.NOT_FOUND)
              .setMessage("no KV block " + keys.get(i) + " in " + tenant).build()));
        } else if (inline) {
          try (KvHeld b = block.get()) {
            values[i] = UnsafeByteOperations.unsafeWrap(bytesOf(b));
            each.add(CompletableFuture.completedFuture(ok(b.length())));
          }
        } else {
          each.add(deliver(block.get(), outs.get(i)));
        }
      }
      return reply(each).thenApply(r -> {
        KvGetReply.Builder out = KvGetReply.newBuilder().addAllResults(r.getResultsList());
        if (inline) for (ByteString v : values) out.addValues(v);
        return out.build();
      });
    }));
  }

  /** Copies a held block into a client's memory, then lets it go. */
  private CompletableFuture<KvResult> deliver(KvHeld block, Memory target) {
    long length = block.length();
    if (length > target.length()) {
      block.close();
      return CompletableFuture.completedFuture(KvResult.newBuilder().setStatus(Status.TOO_LARGE).setLength(length)
          .setMessage("the block of " + length + " bytes does not fit the SGE's " + target.length() + " bytes").build());
    }
    return KvMemory.deliver(block, target, memory.gpus()).handle((x, e) -> e != null ? failed(e) : ok(length));
  }

  CompletionStage<KvExistsReply> exists(KvKeys in) {
    String tenant = allowed(in.getTenant(), Operation.READ, in.getKeysCount());
    return kv.exists(tenant, in.getKeysList())
        .thenApply(p -> KvExistsReply.newBuilder().addAllPresent(p.present()).setPrefix(p.prefix()).build());
  }

  CompletionStage<KvReply> remove(KvKeys in) {
    String tenant = allowed(in.getTenant(), Operation.DELETE, in.getKeysCount());
    List<String> keys = in.getKeysList();
    Valid valid = Valid.of(tenant, keys);
    return kv.removeAll(tenant, valid.keys).thenApply(removed -> {
      KvReply.Builder out = KvReply.newBuilder();
      int r = 0;
      for (int i = 0; i < keys.size(); i++) {
        if (valid.refused[i] != null) {
          out.addResults(failed(valid.refused[i]));
        } else if (removed.get(r++)) {
          out.addResults(ok(0));
        } else {
          out.addResults(KvResult.newBuilder().setStatus(Status.NOT_FOUND)
              .setMessage("no KV block " + keys.get(i) + " in " + tenant));
        }
      }
      return out.build();
    });
  }

  /** The keys that name a valid path below the tenant, and why each other one does not. */
  private record Valid(List<String> keys, RuntimeException[] refused) {
    static Valid of(String tenant, List<String> keys) {
      List<String> ok = new ArrayList<>(keys.size());
      RuntimeException[] refused = new RuntimeException[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        String k = keys.get(i);
        try {
          if (k.isEmpty()) throw new TfsException(ErrorCode.BAD_PATH, "empty KV key");
          TfsPath.parse("/" + tenant + "/" + k);
          ok.add(k);
        } catch (TfsException e) {
          refused[i] = e;
        }
      }
      return new Valid(ok, refused);
    }
  }

  /** The tenant, once {@link Access} lets the caller do {@code op} in it. */
  private String allowed(String tenant, Operation op, int keys) {
    if (tenant.isEmpty() || tenant.contains("/")) throw new TfsException(ErrorCode.BAD_PATH, "bad KV tenant: '" + tenant + "'");
    Access.check(caller, op, TfsPath.parse("/" + tenant));
    if (keys > MAX_KEYS) throw bad("at most " + MAX_KEYS + " keys in one call, not " + keys);
    return tenant;
  }

  private static CompletionStage<KvReply> reply(List<CompletableFuture<KvResult>> each) {
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(x -> {
      KvReply.Builder out = KvReply.newBuilder();
      for (CompletableFuture<KvResult> r : each) out.addResults(r.getNow(null));
      return out.build();
    });
  }

  private static byte[] bytesOf(KvHeld block) {
    byte[] out = new byte[Math.toIntExact(block.length())];
    int at = 0;
    for (ByteBuffer b : block.buffers()) {
      int n = b.remaining();
      b.duplicate().get(out, at, n);
      at += n;
    }
    return out;
  }

  private static KvResult ok(long length) {
    return KvResult.newBuilder().setStatus(Status.OK).setLength(length).build();
  }

  private static KvResult failed(Throwable e) {
    Errors.Failure f = Errors.of(e);
    return KvResult.newBuilder().setStatus(Errors.wire(f.code())).setMessage(f.message()).build();
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
