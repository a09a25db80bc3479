package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One checkpoint of a job as its entity holds it: open while ranks save, committed (visible, immutable)
 * once {@link CheckpointJobEntity.Commit} found every rank done and every item complete. Immutable.
 *
 * @param name              {@code /tenant/job/step}: the job's path and the step
 * @param id                chosen at begin; names the directory of the part files, so a name saved
 *                          again after a delete never meets the old bytes
 * @param ranks             the ranks expected to save: 0 .. ranks-1
 * @param keepLast          when positive, the job keeps only its newest keepLast committed checkpoints
 *                          once this one commits
 * @param partSizeBytes     items are stored in parts of this many bytes (the last one shorter)
 * @param committedAtMillis 0 while open
 * @param ranksDone         the ranks that said they are done, ascending
 * @param items             in the order they were declared
 */
public record Checkpoint(TfsPath name, String id, int ranks, Policy policy, int keepLast, int partSizeBytes,
    long begunAtMillis, long committedAtMillis, List<Integer> ranksDone, List<Item> items)
    implements CborSerializable {

  public Checkpoint {
    ranksDone = List.copyOf(ranksDone);
    items = List.copyOf(items);
  }

  public boolean committed() {
    return committedAtMillis > 0;
  }

  /** The step: the name's last segment. */
  public String step() {
    return name.name();
  }

  /** The job: the name's parent. */
  public TfsPath job() {
    return name.parent();
  }

  /** Bytes of all items: acknowledged bytes while open. */
  public long sizeBytes() {
    long n = 0;
    for (Item i : items) n += i.acknowledged();
    return n;
  }

  public Optional<Item> item(int rank, String key) {
    return items.stream().filter(i -> i.is(rank, key)).findFirst();
  }

  /** The ranks of 0 .. ranks-1 that have not said they are done. */
  public List<Integer> missingRanks() {
    List<Integer> out = new ArrayList<>();
    for (int r = 0; r < ranks; r++) if (!ranksDone.contains(r)) out.add(r);
    return out;
  }

  /** The directory of this checkpoint's part files: {@code /tenant/job/.checkpoints/<step>-<id>}. */
  public TfsPath partsDir() {
    String both = step() + "-" + id;
    String dir = both.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= TfsPath.MAX_SEGMENT_BYTES
        ? both : id;
    return job().child(io.tensorfs.sharding.operator.ReservedPaths.CHECKPOINTS).child(dir);
  }

  /** The path of part {@code part} of {@code item}: {@code <parts dir>/<rank>/<item number>.<part>}. */
  public TfsPath partPath(Item item, int part) {
    return partsDir().child(Integer.toString(item.rank())).child(item.number() + "." + part);
  }

  Checkpoint withItem(Item item) {
    List<Item> more = new ArrayList<>(items.size() + 1);
    boolean replaced = false;
    for (Item i : items) {
      if (i.is(item.rank(), item.key())) {
        more.add(item);
        replaced = true;
      } else {
        more.add(i);
      }
    }
    if (!replaced) more.add(item);
    return new Checkpoint(name, id, ranks, policy, keepLast, partSizeBytes, begunAtMillis, committedAtMillis,
        ranksDone, more);
  }

  Checkpoint withRankDone(int rank) {
    TreeSet<Integer> done = new TreeSet<>(ranksDone);
    done.add(rank);
    return new Checkpoint(name, id, ranks, policy, keepLast, partSizeBytes, begunAtMillis, committedAtMillis,
        List.copyOf(done), items);
  }

  Checkpoint committedAt(long millis) {
    return new Checkpoint(name, id, ranks, policy, keepLast, partSizeBytes, begunAtMillis, millis, ranksDone, items);
  }
}
