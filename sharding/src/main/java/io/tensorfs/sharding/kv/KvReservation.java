package io.tensorfs.sharding.kv;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Room for one block of a known length, filled by the caller and then put under its key in one step
 * ({@link #commit}) or given back ({@link #abort}). Not thread-safe; exactly one of the two is called.
 */
public interface KvReservation {
  long length();

  /** Writable buffers, in order, whose lengths add up to {@link #length()}. */
  List<ByteBuffer> buffers();

  /** Whether {@link #buffers()} are direct buffers in memory registered for device copies. */
  boolean pinned();

  /** Puts the filled bytes under the key, as {@link KvBlocks#put} does. */
  CompletionStage<Done> commit();

  /** Gives the room back; nothing is put. */
  void abort();
}
