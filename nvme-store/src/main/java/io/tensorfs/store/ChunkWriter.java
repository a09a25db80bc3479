package io.tensorfs.store;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * Writes one chunk replica. Calls are sequential: the caller waits for each returned stage before the
 * next call (this is what gives the upload stream its backpressure). Not thread-safe.
 */
public interface ChunkWriter {
  /** Appends bytes. Fails with NO_SPACE when the device is full, IO_ERROR otherwise. */
  CompletionStage<Done> append(ByteString bytes);

  /** Flushes, records the block checksums, fsyncs when durable; the replica is then readable. */
  CompletionStage<WrittenReplica> finish();

  /** Drops what was written. Safe to call after a failure, and more than once. */
  CompletionStage<Done> abort();
}
