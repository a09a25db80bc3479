package io.tensorfs.client;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A tenant's KV-cache blocks, batched: one result per key, in order. A block may be lost (a miss is an
 * answer); a hit is exactly the bytes put. Over the node's local channel when the client runs on its host,
 * else gRPC; the same answers either way. Thread-safe.
 */
public interface KvClient {
  /** Puts each value (its remaining bytes) under its key. The buffers are not changed nor kept. */
  CompletionStage<List<KvResult>> put(String tenant, List<String> keys, List<ByteBuffer> values);

  /**
   * Reads each key's block into its buffer from the buffer's position (which is not moved); a result's
   * {@code length} is the block's. A block longer than the buffer's remaining room is TOO_LARGE for that key.
   */
  CompletionStage<List<KvResult>> get(String tenant, List<String> keys, List<ByteBuffer> outs);

  /** Per key whether it is present, and how many leading keys are. */
  CompletionStage<KvExists> exists(String tenant, List<String> keys);

  /** Per key whether it held a block. */
  CompletionStage<List<Boolean>> remove(String tenant, List<String> keys);

  /** One key's outcome: {@code status} "OK" or an error code name ("NOT_FOUND" is a miss). */
  record KvResult(String status, long length, String message) {
    public boolean ok() {
      return "OK".equals(status);
    }
  }

  record KvExists(List<Boolean> present, int prefix) {}
}
