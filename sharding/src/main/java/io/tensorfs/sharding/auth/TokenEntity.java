package io.tensorfs.sharding.auth;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * Every token of the cluster, revoked ones included, as records holding only the secrets' hashes. One
 * entity ({@link #ID}) whose journal is in the metadata store; every node reloads all of it each second
 * ({@link Tokens}). Creating a token whose id exists with the same hash answers the existing one, so
 * registering the admin token at every start is idempotent. Runs on its shard's actor; the state is immutable.
 */
public final class TokenEntity extends EventSourcedBehaviorWithEnforcedReplies<
    TokenEntity.Command, TokenEntity.Event, TokenEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Tokens");
  /** The one entity's id. */
  public static final String ID = "all";

  private TokenEntity(PersistenceId persistenceId) {
    super(persistenceId);
  }

  public static Behavior<Command> create(String entityId) {
    return new TokenEntity(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Adds a token: replies {@link Found} with it, or the one already under its id when the hash is the same;
   * {@link Refused} CONFLICT when the id holds another token.
   */
  public record Create(TokenRecord token, ActorRef<Reply> replyTo) implements Command {}

  /** Marks a token revoked (again is fine): replies {@link Found} with it, or {@link Refused} NOT_FOUND. */
  public record Revoke(String id, long atMillis, ActorRef<Reply> replyTo) implements Command {}

  /** One token: replies {@link Found}, or {@link Refused} NOT_FOUND. */
  public record Get(String id, ActorRef<Reply> replyTo) implements Command {}

  /** Every token, in the order they were created: replies {@link All}. */
  public record GetAll(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Found, All, Refused {}

  public record Found(TokenRecord token) implements Reply {}

  public record All(List<TokenRecord> tokens) implements Reply {
    public All {
      tokens = List.copyOf(tokens);
    }
  }

  public record Refused(ErrorCode code, String message) implements Reply {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record Created(TokenRecord token) implements Event {}

  public record Revoked(String id, long atMillis) implements Event {}

  // ---- state

  /** @param tokens in the order they were created */
  public record State(List<TokenRecord> tokens) implements CborSerializable {
    public State {
      tokens = List.copyOf(tokens);
    }

    Optional<TokenRecord> find(String id) {
      return tokens.stream().filter(t -> t.id().equals(id)).findFirst();
    }

    State with(TokenRecord changed) {
      List<TokenRecord> out = new ArrayList<>(tokens.size() + 1);
      boolean replaced = false;
      for (TokenRecord t : tokens) {
        if (t.id().equals(changed.id())) {
          out.add(changed);
          replaced = true;
        } else {
          out.add(t);
        }
      }
      if (!replaced) out.add(changed);
      return new State(out);
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
        .onCommand(Create.class, this::onCreate)
        .onCommand(Revoke.class, this::onRevoke)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.find(cmd.id())
            .<Reply>map(Found::new).orElseGet(() -> notFound(cmd.id()))))
        .onCommand(GetAll.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new All(state.tokens())))
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    Optional<TokenRecord> existing = state.find(cmd.token().id());
    if (existing.isPresent()) {
      if (existing.get().secretSha256().equals(cmd.token().secretSha256())) {
        return Effect().reply(cmd.replyTo(), new Found(existing.get()));
      }
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, "token id " + cmd.token().id() + " is taken"));
    }
    return Effect().persist(new Created(cmd.token())).thenReply(cmd.replyTo(), s -> new Found(cmd.token()));
  }

  private ReplyEffect<Event, State> onRevoke(State state, Revoke cmd) {
    Optional<TokenRecord> existing = state.find(cmd.id());
    if (existing.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.id()));
    if (existing.get().revoked()) return Effect().reply(cmd.replyTo(), new Found(existing.get()));
    return Effect().persist(new Revoked(cmd.id(), cmd.atMillis()))
        .thenReply(cmd.replyTo(), s -> new Found(s.find(cmd.id()).orElseThrow()));
  }

  private static Refused notFound(String id) {
    return new Refused(ErrorCode.NOT_FOUND, "no token with id " + id);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, (state, e) -> state.with(e.token()))
        .onEvent(Revoked.class, (state, e) -> state.find(e.id()).map(t -> state.with(t.asRevoked())).orElse(state))
        .build();
  }
}
