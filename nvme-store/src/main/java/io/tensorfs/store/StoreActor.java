package io.tensorfs.store;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.store.internal.Reconciliation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per store: reconciles it with the metadata at start, collects the bytes of file versions no
 * longer wanted once their readers are gone, and reports its state. It only coordinates: the file
 * work runs in its {@link ChunkStore}, on the store's executor, and comes back through pipeToSelf.
 */
public final class StoreActor extends AbstractBehavior<StoreActor.Command> {

  /** Every store of every node registers under this key: collections reach the replicas on other nodes. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-store");

  public sealed interface Command {}

  /**
   * Scans the store, asks {@code oracle} about each file version found, removes orphans and reports
   * missing chunks. Local only (the oracle is an object). No reply when the scan itself fails (an
   * unreadable directory): that is logged, and the asker's timeout tells.
   */
  public record Reconcile(MetadataOracle oracle, ActorRef<ReconcileReport> replyTo) implements Command {}

  /** Deletes a file version's bytes once no reader holds a lease on it; replies when they are gone. */
  public record CollectFile(FileId file, ActorRef<Done> replyTo) implements Command, CborSerializable {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command, CborSerializable {}

  /** @param usableBytes bytes still free for this store above the reserve */
  public record Stats(String storeId, String directory, long usableBytes, boolean directIo)
      implements CborSerializable {}

  private record Reconciled(Reconciliation.Result result, Throwable failure, MetadataOracle oracle,
      ActorRef<ReconcileReport> replyTo) implements Command {}

  /** The orphan grace of versions a reconcile deferred has passed: judge them again. */
  private record Rejudge(MetadataOracle oracle, List<ChunkStore.StoredFile> deferred) implements Command {}

  private record RetryCollect(FileId file) implements Command {}

  private record Collected(FileId file, Throwable failure) implements Command {}

  private final ChunkStore store;
  private final ReadLeases leases;
  private final Duration collectRetry;
  private final int reconcileParallelism;
  private final ReconcileSettings reconcileSettings;
  private final TimerScheduler<Command> timers;
  /** Collections under way, with everyone waiting for each. */
  private final Map<FileId, List<ActorRef<Done>>> collecting = new HashMap<>();

  /** A store actor whose reconcile rules are {@code tensorfs.store.reconcile} of the actor system's config. */
  public static Behavior<Command> create(ChunkStore store, ReadLeases leases, StoreSettings settings) {
    return Behaviors.setup(context -> create(store, leases, settings,
        ReconcileSettings.fromConfig(context.getSystem().settings().config())));
  }

  public static Behavior<Command> create(ChunkStore store, ReadLeases leases, StoreSettings settings,
      ReconcileSettings reconcile) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      return Behaviors.withTimers(timers -> new StoreActor(context, timers, store, leases, settings.collectRetry(),
          settings.reconcileParallelism(), reconcile));
    });
  }

  private StoreActor(ActorContext<Command> context, TimerScheduler<Command> timers, ChunkStore store,
      ReadLeases leases, Duration collectRetry, int reconcileParallelism, ReconcileSettings reconcileSettings) {
    super(context);
    this.reconcileSettings = reconcileSettings;
    this.timers = timers;
    this.store = store;
    this.leases = leases;
    this.collectRetry = collectRetry;
    this.reconcileParallelism = reconcileParallelism;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reconcile.class, this::onReconcile)
        .onMessage(Reconciled.class, this::onReconciled)
        .onMessage(Rejudge.class, this::onRejudge)
        .onMessage(CollectFile.class, this::onCollectFile)
        .onMessage(RetryCollect.class, this::onRetryCollect)
        .onMessage(Collected.class, this::onCollected)
        .onMessage(GetStats.class, this::onGetStats)
        .build();
  }

  private Behavior<Command> onReconcile(Reconcile command) {
    getContext().pipeToSelf(reconciliation(command.oracle()).run(reconcileParallelism, getContext().getSystem()),
        (result, failure) -> new Reconciled(result, failure, command.oracle(), command.replyTo()));
    return this;
  }

  private Behavior<Command> onRejudge(Rejudge command) {
    getContext().pipeToSelf(
        reconciliation(command.oracle()).rejudge(command.deferred(), reconcileParallelism, getContext().getSystem()),
        (result, failure) -> new Reconciled(result, failure, command.oracle(), null));
    return this;
  }

  private Reconciliation reconciliation(MetadataOracle oracle) {
    return new Reconciliation(store, leases, oracle, reconcileSettings, System::currentTimeMillis);
  }

  /** After a reconcile (a reply) or a later judgement of deferred versions (no one to reply to). */
  private Behavior<Command> onReconciled(Reconciled done) {
    if (done.failure() != null) {
      getContext().getLog().error("store {}: reconcile failed", store.id(), done.failure());
      return this;
    }
    ReconcileReport r = done.result().report();
    List<ChunkStore.StoredFile> deferred = done.result().deferred();
    getContext().getLog().info("store {}: reconciled, {} file versions kept ({} disowned but inside the orphan grace),"
        + " {} orphans removed, {} chunks missing", store.id(), r.filesKept(), deferred.size(), r.orphansRemoved(),
        r.missing().size());
    if (!deferred.isEmpty()) {
      // Every deferred version was younger than the grace when judged: all are past it one grace later.
      timers.startSingleTimer(new Object(), new Rejudge(done.oracle(), deferred), reconcileSettings.orphanGrace());
    }
    if (done.replyTo() != null) done.replyTo().tell(r);
    return this;
  }

  private Behavior<Command> onCollectFile(CollectFile command) {
    List<ActorRef<Done>> waiting = collecting.computeIfAbsent(command.file(), f -> new ArrayList<>());
    waiting.add(command.replyTo());
    if (waiting.size() == 1) tryCollect(command.file());
    return this;
  }

  private Behavior<Command> onRetryCollect(RetryCollect retry) {
    if (collecting.containsKey(retry.file())) tryCollect(retry.file());
    return this;
  }

  private void tryCollect(FileId file) {
    if (leases.held(file)) {
      timers.startSingleTimer(file, new RetryCollect(file), collectRetry);
    } else {
      getContext().pipeToSelf(store.deleteFile(file), (done, failure) -> new Collected(file, failure));
    }
  }

  private Behavior<Command> onCollected(Collected result) {
    if (result.failure() != null) {
      getContext().getLog().warn("store {}: cannot delete file version {}, retrying in {}: {}",
          store.id(), result.file(), collectRetry, result.failure().toString());
      timers.startSingleTimer(result.file(), new RetryCollect(result.file()), collectRetry);
      return this;
    }
    List<ActorRef<Done>> waiting = collecting.remove(result.file());
    if (waiting != null) waiting.forEach(replyTo -> replyTo.tell(Done.done()));
    return this;
  }

  private Behavior<Command> onGetStats(GetStats command) {
    command.replyTo().tell(new Stats(store.id(), store.directory().toString(), store.usableBytes(), store.directIo()));
    return this;
  }
}
