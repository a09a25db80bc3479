package io.tensorfs.sharding.kv;

import java.util.List;
import java.util.Optional;
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
}
