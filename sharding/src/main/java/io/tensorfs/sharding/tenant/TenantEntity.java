package io.tensorfs.sharding.tenant;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One tenant's quota and usage. Entity id = the tenant (the first segment of its paths).
 *
 * <p>Persisted: the quota (max bytes, max files; none = no limit) and the committed usage (logical bytes
 * of sealed versions and their file count). Not persisted: the reservations of writes in flight, each
 * under an id with a lease that a writer renews by reserving again; a lapsed reservation (its writer
 * crashed or went quiet) is dropped. A write is granted only while committed + reserved + asked stays
 * within the quota, so concurrent writers together never seal more than the quota allows.
 *
 * <p>Journal cost: reservations, releases and reads persist nothing. Commits and credits are grouped: each
 * is added to a batch and answered once the batch's one {@link UsageChanged} event is persisted; commits
 * that arrive while an event is being written go into the next one (a group commit), so one tenant's
 * commits cost one journal write per batch, not one each.
 *
 * <p>Runs on its shard's actor; the persisted state is immutable, the reservations and the batch are
 * fields owned by that actor. Times in milliseconds of the injected clock.
 */
public final class TenantEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TenantEntity.Command, TenantEntity.Event, TenantEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Tenant");

  private final String tenant;
  private final ActorRef<Command> self;
  private final long leaseMillis;
  private final LongSupplier clockMillis;
  /** Writes in flight, by reservation id. */
  private final Map<String, Reservation> reservations = new HashMap<>();
  /** Commits and credits awaiting the next {@link UsageChanged}; applied to the quota checks already. */
  private final List<Pending> batch = new ArrayList<>();
  private boolean flushAsked;

  private TenantEntity(String tenant, ActorContext<Command> context, Duration lease, LongSupplier clockMillis) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), tenant));
    this.tenant = tenant;
    this.self = context.getSelf();
    this.leaseMillis = lease.toMillis();
    this.clockMillis = clockMillis;
  }

  public static Behavior<Command> create(String tenant, Duration lease) {
    return create(tenant, lease, System::currentTimeMillis);
  }

  /** @param clockMillis the time reservations lapse by (tests drive it) */
  public static Behavior<Command> create(String tenant, Duration lease, LongSupplier clockMillis) {
    return Behaviors.setup(context -> new TenantEntity(tenant, context, lease, clockMillis));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Reserves, grows or renews the reservation {@code id} to hold between {@code minBytes} and
   * {@code wantBytes} bytes in all (as much of {@code wantBytes} as the quota leaves) and {@code files}
   * files, for one lease from now. Replies {@link Granted} with the bytes now held, or {@link Refused}
   * QUOTA_EXCEEDED when committed + reserved by others + {@code minBytes} (or the files likewise) is over the
   * quota; what the reservation held before stays held then. Holding no more than before is always granted,
   * so a renewal succeeds even after the quota was lowered. An unknown id (lapsed, or reserved before this
   * entity restarted) is reserved anew.
   */
  public record Reserve(String id, long minBytes, long wantBytes, int files, ActorRef<ReserveReply> replyTo)
      implements Command {}

  /**
   * Turns the reservation {@code id} into usage: {@code bytes} and {@code files} of the sealed version are
   * added, and {@code creditedBytes} and {@code creditedFiles} of the version it replaced taken off.
   * Replies {@link TenantUsage} once persisted. An unknown id (a lapsed reservation) is committed all
   * the same: the version is sealed, and usage says what is stored.
   */
  public record Commit(String id, long bytes, int files, long creditedBytes, int creditedFiles,
      ActorRef<TenantUsage> replyTo) implements Command {}

  /** Drops the reservation {@code id} (its write failed); replies {@link TenantUsage}. */
  public record Release(String id, ActorRef<TenantUsage> replyTo) implements Command {}

  /** Takes a deleted version's bytes and file off the usage; replies {@link TenantUsage} once persisted. */
  public record Credit(long bytes, int files, ActorRef<TenantUsage> replyTo) implements Command {}

  /** Changes the quota; replies {@link TenantUsage}. A quota below the usage refuses new bytes only. */
  public record SetQuota(QuotaChange change, ActorRef<TenantUsage> replyTo) implements Command {}

  /** Sets the committed usage to what a scan of the tenant's files found; replies {@link TenantUsage}. */
  public record Rebuild(long bytes, long files, ActorRef<TenantUsage> replyTo) implements Command {}

  public record GetUsage(ActorRef<TenantUsage> replyTo) implements Command {}

  /** Sent by the entity to itself: persists the batch of commits and credits. Not for callers. */
  public record Flush() implements Command {}

  public sealed interface ReserveReply extends CborSerializable permits Granted, Refused {}

  /** @param heldBytes the bytes the reservation holds now */
  public record Granted(long heldBytes) implements ReserveReply {}

  public record Refused(ErrorCode code, String message) implements ReserveReply {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record QuotaSet(OptionalLong maxBytes, OptionalLong maxFiles) implements Event {}

  /** The sum of a batch of {@code commits} commits and credits. */
  public record UsageChanged(long bytesDelta, long filesDelta, int commits) implements Event {}

  public record UsageRebuilt(long bytes, long files) implements Event {}

  // ---- state

  /** The persisted part: quota and committed usage, never below zero. */
  public record State(OptionalLong maxBytes, OptionalLong maxFiles, long usedBytes, long usedFiles)
      implements CborSerializable {

    State changed(long bytesDelta, long filesDelta) {
      return new State(maxBytes, maxFiles, Math.max(0, usedBytes + bytesDelta), Math.max(0, usedFiles + filesDelta));
    }
  }

  private record Reservation(long bytes, int files, long expiresAtMillis) {}

  private record Pending(long bytesDelta, long filesDelta, ActorRef<TenantUsage> replyTo) {}

  @Override
  public State emptyState() {
    return new State(OptionalLong.empty(), OptionalLong.empty(), 0, 0);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  // ---- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Reserve.class, this::onReserve)
        .onCommand(Commit.class, (state, cmd) -> {
          lapse();
          reservations.remove(cmd.id());
          return later(cmd.bytes() - cmd.creditedBytes(), (long) cmd.files() - cmd.creditedFiles(), cmd.replyTo());
        })
        .onCommand(Release.class, (state, cmd) -> {
          lapse();
          reservations.remove(cmd.id());
          return Effect().reply(cmd.replyTo(), usage(state));
        })
        .onCommand(Credit.class, (state, cmd) -> later(-cmd.bytes(), -cmd.files(), cmd.replyTo()))
        .onCommand(SetQuota.class, this::onSetQuota)
        .onCommand(Rebuild.class, (state, cmd) -> Effect().persist(new UsageRebuilt(cmd.bytes(), cmd.files()))
            .thenReply(cmd.replyTo(), this::usage))
        .onCommand(GetUsage.class, (state, cmd) -> {
          lapse();
          return Effect().reply(cmd.replyTo(), usage(state));
        })
        .onCommand(Flush.class, this::onFlush)
        .build();
  }

  private ReplyEffect<Event, State> onReserve(State state, Reserve cmd) {
    lapse();
    Reservation held = reservations.getOrDefault(cmd.id(), new Reservation(0, 0, 0));
    long usedBytes = state.usedBytes() + batchBytes();
    long usedFiles = state.usedFiles() + batchFiles();
    long othersBytes = reservedBytes() - held.bytes();
    long othersFiles = reservedFiles() - held.files();
    long roomBytes = room(state.maxBytes(), usedBytes + othersBytes);
    long roomFiles = room(state.maxFiles(), usedFiles + othersFiles);
    if (cmd.minBytes() > Math.max(roomBytes, held.bytes())) {
      return Effect().reply(cmd.replyTo(), refused(cmd.minBytes() - held.bytes() + " more bytes",
          usedBytes + " bytes used, " + othersBytes + " held by other writes in flight, quota "
              + state.maxBytes().getAsLong() + " bytes"));
    }
    if (cmd.files() > Math.max(roomFiles, held.files())) {
      return Effect().reply(cmd.replyTo(), refused(cmd.files() + " more file(s)",
          usedFiles + " files used, " + othersFiles + " held by other writes in flight, quota "
              + state.maxFiles().getAsLong() + " files"));
    }
    long granted = Math.max(cmd.minBytes(), Math.min(cmd.wantBytes(), Math.max(roomBytes, held.bytes())));
    reservations.put(cmd.id(), new Reservation(granted, cmd.files(), clockMillis.getAsLong() + leaseMillis));
    return Effect().reply(cmd.replyTo(), new Granted(granted));
  }

  private Refused refused(String asked, String why) {
    return new Refused(ErrorCode.QUOTA_EXCEEDED, "tenant " + tenant + " has no room for " + asked + ": " + why);
  }

  private static long room(OptionalLong max, long taken) {
    return max.isPresent() ? max.getAsLong() - taken : Long.MAX_VALUE;
  }

  private ReplyEffect<Event, State> onSetQuota(State state, SetQuota cmd) {
    QuotaChange c = cmd.change();
    QuotaSet event = new QuotaSet(c.setBytes() ? c.maxBytes() : state.maxBytes(),
        c.setFiles() ? c.maxFiles() : state.maxFiles());
    return Effect().persist(event).thenReply(cmd.replyTo(), this::usage);
  }

  /** Adds a change to the batch; its answer goes out once the batch is persisted. */
  private ReplyEffect<Event, State> later(long bytesDelta, long filesDelta, ActorRef<TenantUsage> replyTo) {
    batch.add(new Pending(bytesDelta, filesDelta, replyTo));
    if (!flushAsked) {
      flushAsked = true;
      self.tell(new Flush());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onFlush(State state, Flush cmd) {
    flushAsked = false;
    if (batch.isEmpty()) return Effect().noReply();
    List<Pending> flushed = List.copyOf(batch);
    UsageChanged event = new UsageChanged(batchBytes(), batchFiles(), flushed.size());
    batch.clear();
    return Effect().persist(event).thenRun(s -> {
      TenantUsage now = usage(s);
      for (Pending p : flushed) p.replyTo().tell(now);
    }).thenNoReply();
  }

  /** Drops the reservations whose lease ran out. */
  private void lapse() {
    long now = clockMillis.getAsLong();
    reservations.values().removeIf(r -> r.expiresAtMillis() < now);
  }

  private TenantUsage usage(State state) {
    return new TenantUsage(tenant, Math.max(0, state.usedBytes() + batchBytes()),
        Math.max(0, state.usedFiles() + batchFiles()), reservedBytes(), reservedFiles(), state.maxBytes(),
        state.maxFiles());
  }

  private long reservedBytes() {
    return reservations.values().stream().mapToLong(Reservation::bytes).sum();
  }

  private long reservedFiles() {
    return reservations.values().stream().mapToLong(Reservation::files).sum();
  }

  private long batchBytes() {
    return batch.stream().mapToLong(Pending::bytesDelta).sum();
  }

  private long batchFiles() {
    return batch.stream().mapToLong(Pending::filesDelta).sum();
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(QuotaSet.class, (s, e) -> new State(e.maxBytes(), e.maxFiles(), s.usedBytes(), s.usedFiles()))
        .onEvent(UsageChanged.class, (s, e) -> s.changed(e.bytesDelta(), e.filesDelta()))
        .onEvent(UsageRebuilt.class, (s, e) -> new State(s.maxBytes(), s.maxFiles(), e.bytes(), e.files()))
        .build();
  }
}
