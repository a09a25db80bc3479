package io.tensorfs.sharding.kv;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * KV-cache blocks of a tenant: small immutable values under keys, kept with soft metadata (no journal
 * write, no metadata-store statement per block). A block may be lost at any time (evicted, or its node
 * restarted): a miss is an answer, and the caller recomputes. A lookup that answers present returns
 * exactly the bytes that were put, never another put's. Thread-safe; every method returns at once.
 */
public interface KvBlocks {
  /**
   * Stores {@code bytes} under {@code key}, replacing any block the key held atomically: a reader sees the
   * old or the new bytes, whole. BAD_PATH for a tenant or key that is not a valid path below the tenant,
   * TOO_LARGE over the block limit, UNAVAILABLE when the key's index does not answer.
   */
  CompletionStage<Done> put(String tenant, String key, ByteString bytes);

  /** The bytes last put under {@code key}, or empty: never put, removed, evicted or lost. */
  CompletionStage<Optional<ByteString>> get(String tenant, String key);

  /** Which of {@code keys} are present, and how many leading keys are. */
  CompletionStage<KvPresence> exists(String tenant, List<String> keys);

  /** Forgets {@code key}; {@code true} when it held a block. */
  CompletionStage<Boolean> remove(String tenant, String key);

  /** The largest block {@link #put} takes, in bytes. */
  long maxBlockBytes();

  /**
   * Holds the blocks of {@code keys} for reading, one entry per key in order (empty: a miss). Every held
   * block must be closed. A failure of the whole call (UNAVAILABLE) leaves nothing held.
   */
  default CompletionStage<List<Optional<KvHeld>>> hold(String tenant, List<String> keys) {
    List<CompletableFuture<Optional<ByteString>>> gets = new ArrayList<>();
    for (String key : keys) gets.add(get(tenant, key).toCompletableFuture());
    return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).thenApply(x -> {
      List<Optional<KvHeld>> held = new ArrayList<>();
      for (CompletableFuture<Optional<ByteString>> g : gets) held.add(g.join().map(HeapHeld::new));
      return held;
    });
  }

  /**
   * Room for a block of {@code length} bytes under {@code key}, to fill and commit. BAD_PATH for an invalid
   * key, TOO_LARGE over {@link #maxBlockBytes()}, NO_SPACE when no memory can be freed for it.
   */
  default KvReservation reserve(String tenant, String key, long length) {
    if (length > maxBlockBytes()) {
      throw new TfsException(ErrorCode.TOO_LARGE, "a KV block is at most " + maxBlockBytes() + " bytes, not " + length);
    }
    ByteBuffer room = ByteBuffer.allocate(Math.toIntExact(length));
    KvBlocks blocks = this;
    return new KvReservation() {
      @Override public long length() { return length; }
      @Override public List<ByteBuffer> buffers() { return List.of(room); }
      @Override public boolean pinned() { return false; }
      @Override public CompletionStage<Done> commit() { return blocks.put(tenant, key, ByteString.fromArrayUnsafe(room.array())); }
      @Override public void abort() {}
    };
  }

  /** Forgets every key of {@code keys}; per key, {@code true} when it held a block. */
  default CompletionStage<List<Boolean>> removeAll(String tenant, List<String> keys) {
    List<CompletableFuture<Boolean>> removed = new ArrayList<>();
    for (String key : keys) removed.add(remove(tenant, key).toCompletableFuture());
    return CompletableFuture.allOf(removed.toArray(CompletableFuture[]::new))
        .thenApply(x -> removed.stream().map(CompletableFuture::join).toList());
  }

  /** A block held as heap bytes: nothing to give back. */
  record HeapHeld(ByteString bytes) implements KvHeld {
    @Override public long length() { return bytes.size(); }
    @Override public List<ByteBuffer> buffers() { return List.of(bytes.asByteBuffer()); }
    @Override public boolean pinned() { return false; }
    @Override public void close() {}
  }
}
