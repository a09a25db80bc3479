package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.ReservedPaths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's checkpoint operator, which the edges (gRPC, HTTP) call: begin, save (a rank's stream of
 * item bytes), commit, abort, describe, list, latest, restore, delete and retention.
 *
 * <p>A checkpoint's metadata is its job's {@link CheckpointJobEntity}; its bytes are ordinary files,
 * one per part of an item, written through {@link NodeOperator#putReserved} at
 * {@code /tenant/job/.checkpoints/<step>-<id>/<rank>/<item>.<part>}, so placement, chain replication,
 * repair and the caches apply to them as to any file. A save takes a rank's bytes only as fast as the
 * part being written is made durable by its replicas (the stream is pulled by the put), so the node
 * holds a few write batches per stream whatever the checkpoint's size. A part is acknowledged once its
 * file is sealed and recorded in the job's entity; a cut-off save resumes from there.
 *
 * <p>Thread-safe; a save's own state is confined to its stream.
 */
public final class Checkpoints {
  private static final Logger log = LoggerFactory.getLogger(Checkpoints.class);

  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final CheckpointSettings settings;
  private final ClusterSharding sharding;
  /** Removals running on this node, by checkpoint id: one at a time each. */
  private final Set<String> removingNow = ConcurrentHashMap.newKeySet();

  /** Reads {@link CheckpointSettings} from the system's config; starts sharding for the job entity. */
  public Checkpoints(ActorSystem<?> system, NodeOperator files) {
    this(system, files, CheckpointSettings.from(system.settings().config()));
  }

  public Checkpoints(ActorSystem<?> system, NodeOperator files, CheckpointSettings settings) {
    CheckpointSetup.init(system);
    this.system = system;
    this.files = files;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
  }

  // ---- names

  /** A checkpoint's name: {@code /tenant/job/step}, three segments, none reserved. BAD_PATH otherwise. */
  public static TfsPath checkName(TfsPath name) {
    if (name.segments().size() != 3 || ReservedPaths.isReserved(name)) {
      throw new TfsException(ErrorCode.BAD_PATH, "a checkpoint is named /tenant/job/step, not " + name);
    }
    return name;
  }

  /** A job: {@code /tenant/job}, two segments, none reserved. BAD_PATH otherwise. */
  public static TfsPath checkJob(TfsPath job) {
    if (job.segments().size() != 2 || ReservedPaths.isReserved(job)) {
      throw new TfsException(ErrorCode.BAD_PATH, "a checkpoint job is named /tenant/job, not " + job);
    }
    return job;
  }

  // ---- the life of a checkpoint

  /** Opens a checkpoint for {@code ranks} ranks; CONFLICT if the name is open or committed already. */
  public CompletionStage<Checkpoint> begin(TfsPath name, int ranks, Policy policy, int keepLast) {
    return attempt(() -> ask(checkName(name).parent(),
        r -> new CheckpointJobEntity.Begin(name.name(), ranks, policy, keepLast, settings.partSizeBytes(), r)))
        .thenApply(reply -> ((CheckpointJobEntity.Done) reply).checkpoint());
  }

  /**
   * Saves a rank's pieces, in order, and replies the state of every item they touched. Each item's
   * bytes must start at its acknowledged offset (PRECONDITION_FAILED naming it otherwise) and stay within
   * its declared size (BAD_REQUEST). An item left inside a part for another item is BAD_REQUEST; a stream
   * that ends inside a part keeps the item's bytes up to its last whole part (its acknowledged offset).
   */
  public CompletionStage<List<Item>> save(TfsPath name, int rank, Source<SavePiece, ?> pieces) {
    return describe(name).thenCompose(c -> {
      if (c.committed()) throw new TfsException(ErrorCode.CONFLICT, c.name() + " is committed: it cannot change");
      if (rank < 0 || rank >= c.ranks()) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "rank " + rank + " is not one of the " + c.ranks()
            + " ranks of " + c.name());
      }
      SaveStream run = new SaveStream(this, c, rank);
      return pieces
          .mapAsync(1, run::tag)
          .mapConcat(tagged -> tagged)
          .splitWhen(SaveStream.Tagged::startsPart)
          .prefixAndTail(1)
          .mapAsync(1, headAndTail -> run.writePart(headAndTail.first().get(0), headAndTail.second()))
          .mergeSubstreamsWithParallelism(SaveStream.PARTS_IN_FLIGHT)
          .runWith(Sink.ignore(), system)
          .thenCompose(done -> run.finish());
    });
  }

  /**
   * Saves bytes of one item from {@code offset} (HTTP's PUT of an item): {@link #save} of one item.
   *
   * @param sizeBytes the item's whole size; empty: as declared (a new item is then empty)
   */
  public CompletionStage<Item> saveItem(TfsPath name, int rank, String key, long offset, OptionalLong sizeBytes,
      Source<ByteString, ?> body) {
    long[] at = {offset};
    Source<SavePiece, ?> pieces = Source.single(new SavePiece(key, offset, sizeBytes, ByteString.emptyByteString(), false))
        .concat(body.filter(b -> !b.isEmpty()).map(b -> {
          SavePiece p = new SavePiece(key, at[0], OptionalLong.empty(), b, false);
          at[0] += b.size();
          return p;
        }));
    return save(name, rank, pieces).thenApply(items -> items.stream().filter(i -> i.is(rank, key)).findFirst()
        .orElseThrow(() -> new TfsException(ErrorCode.INTERNAL, "the save of " + key + " touched no item")));
  }

  /** Rank {@code rank} has saved all its items. */
  public CompletionStage<Checkpoint> rankDone(TfsPath name, int rank) {
    return attempt(() -> ask(checkName(name).parent(), r -> new CheckpointJobEntity.RankDone(name.name(), rank, r)))
        .thenApply(reply -> ((CheckpointJobEntity.Done) reply).checkpoint());
  }

  /**
   * Makes the checkpoint visible, atomically, with every rank done and every item complete (CONFLICT
   * naming the missing ranks or incomplete items otherwise); the job's retention then deletes the oldest.
   */
  public CompletionStage<Checkpoint> commit(TfsPath name) {
    return removing(name, r -> new CheckpointJobEntity.Commit(name.name(), r));
  }

  /** Drops an open checkpoint and its bytes; CONFLICT for a committed one, NOT_FOUND for none. */
  public CompletionStage<Checkpoint> abort(TfsPath name) {
    return removing(name, r -> new CheckpointJobEntity.Abort(name.name(), r));
  }

  /** Deletes a checkpoint, open or committed, and its bytes; NOT_FOUND for none. */
  public CompletionStage<Checkpoint> delete(TfsPath name) {
    return removing(name, r -> new CheckpointJobEntity.Delete(name.name(), r));
  }

  private CompletionStage<Checkpoint> removing(TfsPath name,
      Function<ActorRef<CheckpointJobEntity.Reply>, CheckpointJobEntity.Command> message) {
    return attempt(() -> ask(checkName(name).parent(), message)).thenApply(reply -> {
      CheckpointJobEntity.Done done = (CheckpointJobEntity.Done) reply;
      removeAll(name.parent(), done.removing());
      return done.checkpoint();
    });
  }

  /** A checkpoint as it stands, open or committed; NOT_FOUND for none. */
  public CompletionStage<Checkpoint> describe(TfsPath name) {
    return attempt(() -> ask(checkName(name).parent(), r -> new CheckpointJobEntity.Get(name.name(), r)))
        .thenApply(reply -> ((CheckpointJobEntity.Done) reply).checkpoint());
  }

  /** The committed checkpoints of a job, oldest first; empty for a job without any. */
  public CompletionStage<List<Checkpoint>> list(TfsPath job) {
    return attempt(() -> ask(checkJob(job), CheckpointJobEntity.GetAll::new)).thenApply(reply -> {
      CheckpointJobEntity.Job all = (CheckpointJobEntity.Job) reply;
      removeAll(job, all.removing()); // what a crash left half removed
      return committedOf(all);
    });
  }

  /** The newest committed checkpoint of a job; NOT_FOUND when there is none. */
  public CompletionStage<Checkpoint> latest(TfsPath job) {
    return list(job).thenApply(all -> {
      if (all.isEmpty()) throw new TfsException(ErrorCode.NOT_FOUND, "no committed checkpoint of " + job);
      return all.get(all.size() - 1);
    });
  }

  /** Keeps the newest {@code keepLast} committed checkpoints of a job and deletes the others; replies those kept. */
  public CompletionStage<List<Checkpoint>> retain(TfsPath job, int keepLast) {
    return attempt(() -> ask(checkJob(job), r -> new CheckpointJobEntity.Retain(keepLast, r))).thenApply(reply -> {
      CheckpointJobEntity.Job all = (CheckpointJobEntity.Job) reply;
      removeAll(job, all.removing());
      return committedOf(all);
    });
  }

  private static List<Checkpoint> committedOf(CheckpointJobEntity.Job all) {
    return all.checkpoints().stream().filter(Checkpoint::committed)
        .sorted(Comparator.comparingLong(Checkpoint::committedAtMillis)).toList();
  }

  // ---- restore

  /**
   * A committed checkpoint's items ({@code items}, or all when empty), each as its start followed by its
   * bytes in order, read part by part through the node's reads (cache, replicas, fail-over). NOT_FOUND
   * for a name that is not committed or an item it does not hold.
   */
  public Source<RestorePiece, NotUsed> restore(TfsPath name, List<ItemRef> items) {
    return Source.completionStage(committed(name))
        .flatMapConcat(c -> Source.from(select(c, items)))
        .flatMapConcat(item -> Source.single(new RestorePiece(Optional.of(item), ByteString.emptyByteString()))
            .concat(Source.from(item.parts())
                .mapAsync(1, this::openPart)
                .flatMapConcat(v -> files.read(v, 0, v.size()))
                .map(bytes -> new RestorePiece(Optional.empty(), bytes))));
  }

  /** A committed item with its parts' versions, for reads of it into buffers. */
  public CompletionStage<ItemParts> item(TfsPath name, ItemRef ref) {
    return committed(name).thenCompose(c -> {
      Item item = select(c, List.of(ref)).get(0);
      List<CompletableFuture<FileVersion>> parts = new ArrayList<>();
      for (Part p : item.parts()) parts.add(openPart(p).toCompletableFuture());
      return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
          .thenApply(x -> new ItemParts(item, parts.stream().map(f -> f.getNow(null)).toList()));
    });
  }

  private CompletionStage<Checkpoint> committed(TfsPath name) {
    return describe(name).thenApply(c -> {
      if (!c.committed()) throw new TfsException(ErrorCode.NOT_FOUND, name + " is not committed");
      return c;
    });
  }

  private static List<Item> select(Checkpoint c, List<ItemRef> refs) {
    if (refs.isEmpty()) return c.items();
    List<Item> out = new ArrayList<>(refs.size());
    for (ItemRef ref : refs) {
      out.add(c.item(ref.rank(), ref.key()).orElseThrow(() -> new TfsException(ErrorCode.NOT_FOUND,
          c.name() + " has no item rank " + ref.rank() + " '" + ref.key() + "'")));
    }
    return out;
  }

  /** The sealed version of a part; a part replaced under the checkpoint (never by this API) is an error. */
  private CompletionStage<FileVersion> openPart(Part part) {
    return files.stat(part.path()).thenApply(v -> {
      if (!v.fileId().equals(part.fileId())) {
        throw new TfsException(ErrorCode.CHECKSUM_MISMATCH, "part " + part.path() + " is version " + v.version()
            + ", not the " + part.version() + " the checkpoint recorded");
      }
      return v;
    });
  }

  // ---- removal of part files

  /**
   * Deletes the part files of checkpoints that left their job, then lets the entity forget them. Runs in
   * the background; one that fails is taken up again by the next list of the job.
   */
  private void removeAll(TfsPath job, List<Checkpoint> removing) {
    for (Checkpoint c : removing) {
      if (!removingNow.add(c.id())) continue;
      deleteFiles(c.partsDir())
          .thenCompose(d -> ask(job, r -> new CheckpointJobEntity.Forget(c.id(), r)))
          .whenComplete((x, e) -> {
            removingNow.remove(c.id());
            if (e != null) log.warn("removal of {} ({}) failed; the next list retries: {}", c.name(), c.id(), e.toString());
          });
    }
  }

  /** Deletes every file under {@code dir}, recursively; a directory already gone is nothing to do. */
  private CompletionStage<Done> deleteFiles(TfsPath dir) {
    return files.list(dir).handle((entries, e) -> {
      if (e == null) return entries;
      if (TfsException.codeOf(Failures.unwrap(e)) == ErrorCode.NOT_FOUND) return List.<DirEntry>of();
      throw new TfsException(TfsException.codeOf(Failures.unwrap(e)), Failures.unwrap(e).getMessage());
    }).thenCompose(entries -> Source.from(entries)
        .mapAsync(4, entry -> entry.type() == DirEntry.Type.DIR
            ? deleteFiles(dir.child(entry.name()))
            : files.deleteReserved(dir.child(entry.name())).handle((v, e) -> {
              if (e != null && TfsException.codeOf(Failures.unwrap(e)) != ErrorCode.NOT_FOUND) {
                throw new TfsException(ErrorCode.IO_ERROR, "cannot delete " + dir.child(entry.name()) + ": "
                    + Failures.unwrap(e).getMessage());
              }
              return Done.getInstance();
            }))
        .runWith(Sink.ignore(), system));
  }

  // ---- asks

  private CompletionStage<CheckpointJobEntity.Reply> ask(TfsPath job,
      Function<ActorRef<CheckpointJobEntity.Reply>, CheckpointJobEntity.Command> message) {
    CompletableFuture<CheckpointJobEntity.Reply> result = new CompletableFuture<>();
    sharding.entityRefFor(CheckpointJobEntity.ENTITY_TYPE_KEY, job.toString())
        .ask(message, settings.askTimeout())
        .whenCompleteAsync((reply, failure) -> {
          if (failure != null) {
            result.completeExceptionally(translate(failure, job));
          } else if (reply instanceof CheckpointJobEntity.Refused r) {
            result.completeExceptionally(new TfsException(r.code(), r.message()));
          } else {
            result.complete(reply);
          }
        }, Stages.ON_THE_SPOT);
    return result;
  }

  private TfsException translate(Throwable failure, TfsPath job) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof TfsException e) return e;
    if (cause instanceof TimeoutException) {
      return new TfsException(ErrorCode.UNAVAILABLE, "the checkpoints of " + job + " did not answer within "
          + settings.askTimeout().toMillis() + " ms", cause);
    }
    return new TfsException(ErrorCode.INTERNAL, "ask to the checkpoints of " + job + " failed: " + cause, cause);
  }

  private static <T> CompletionStage<T> attempt(java.util.function.Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** An ask whose reply is an item. */
  CompletionStage<Item> askItem(TfsPath job,
      Function<ActorRef<CheckpointJobEntity.Reply>, CheckpointJobEntity.Command> message) {
    return ask(job, message).thenApply(reply -> ((CheckpointJobEntity.ItemNow) reply).item());
  }

  NodeOperator files() {
    return files;
  }

  ActorSystem<?> system() {
    return system;
  }
}
