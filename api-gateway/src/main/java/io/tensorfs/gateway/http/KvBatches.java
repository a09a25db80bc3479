package io.tensorfs.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvHeld;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * The batched KV routes, after the tenant passed {@code Access} in {@link KvRoutes}:
 *
 * <ul>
 *   <li>{@code POST /v1/kv/{tenant}?op=mget} with {@code {"keys":[..]}}: 200 {@value #BATCH_TYPE}, one record
 *       per key in order, {@code [u32 key index][i32 status][u64 length][bytes]} (little-endian; status the
 *       gRPC {@code Status} number, 0 OK, 3 NOT_FOUND a miss; bytes only when OK).
 *   <li>{@code POST /v1/kv/{tenant}?op=mput} with records {@code [u16 key length][key utf8][u64 length][bytes]}:
 *       200 {@code {"results":[{"status":"OK"|code,"length":n,"message":..}]}}, one per record in order. A body
 *       whose framing is broken is refused whole (400), before anything is put.
 * </ul>
 *
 * Thread-safe; holds no per-request state.
 */
final class KvBatches {
  static final String BATCH_TYPE = "application/x-tfs-kv-batch";
  /** Largest body of an mput and of an mget's key list, in bytes. */
  static final long MAX_BODY_BYTES = 512L << 20;
  /** Most keys in one batch. */
  static final int MAX_KEYS = 4096;
  private static final int RECORD_HEADER_BYTES = 16;
  private static final ContentType.Binary BATCH = ContentTypes.create(
      MediaTypes.customBinary("application", "x-tfs-kv-batch", false));

  private final ActorSystem<?> system;
  private final KvBlocks kv;
  private final Duration bodyTimeout;

  KvBatches(ActorSystem<?> system, KvBlocks kv, Duration bodyTimeout) {
    this.system = system;
    this.kv = kv;
    this.bodyTimeout = bodyTimeout;
  }

  CompletionStage<HttpResponse> mget(HttpRequest request, String tenant) {
    return body(request, 4 << 20).thenCompose(body -> {
      List<String> keys = KvRoutes.keysOf(body);
      if (keys.size() > MAX_KEYS) throw bad("at most " + MAX_KEYS + " keys in one batch, not " + keys.size());
      List<Integer> asked = new ArrayList<>();
      List<String> valid = new ArrayList<>();
      ErrorCode[] refused = new ErrorCode[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        if (validKey(tenant, keys.get(i))) {
          asked.add(i);
          valid.add(keys.get(i));
        } else {
          refused[i] = ErrorCode.BAD_PATH;
        }
      }
      return kv.hold(tenant, valid).thenApply(held -> {
        ByteString[] records = new ByteString[keys.size()];
        for (int i = 0; i < keys.size(); i++) if (refused[i] != null) records[i] = record(i, wireOf(refused[i]), 0, null);
        for (int j = 0; j < held.size(); j++) {
          int i = asked.get(j);
          Optional<KvHeld> block = held.get(j);
          if (block.isEmpty()) {
            records[i] = record(i, wireOf(ErrorCode.NOT_FOUND), 0, null);
            continue;
          }
          try (KvHeld b = block.get()) {
            records[i] = record(i, 0, b.length(), b.buffers());
          }
        }
        ByteStringBuilder out = ByteString.createBuilder();
        for (ByteString r : records) out.append(r);
        return HttpResponse.create().withEntity(HttpEntities.create(BATCH, out.result()));
      });
    });
  }

  CompletionStage<HttpResponse> mput(HttpRequest request, String tenant) {
    return body(request, MAX_BODY_BYTES).thenCompose(body -> {
      List<Framed> framed = parse(body);
      List<CompletableFuture<PutResult>> each = new ArrayList<>(framed.size());
      for (Framed f : framed) {
        each.add(attempt(() -> kv.put(tenant, f.key, f.bytes)).toCompletableFuture()
            .handle((d, e) -> e == null ? new PutResult("OK", f.bytes.size(), null) : failed(e)));
      }
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(x -> {
        List<PutResult> results = new ArrayList<>(each.size());
        for (CompletableFuture<PutResult> r : each) results.add(r.getNow(null));
        return Json.response(StatusCodes.OK, new PutResults(results));
      });
    });
  }

  /** One record of an mput body: a key and its bytes (a slice of the body). */
  private record Framed(String key, ByteString bytes) {}

  /** One key's outcome in an mput reply. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record PutResult(String status, long length, String message) {}

  record PutResults(List<PutResult> results) {}

  private static List<Framed> parse(ByteString body) {
    ByteBuffer in = body.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<Framed> out = new ArrayList<>();
    while (in.hasRemaining()) {
      if (out.size() == MAX_KEYS) throw bad("at most " + MAX_KEYS + " records in one batch");
      if (in.remaining() < 2) throw bad("record " + out.size() + " is cut short in its key length");
      int keyBytes = Short.toUnsignedInt(in.getShort());
      if (in.remaining() < keyBytes + 8) throw bad("record " + out.size() + " is cut short in its key or length");
      byte[] key = new byte[keyBytes];
      in.get(key);
      long length = in.getLong();
      if (length < 0 || length > in.remaining()) {
        throw bad("record " + out.size() + " says " + Long.toUnsignedString(length) + " bytes but " + in.remaining()
            + " are left in the body");
      }
      int at = in.position();
      out.add(new Framed(new String(key, StandardCharsets.UTF_8), body.slice(at, at + (int) length)));
      in.position(at + (int) length);
    }
    return out;
  }

  private static ByteString record(int index, int status, long length, List<ByteBuffer> bytes) {
    ByteBuffer head = ByteBuffer.allocate(RECORD_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(index).putInt(status).putLong(length).flip();
    ByteString out = ByteString.fromByteBuffer(head);
    if (bytes != null) for (ByteBuffer b : bytes) out = out.concat(ByteString.fromByteBuffer(b.duplicate()));
    return out;
  }

  private CompletionStage<ByteString> body(HttpRequest request, long max) {
    var declared = request.entity().getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > max) {
      request.discardEntityBytes(system);
      throw new TfsException(ErrorCode.TOO_LARGE, "a batch body is at most " + max + " bytes, not " + declared.getAsLong());
    }
    return request.entity().withSizeLimit(max).toStrict(bodyTimeout.toMillis(), max, system)
        .exceptionally(e -> {
          if (Failures.unwrap(e) instanceof EntityStreamSizeException) {
            throw new CompletionException(new TfsException(ErrorCode.TOO_LARGE, "a batch body is at most " + max + " bytes"));
          }
          throw new CompletionException(Failures.unwrap(e));
        })
        .thenApply(strict -> strict.getData());
  }

  private static boolean validKey(String tenant, String key) {
    if (key.isEmpty()) return false;
    try {
      TfsPath.parse("/" + tenant + "/" + key);
      return true;
    } catch (TfsException e) {
      return false;
    }
  }

  /** The gRPC {@code Status} number of a code (the wire's numbering, shared by every edge). */
  static int wireOf(ErrorCode code) {
    return io.tensorfs.gateway.grpc.v1.Status.valueOf(code.name()).getNumber();
  }

  private static PutResult failed(Throwable e) {
    Throwable c = Failures.unwrap(e);
    if (c instanceof TfsException t) return new PutResult(t.code().name(), 0, t.getMessage());
    return new PutResult(ErrorCode.INTERNAL.name(), 0, String.valueOf(c));
  }

  private static <T> CompletionStage<T> attempt(java.util.function.Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
