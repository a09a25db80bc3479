package io.tensorfs.sharding.drain;

import io.tensorfs.core.CborSerializable;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One node's drain state, event sourced and sharded (entity id = node id), so that every node reads the
 * same state and it survives restarts of the node and of the cluster. Operators start, stop and
 * decommission; the node itself reports what its repair sweeps find ({@link Report}) and that it is leaving
 * ({@link MarkDecommissioned}). The state machine: {@code active -> draining -> drained} once a sweep run
 * wholly while drained counted no replica left ({@code drained -> draining} again if one turns up);
 * {@code decommissioning} stays until the node, drained, records {@code decommissioned} and leaves;
 * {@link Stop} returns every state to {@code active}.
 */
public final class NodeDrainEntity
    extends EventSourcedBehaviorWithEnforcedReplies<NodeDrainEntity.Command, NodeDrainEntity.Event, NodeDrainEntity.State> {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "NodeDrain");

  private final String nodeId;
  private final LongSupplier clock;

  private NodeDrainEntity(String nodeId, LongSupplier clock) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), nodeId));
    this.nodeId = nodeId;
    this.clock = clock;
  }

  public static Behavior<Command> create(String nodeId) {
    return create(nodeId, System::currentTimeMillis);
  }

  /** @param clock epoch milliseconds, for the {@code since} of each state */
  public static Behavior<Command> create(String nodeId, LongSupplier clock) {
    return new NodeDrainEntity(nodeId, clock);
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /** Drain the node; with {@code decommission}, then have it leave the cluster and stop. Replies the drain. */
  public record Start(boolean decommission, ActorRef<Drain> replyTo) implements Command {}

  /** Undrain: the node is active again, takes new replicas and keeps the ones it still holds. */
  public record Stop(ActorRef<Drain> replyTo) implements Command {}

  public record Get(ActorRef<Drain> replyTo) implements Command {}

  /**
   * The node's count after a repair sweep.
   *
   * @param drainedThroughout whether the node was drained for the whole sweep (only such a count ends a drain)
   */
  public record Report(int replicasLeft, String stuck, boolean drainedThroughout, ActorRef<Drain> replyTo)
      implements Command {}

  /** The node, decommissioning and drained, is leaving the cluster now. */
  public record MarkDecommissioned(ActorRef<Drain> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record DrainStarted(boolean decommission, long atMillis) implements Event {}

  public record DrainStopped(long atMillis) implements Event {}

  public record Counted(int replicasLeft, String stuck) implements Event {}

  public record DrainDone(long atMillis) implements Event {}

  public record DrainResumed(long atMillis) implements Event {}

  public record Decommissioned(long atMillis) implements Event {}

  /** @param replicasLeft -1 until the node first reports */
  public record State(DrainState state, int replicasLeft, long sinceMillis, String stuck) implements CborSerializable {
    static final State INITIAL = new State(DrainState.ACTIVE, -1, 0, "");

    Drain view(String node) {
      return new Drain(node, state, replicasLeft, sinceMillis, stuck);
    }

    State enter(DrainState next, long atMillis) {
      return new State(next, replicasLeft, atMillis, stuck);
    }

    State counted(Counted e) {
      return new State(state, e.replicasLeft(), sinceMillis, e.stuck());
    }
  }

  @Override
  public State emptyState() {
    return State.INITIAL;
  }

  // ---- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.view(nodeId)))
        .onCommand(Start.class, this::onStart)
        .onCommand(Stop.class, this::onStop)
        .onCommand(Report.class, this::onReport)
        .onCommand(MarkDecommissioned.class, this::onDecommissioned)
        .build();
  }

  private ReplyEffect<Event, State> onStart(State state, Start cmd) {
    DrainState s = state.state();
    boolean already = cmd.decommission()
        ? s == DrainState.DECOMMISSIONING || s == DrainState.DECOMMISSIONED
        : s == DrainState.DRAINING || s == DrainState.DRAINED || s == DrainState.DECOMMISSIONING;
    if (already) return Effect().reply(cmd.replyTo(), state.view(nodeId));
    return Effect().persist(new DrainStarted(cmd.decommission(), clock.getAsLong()))
        .thenReply(cmd.replyTo(), after -> after.view(nodeId));
  }

  private ReplyEffect<Event, State> onStop(State state, Stop cmd) {
    if (state.state() == DrainState.ACTIVE) return Effect().reply(cmd.replyTo(), state.view(nodeId));
    return Effect().persist(new DrainStopped(clock.getAsLong())).thenReply(cmd.replyTo(), after -> after.view(nodeId));
  }

  private ReplyEffect<Event, State> onReport(State state, Report cmd) {
    String stuck = cmd.stuck() == null ? "" : cmd.stuck();
    java.util.List<Event> events = new java.util.ArrayList<>();
    if (cmd.replicasLeft() != state.replicasLeft() || !stuck.equals(state.stuck())) {
      events.add(new Counted(cmd.replicasLeft(), stuck));
    }
    long now = clock.getAsLong();
    if (state.state() == DrainState.DRAINING && cmd.drainedThroughout() && cmd.replicasLeft() == 0) {
      events.add(new DrainDone(now));
    } else if (state.state() == DrainState.DRAINED && cmd.replicasLeft() > 0) {
      events.add(new DrainResumed(now));
    }
    if (events.isEmpty()) return Effect().reply(cmd.replyTo(), state.view(nodeId));
    return Effect().persist(events).thenReply(cmd.replyTo(), after -> after.view(nodeId));
  }

  private ReplyEffect<Event, State> onDecommissioned(State state, MarkDecommissioned cmd) {
    if (state.state() != DrainState.DECOMMISSIONING) return Effect().reply(cmd.replyTo(), state.view(nodeId));
    return Effect().persist(new Decommissioned(clock.getAsLong())).thenReply(cmd.replyTo(), after -> after.view(nodeId));
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(DrainStarted.class, (state, e) ->
            state.enter(e.decommission() ? DrainState.DECOMMISSIONING : DrainState.DRAINING, e.atMillis()))
        .onEvent(DrainStopped.class, (state, e) -> state.enter(DrainState.ACTIVE, e.atMillis()))
        .onEvent(Counted.class, State::counted)
        .onEvent(DrainDone.class, (state, e) -> state.enter(DrainState.DRAINED, e.atMillis()))
        .onEvent(DrainResumed.class, (state, e) -> state.enter(DrainState.DRAINING, e.atMillis()))
        .onEvent(Decommissioned.class, (state, e) -> state.enter(DrainState.DECOMMISSIONED, e.atMillis()))
        .build();
  }
}
