package io.tensorfs.bench;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One client of the KV benchmark: batched puts and gets of whole blocks, each checked (a put must store
 * every key; a get must return every key's exact bytes, compared by CRC32C). Used by one thread at a time.
 */
interface KvBatchClient extends AutoCloseable {
  /** Puts each value's remaining bytes under its key; throws unless every key was stored. */
  void put(List<String> keys, List<ByteBuffer> values) throws Exception;

  /** Gets every key; throws unless each answers {@code length} bytes whose CRC32C is {@code crcs[i]}. */
  void get(List<String> keys, long length, int[] crcs) throws Exception;

  @Override
  void close() throws Exception;
}
