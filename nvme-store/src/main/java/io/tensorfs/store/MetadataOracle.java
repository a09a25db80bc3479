package io.tensorfs.store;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import java.util.concurrent.CompletionStage;

/**
 * What a store asks the metadata during its scan at start. Implemented by the sharding module, so
 * the store never depends on it.
 */
public interface MetadataOracle {
  /** Whether a file version found on disk is still wanted, and which chunks it should have here. */
  CompletionStage<Verdict> check(FileId file, TfsPath owner, String store);

  /** Records that a replica the metadata expects on {@code store} was not found. */
  CompletionStage<Void> reportMissing(ChunkId chunk, String store);

  sealed interface Verdict {}

  /** Sealed and current: {@code chunksHere} are the indexes the metadata places on this store. */
  record Live(java.util.Set<Integer> chunksHere) implements Verdict {}

  /**
   * Not current and not being written (an abandoned upload, or a version the metadata has no record of): the
   * bytes may be removed once the store's orphan grace has passed since they were last written.
   */
  record Orphan() implements Verdict {}

  /** An upload of this version is under way: its writer owns the bytes, keep them. */
  record Pending(String why) implements Verdict {}

  /** Could not tell (the metadata is unreachable): keep the bytes; the store asks again later. */
  record Unknown(String why) implements Verdict {}
}
