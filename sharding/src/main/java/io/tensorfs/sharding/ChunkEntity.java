package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.placement.PlacementPolicy;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One chunk (large page) of one file version: where its replicas live and what was committed.
 * Entity id = {@link ChunkId#entityId()}. A committed chunk never changes its bytes.
 *
 * <p>Runs on its shard's actor; the state is immutable. A {@code cache(min,max)} chunk also runs its
 * elastic in-memory replicas ({@link ElasticReplicas}), soft state beside the journaled one.
 */
public final class ChunkEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ChunkEntity.Command, ChunkEntity.Event, ChunkEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Chunk");

  private final ChunkId chunk;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  /** Created by the first read report of a cache(min,max) chunk; soft state, see {@link ElasticReplicas}. */
  private ElasticReplicas elastic;

  private ChunkEntity(ChunkId chunk, PersistenceId persistenceId, ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(persistenceId);
    this.chunk = chunk;
    this.context = context;
    this.timers = timers;
  }

  public static Behavior<Command> create(String entityId) {
    ChunkId chunk = ChunkId.parse(entityId);
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new ChunkEntity(chunk, PersistenceId.of(ENTITY_TYPE_KEY.name(), chunk.entityId()), context, timers)));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Places the replicas (see {@link PlacementPolicy#choose}) and records them WRITING. Idempotent: once placed, it
   * replies the same placement. Replies {@link Placed}, or {@link Rejected}: NOT_FOUND for a deleted
   * chunk, NO_SPACE when there is no candidate.
   */
  public record Allocate(Policy policy, List<ReplicaLocation> candidates, ActorRef<AllocateReply> replyTo)
      implements Command {}

  /**
   * Records the bytes as committed: {@code written} become CLEAN, the other placed replicas STALE.
   * Replies {@link Committed}, or {@link Rejected}: NOT_FOUND when not placed (or deleted),
   * BAD_REQUEST when a written store was not placed, CONFLICT when committed with other bytes before.
   */
  public record Commit(long lengthBytes, int crc32c, List<ReplicaLocation> written,
      ActorRef<CommitReply> replyTo) implements Command {}

  /**
   * Records a chunk written without an earlier {@link Allocate} as placed on {@code placed} and committed on
   * {@code written}, in one journal write (the events Allocate and Commit persist, written together); the
   * state after is the one those two leave. Idempotent like Commit. Replies {@link Committed}, or
   * {@link Rejected}: NOT_FOUND for a deleted chunk, BAD_REQUEST when a written store was not placed,
   * CONFLICT when the chunk was placed elsewhere or committed with other bytes before.
   */
  public record CommitNew(Policy policy, List<ReplicaLocation> placed, long lengthBytes, int crc32c,
      List<ReplicaLocation> written, ActorRef<CommitReply> replyTo) implements Command {}

  public record Get(ActorRef<Status> replyTo) implements Command {}

  /** A store's scan did not find its replica: that replica becomes MISSING. */
  public record MarkMissing(ReplicaLocation location, ActorRef<Status> replyTo) implements Command {}

  /**
   * {@code location}'s store found the replica's bytes failing their checksum: a CLEAN replica becomes
   * CORRUPT (readers try it last; repair re-creates it). Any other state is left as it is. Replies the status.
   */
  public record MarkCorrupt(ReplicaLocation location, ActorRef<Status> replyTo) implements Command {}

  /**
   * A copy of the committed bytes was made on {@code location} (re-replication, or the re-creation of a
   * CORRUPT replica): that replica becomes CLEAN, added when the chunk had none there. Ignored (the status is replied unchanged) when the
   * chunk is not committed or was committed with other bytes.
   */
  public record AddReplica(ReplicaLocation location, long lengthBytes, int crc32c, ActorRef<Status> replyTo)
      implements Command {}

  /**
   * The replica on {@code location} is no longer wanted there (its node is drained): its record is
   * removed, but only while at least {@code keepClean} CLEAN replicas on other locations remain, so that a
   * drain never leaves the chunk with fewer durable copies. Replies the status, unchanged when refused.
   */
  public record RemoveReplica(ReplicaLocation location, int keepClean, ActorRef<Status> replyTo)
      implements Command {}

  /**
   * {@code node} served {@code reads} reads of the chunk in the last {@code windowMillis}; its agent
   * holds chunks in memory when asked. Drives the elastic replicas of {@code cache(min,max)} chunks;
   * ignored for other policies. No reply.
   */
  public record ReportReads(String node, TfsPath owner, long reads, long windowMillis,
      ActorRef<MemoryReplicaProtocol.Command> agent) implements Command {}

  /** A node's answer to {@link MemoryReplicaProtocol.Hold}: whether it holds the chunk in memory now. */
  public record HoldResult(String node, boolean held, String reason) implements Command {}

  /** Time to renew the in-memory replicas' holds and revise their count. */
  public enum ElasticTick implements Command { INSTANCE }

  /** Forgets the chunk: later asks see it as absent. */
  public record Delete(ActorRef<Deleted> replyTo) implements Command {}

  public sealed interface AllocateReply extends CborSerializable permits Placed, Rejected {}

  public record Placed(List<ReplicaLocation> replicas) implements AllocateReply {
    public Placed {
      replicas = List.copyOf(replicas);
    }
  }

  public sealed interface CommitReply extends CborSerializable permits Committed, Rejected {}

  public record Committed(ChunkStatus status) implements CommitReply {}

  /** @param status empty when the chunk was never placed or was deleted */
  public record Status(Optional<ChunkStatus> status) implements CborSerializable {}

  /** @param existed whether the chunk had been placed (and not yet deleted) */
  public record Deleted(boolean existed) implements CborSerializable {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record ReplicasPlaced(Policy policy, List<ReplicaLocation> replicas) implements Event {}

  public record ChunkCommitted(long lengthBytes, int crc32c, List<ReplicaLocation> written) implements Event {}

  public record ReplicaMissing(ReplicaLocation location) implements Event {}

  public record ReplicaAdded(ReplicaLocation location) implements Event {}

  public record ReplicaCorrupt(ReplicaLocation location) implements Event {}

  public record ReplicaRemoved(ReplicaLocation location) implements Event {}

  public record ChunkDeleted(ChunkId chunk) implements Event {}

  // ---- state

  /** @param policy empty until the replicas are placed */
  public record State(Optional<Policy> policy, List<ChunkStatus.Replica> replicas, boolean committed,
      long lengthBytes, int crc32c, boolean deleted) implements CborSerializable {
    public State {
      replicas = List.copyOf(replicas);
    }

    boolean live() {
      return policy.isPresent() && !deleted;
    }

    List<ReplicaLocation> locations() {
      return replicas.stream().map(ChunkStatus.Replica::location).toList();
    }

    ChunkStatus status(ChunkId chunk) {
      return new ChunkStatus(chunk, replicas, committed, lengthBytes, crc32c, policy.map(Policy::replicas).orElse(0));
    }

    State placed(Policy policy, List<ReplicaLocation> locations) {
      List<ChunkStatus.Replica> writing =
          locations.stream().map(l -> new ChunkStatus.Replica(l, ReplicaState.WRITING)).toList();
      return new State(Optional.of(policy), writing, false, 0, 0, false);
    }

    State committed(ChunkCommitted e) {
      List<ChunkStatus.Replica> marked = replicas.stream()
          .map(r -> new ChunkStatus.Replica(r.location(),
              e.written().contains(r.location()) ? ReplicaState.CLEAN : ReplicaState.STALE))
          .toList();
      return new State(policy, marked, true, e.lengthBytes(), e.crc32c(), deleted);
    }

    State missing(ReplicaLocation location) {
      List<ChunkStatus.Replica> marked = replicas.stream()
          .map(r -> r.location().equals(location) ? new ChunkStatus.Replica(location, ReplicaState.MISSING) : r)
          .toList();
      return new State(policy, marked, committed, lengthBytes, crc32c, deleted);
    }

    State corrupt(ReplicaLocation location) {
      List<ChunkStatus.Replica> marked = replicas.stream()
          .map(r -> r.location().equals(location) ? new ChunkStatus.Replica(location, ReplicaState.CORRUPT) : r)
          .toList();
      return new State(policy, marked, committed, lengthBytes, crc32c, deleted);
    }

    State added(ReplicaLocation location) {
      List<ChunkStatus.Replica> marked = new java.util.ArrayList<>(replicas.stream()
          .map(r -> r.location().equals(location) ? new ChunkStatus.Replica(location, ReplicaState.CLEAN) : r)
          .toList());
      if (!locations().contains(location)) marked.add(new ChunkStatus.Replica(location, ReplicaState.CLEAN));
      return new State(policy, marked, committed, lengthBytes, crc32c, deleted);
    }

    State removed(ReplicaLocation location) {
      List<ChunkStatus.Replica> kept = replicas.stream().filter(r -> !r.location().equals(location)).toList();
      return new State(policy, kept, committed, lengthBytes, crc32c, deleted);
    }

    State deletedNow() {
      return new State(policy, replicas, committed, lengthBytes, crc32c, true);
    }
  }

  @Override
  public State emptyState() {
    return new State(Optional.empty(), List.of(), false, 0, 0, false);
  }

  /**
   * A chunk records a handful of events in its life (placed, committed, a replica lost or added now and
   * then, deleted), so it keeps no snapshots: its recovery is one replay, without the snapshot store's read
   * that most activations (a new chunk's first) would make for nothing. Snapshots an earlier version saved
   * are ignored; the events they covered are all still in the journal (none is ever deleted).
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.disabled();
  }

  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  // ---- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Allocate.class, this::onAllocate)
        .onCommand(Commit.class, this::onCommit)
        .onCommand(CommitNew.class, this::onCommitNew)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), status(state)))
        .onCommand(MarkMissing.class, this::onMarkMissing)
        .onCommand(MarkCorrupt.class, this::onMarkCorrupt)
        .onCommand(AddReplica.class, this::onAddReplica)
        .onCommand(RemoveReplica.class, this::onRemoveReplica)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(ReportReads.class, this::onReportReads)
        .onCommand(HoldResult.class, (state, cmd) -> {
          if (elastic != null) elastic.result(cmd);
          return Effect().noReply();
        })
        .onCommand(ElasticTick.class, (state, cmd) -> {
          if (elastic != null && state.live()) elastic.tick(state);
          return Effect().noReply();
        })
        .build();
  }

  private Status status(State state) {
    if (!state.live()) return new Status(Optional.empty());
    ChunkStatus status = state.status(chunk);
    if (elastic != null) {
      status = new ChunkStatus(chunk, status.replicas(), status.committed(), status.lengthBytes(), status.crc32c(),
          status.wantedReplicas(), elastic.view());
    }
    return new Status(Optional.of(status));
  }

  private ReplyEffect<Event, State> onReportReads(State state, ReportReads cmd) {
    boolean elasticChunk = state.live() && state.committed()
        && state.policy().map(p -> p.kind() == Policy.Kind.CACHE).orElse(false);
    if (elasticChunk) {
      if (elastic == null) {
        // Read here, not at every activation: parsing the settings cost a new chunk more than its journal write.
        ElasticSettings elasticSettings = ElasticSettings.fromConfig(context.getSystem().settings().config());
        elastic = new ElasticReplicas(chunk, elasticSettings, state.policy().get(), timers, context.getSelf());
      }
      elastic.report(cmd, state);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onAllocate(State state, Allocate cmd) {
    if (state.deleted()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NOT_FOUND, "chunk " + chunk + " was deleted"));
    }
    if (state.live()) {
      return Effect().reply(cmd.replyTo(), new Placed(state.locations()));
    }
    List<ReplicaLocation> chosen = PlacementPolicy.choose(cmd.candidates(), cmd.policy().replicas());
    if (chosen.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NO_SPACE, "no store to place chunk " + chunk));
    }
    return Effect().persist(new ReplicasPlaced(cmd.policy(), chosen))
        .thenReply(cmd.replyTo(), s -> new Placed(chosen));
  }

  private ReplyEffect<Event, State> onCommit(State state, Commit cmd) {
    if (!state.live()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NOT_FOUND, "chunk " + chunk + " is not placed"));
    }
    if (state.committed()) {
      boolean same = state.lengthBytes() == cmd.lengthBytes() && state.crc32c() == cmd.crc32c();
      return Effect().reply(cmd.replyTo(), same
          ? new Committed(state.status(chunk))
          : new Rejected(ErrorCode.CONFLICT, "chunk " + chunk + " was committed with other bytes"));
    }
    if (cmd.written().isEmpty() || !state.locations().containsAll(cmd.written())) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST,
          "chunk " + chunk + " written on " + cmd.written() + ", placed on " + state.locations()));
    }
    return Effect().persist(new ChunkCommitted(cmd.lengthBytes(), cmd.crc32c(), List.copyOf(cmd.written())))
        .thenReply(cmd.replyTo(), s -> new Committed(s.status(chunk)));
  }

  private ReplyEffect<Event, State> onCommitNew(State state, CommitNew cmd) {
    if (state.deleted()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NOT_FOUND, "chunk " + chunk + " was deleted"));
    }
    if (state.live()) {
      if (!state.locations().equals(cmd.placed())) {
        return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.CONFLICT,
            "chunk " + chunk + " is placed on " + state.locations() + ", not " + cmd.placed()));
      }
      return onCommit(state, new Commit(cmd.lengthBytes(), cmd.crc32c(), cmd.written(), cmd.replyTo()));
    }
    if (cmd.written().isEmpty() || !cmd.placed().containsAll(cmd.written())) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST,
          "chunk " + chunk + " written on " + cmd.written() + ", placed on " + cmd.placed()));
    }
    List<Event> events = List.of(new ReplicasPlaced(cmd.policy(), List.copyOf(cmd.placed())),
        new ChunkCommitted(cmd.lengthBytes(), cmd.crc32c(), List.copyOf(cmd.written())));
    return Effect().persist(events).thenReply(cmd.replyTo(), s -> new Committed(s.status(chunk)));
  }

  private ReplyEffect<Event, State> onMarkMissing(State state, MarkMissing cmd) {
    boolean known = state.replicas().stream()
        .anyMatch(r -> r.location().equals(cmd.location()) && r.state() != ReplicaState.MISSING);
    if (!state.live() || !known) {
      return Effect().reply(cmd.replyTo(), status(state));
    }
    return Effect().persist(new ReplicaMissing(cmd.location())).thenReply(cmd.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onMarkCorrupt(State state, MarkCorrupt cmd) {
    boolean clean = state.replicas().stream()
        .anyMatch(r -> r.location().equals(cmd.location()) && r.state() == ReplicaState.CLEAN);
    if (!state.live() || !clean) {
      return Effect().reply(cmd.replyTo(), status(state));
    }
    return Effect().persist(new ReplicaCorrupt(cmd.location())).thenReply(cmd.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onAddReplica(State state, AddReplica cmd) {
    boolean sameBytes = state.committed() && state.lengthBytes() == cmd.lengthBytes() && state.crc32c() == cmd.crc32c();
    boolean clean = state.replicas().stream()
        .anyMatch(r -> r.location().equals(cmd.location()) && r.state() == ReplicaState.CLEAN);
    if (!state.live() || !sameBytes || clean) {
      return Effect().reply(cmd.replyTo(), status(state));
    }
    return Effect().persist(new ReplicaAdded(cmd.location())).thenReply(cmd.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onRemoveReplica(State state, RemoveReplica cmd) {
    boolean present = state.locations().contains(cmd.location());
    long cleanElsewhere = state.replicas().stream()
        .filter(r -> r.state() == ReplicaState.CLEAN && !r.location().equals(cmd.location()))
        .count();
    if (!state.live() || !state.committed() || !present || cleanElsewhere < Math.max(1, cmd.keepClean())) {
      return Effect().reply(cmd.replyTo(), status(state));
    }
    return Effect().persist(new ReplicaRemoved(cmd.location())).thenReply(cmd.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete cmd) {
    if (!state.live()) {
      return Effect().reply(cmd.replyTo(), new Deleted(false));
    }
    if (elastic != null) elastic.releaseAll();
    return Effect().persist(new ChunkDeleted(chunk)).thenReply(cmd.replyTo(), s -> new Deleted(true));
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ReplicasPlaced.class, (state, e) -> state.placed(e.policy(), e.replicas()))
        .onEvent(ChunkCommitted.class, (state, e) -> state.committed(e))
        .onEvent(ReplicaMissing.class, (state, e) -> state.missing(e.location()))
        .onEvent(ReplicaAdded.class, (state, e) -> state.added(e.location()))
        .onEvent(ReplicaCorrupt.class, (state, e) -> state.corrupt(e.location()))
        .onEvent(ReplicaRemoved.class, (state, e) -> state.removed(e.location()))
        .onEvent(ChunkDeleted.class, (state, e) -> state.deletedNow())
        .build();
  }
}
