package io.tensorfs.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tensorfs.core.Crc32c;
import io.tensorfs.sharding.checkpoint.Checkpoint;
import io.tensorfs.sharding.checkpoint.Item;
import java.time.Instant;
import java.util.List;

/** The JSON bodies of the HTTP checkpoint API. */
final class CheckpointJson {
  private CheckpointJson() {}

  /**
   * A checkpoint: with its items and the ranks done for a manifest, without them in a listing.
   *
   * @param size bytes of all items (acknowledged bytes while open)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Info(String name, String job, String step, String state, int ranks, long size, int items, String policy,
      int keepLast, String begunAt, String committedAt, List<Integer> ranksDone, List<ItemState> manifest) {
    static Info of(Checkpoint c, boolean withManifest) {
      return new Info(c.name().toString(), c.job().toString(), c.step(), c.committed() ? "committed" : "open",
          c.ranks(), c.sizeBytes(), c.items().size(), c.policy().text(), c.keepLast(),
          Instant.ofEpochMilli(c.begunAtMillis()).toString(),
          c.committed() ? Instant.ofEpochMilli(c.committedAtMillis()).toString() : null,
          withManifest ? c.ranksDone() : null,
          withManifest ? c.items().stream().map(ItemState::of).toList() : null);
    }
  }

  /** @param acknowledged bytes durable: where a cut-off save resumes ({@code ?offset=}) */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ItemState(int rank, String key, long size, long acknowledged, boolean complete, String crc32c) {
    static ItemState of(Item i) {
      return new ItemState(i.rank(), i.key(), i.sizeBytes(), i.acknowledged(), i.complete(),
          i.complete() ? Crc32c.hex(i.crc32c()) : null);
    }
  }

  record Listing(String job, List<Info> checkpoints) {
    static Listing of(String job, List<Checkpoint> all) {
      return new Listing(job, all.stream().map(c -> Info.of(c, false)).toList());
    }
  }
}
