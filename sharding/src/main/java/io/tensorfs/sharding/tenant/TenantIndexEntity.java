package io.tensorfs.sharding.tenant;

import io.tensorfs.core.CborSerializable;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The names of the tenants that were given a quota, so that a tenant with a quota and no files yet is
 * listed too (tenants with files are found at the root). One entity, id {@value #ID}; written only when a
 * tenant is named for the first time.
 *
 * <p>Runs on its shard's actor; the state is immutable.
 */
public final class TenantIndexEntity extends EventSourcedBehaviorWithEnforcedReplies<
    TenantIndexEntity.Command, TenantIndexEntity.Event, TenantIndexEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "TenantIndex");
  /** The one entity's id. */
  public static final String ID = "tenants";

  private TenantIndexEntity(PersistenceId persistenceId) {
    super(persistenceId);
  }

  public static Behavior<Command> create(String entityId) {
    return new TenantIndexEntity(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
  }

  public sealed interface Command extends CborSerializable {}

  /** Names a tenant (a no-op when named already); replies {@link Names}. */
  public record Add(String tenant, ActorRef<Names> replyTo) implements Command {}

  public record Get(ActorRef<Names> replyTo) implements Command {}

  /** The tenants named, sorted. */
  public record Names(List<String> tenants) implements CborSerializable {
    public Names {
      tenants = List.copyOf(tenants);
    }
  }

  public sealed interface Event extends CborSerializable {}

  public record Added(String tenant) implements Event {}

  public record State(List<String> tenants) implements CborSerializable {
    public State {
      tenants = List.copyOf(tenants);
    }

    State with(String tenant) {
      SortedSet<String> more = new TreeSet<>(tenants);
      more.add(tenant);
      return new State(List.copyOf(more));
    }
  }

  @Override
  public State emptyState() {
    return new State(List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Add.class, (state, cmd) -> state.tenants().contains(cmd.tenant())
            ? Effect().reply(cmd.replyTo(), new Names(state.tenants()))
            : Effect().persist(new Added(cmd.tenant())).thenReply(cmd.replyTo(), s -> new Names(s.tenants())))
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Names(state.tenants())))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Added.class, (state, e) -> state.with(e.tenant()))
        .build();
  }
}
