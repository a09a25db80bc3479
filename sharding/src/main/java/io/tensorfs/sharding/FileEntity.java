package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One path of the namespace: its visible sealed version and the uploads in flight towards the next.
 * Entity id = the path ({@link TfsPath#toString()}). Versions count up at every seal and never repeat
 * for a path, deletes included, so a version number is a safe ETag.
 *
 * <p>Read leases: a node that asks with {@link ReadLookup} may serve the version it is given from its
 * {@link VersionCache} for one lease ({@code tensorfs.sharding.read-lease}) without asking again. The
 * entity remembers those holders (in memory only) and, once a seal or a delete has made their version
 * invisible, holds the writer's answer until each holder has confirmed that it dropped it
 * ({@link VersionHolder.Invalidate}) or its lease has run out, so that no node serves the old bytes to a
 * read that starts after the answer. An entity that starts with history does not know the holders of its
 * previous run: it holds such answers until one lease after its start.
 *
 * <p>Runs on its shard's actor; the persisted state is immutable, the holders and waiting answers are
 * the actor's own.
 */
public final class FileEntity
    extends EventSourcedBehaviorWithEnforcedReplies<FileEntity.Command, FileEntity.Event, FileEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "File");

  private final TfsPath path;
  /** The nodes that may serve a version of this path from their version cache; the actor's own. */
  private final LeaseHolders holders;

  private FileEntity(TfsPath path, PersistenceId persistenceId, ActorContext<Command> context,
      TimerScheduler<Command> timers, Duration readLease, LongSupplier clock) {
    super(persistenceId);
    this.path = path;
    this.holders = new LeaseHolders(path, readLease.toNanos(), context.getSelf(), timers, clock);
  }

  /** An entity whose read lease is the system's {@code tensorfs.sharding.read-lease}. */
  public static Behavior<Command> create(String entityId) {
    return Behaviors.setup(context -> build(entityId, context,
        ReadLeaseSettings.from(context.getSystem().settings().config()).lease(), System::nanoTime));
  }

  /** An entity with its own read lease, timed by {@code clock} in nanoseconds (tests). */
  static Behavior<Command> create(String entityId, Duration readLease, LongSupplier clock) {
    return Behaviors.setup(context -> build(entityId, context, readLease, clock));
  }

  private static Behavior<Command> build(String entityId, ActorContext<Command> context, Duration readLease,
      LongSupplier clock) {
    TfsPath path = TfsPath.parse(entityId);
    return Behaviors.withTimers(timers -> new FileEntity(path, PersistenceId.of(ENTITY_TYPE_KEY.name(),
        path.toString()), context, timers, readLease, clock));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Starts an upload; replies {@link Begun}, or {@link Rejected}: PRECONDITION_FAILED when
   * {@code precondition} does not hold on the current version now (checked here so that a doomed upload
   * writes no bytes, and again at {@link Seal}). A null precondition is none.
   */
  public record Begin(Policy policy, int chunkSizeBytes, Precondition precondition, ActorRef<BeginReply> replyTo)
      implements Command {
    public Begin {
      if (precondition == null) precondition = Precondition.NONE;
    }
  }

  /**
   * Makes a pending upload the visible version. Replies {@link SealAccepted}, or {@link Rejected}:
   * NOT_FOUND when the upload is not pending, PRECONDITION_FAILED when {@code precondition} does not
   * hold on the version visible at this moment (so of two uploads made under the same If-Match, only the
   * first to seal wins), BAD_REQUEST when the chunk lengths do not add up. Sealing the current version
   * again replies it (without the replaced one) so that a retried seal succeeds. A null precondition is none.
   */
  public record Seal(FileId fileId, long size, List<FileVersion.ChunkInfo> chunks, int crc32c,
      Precondition precondition, ActorRef<SealReply> replyTo, FileAttributes attributes) implements Command {
    public Seal {
      if (precondition == null) precondition = Precondition.NONE;
      if (attributes == null) attributes = FileAttributes.defaults();
    }

    /** A seal with default attributes. */
    public Seal(FileId fileId, long size, List<FileVersion.ChunkInfo> chunks, int crc32c, Precondition precondition,
        ActorRef<SealReply> replyTo) {
      this(fileId, size, chunks, crc32c, precondition, replyTo, FileAttributes.defaults());
    }
  }

  /**
   * The first step of a one-step write: checks {@code precondition} on the current version now and names
   * a fresh version id, persisting nothing. Replies {@link Begun}, or {@link Rejected} PRECONDITION_FAILED.
   * The bytes are then written under that id and recorded with {@link SealNew}; a crash in between leaves
   * bytes no entity names, which the stores' collection removes once they are older than its grace.
   */
  public record Prepare(Precondition precondition, ActorRef<BeginReply> replyTo) implements Command {
    public Prepare {
      if (precondition == null) precondition = Precondition.NONE;
    }
  }

  /**
   * Records an upload named by {@link Prepare} and makes it the visible version in one journal write (the
   * same two events {@link Begin} and {@link Seal} persist, written together). Replies as {@link Seal}; a
   * retried one finds its version visible and gets it back.
   */
  public record SealNew(Upload upload, long size, List<FileVersion.ChunkInfo> chunks, int crc32c,
      Precondition precondition, ActorRef<SealReply> replyTo, FileAttributes attributes) implements Command {
    public SealNew {
      if (precondition == null) precondition = Precondition.NONE;
      if (attributes == null) attributes = FileAttributes.defaults();
    }

    /** A one-step seal with default attributes. */
    public SealNew(Upload upload, long size, List<FileVersion.ChunkInfo> chunks, int crc32c,
        Precondition precondition, ActorRef<SealReply> replyTo) {
      this(upload, size, chunks, crc32c, precondition, replyTo, FileAttributes.defaults());
    }
  }

  /** Drops a pending upload; a no-op for an unknown one. */
  public record Abort(FileId fileId, ActorRef<Aborted> replyTo) implements Command {}

  public record Get(ActorRef<Current> replyTo) implements Command {}

  /**
   * {@link Get} for a read that may keep the answer: a visible version is leased to {@code holder} (the
   * asking node's {@link VersionHolder}), which is told before that version stops being visible. An
   * absent version is answered and leased to no one.
   */
  public record ReadLookup(ActorRef<VersionHolder.Command> holder, ActorRef<Current> replyTo) implements Command {}

  /** A holder's answer to {@link VersionHolder.Invalidate}: it serves {@code version} and older ones no more. */
  public record HolderInvalidated(ActorRef<VersionHolder.Command> holder, long version) implements Command {}

  /** The entity's own timer: the waiting answers whose holders' leases have run out go now. */
  public enum LeasesLapsed implements Command { INSTANCE }

  /** The current version and the pending uploads: what a store's scan needs to judge its files. */
  public record GetUploads(ActorRef<Uploads> replyTo) implements Command {}

  /**
   * Removes the visible version; pending uploads stay. Replies {@link Deleted} (with no version when
   * there was none, whatever the precondition), or {@link Rejected} PRECONDITION_FAILED when
   * {@code precondition} does not hold on the visible version; nothing is removed then. A null
   * precondition is none.
   */
  public record Delete(Precondition precondition, ActorRef<DeleteReply> replyTo) implements Command {
    public Delete {
      if (precondition == null) precondition = Precondition.NONE;
    }

    /** An unconditional delete. */
    public Delete(ActorRef<DeleteReply> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  public sealed interface BeginReply extends CborSerializable permits Begun, Rejected {}

  /** @param replaces a sealed version is visible now: the upload, once sealed, will replace it */
  public record Begun(FileId fileId, boolean replaces) implements BeginReply {}

  public sealed interface SealReply extends CborSerializable permits SealAccepted, Rejected {}

  public record SealAccepted(FileVersion current, Optional<FileVersion> replaced) implements SealReply {}

  /**
   * @param current     the id is the visible version (sealed before the abort): nothing was dropped
   * @param nothingLeft no version and no upload remain: the path may leave its directory
   */
  public record Aborted(boolean wasPending, boolean current, boolean nothingLeft) implements CborSerializable {}

  public record Current(Optional<FileVersion> version) implements CborSerializable {}

  public record Uploads(Optional<FileVersion> current, List<Upload> pending) implements CborSerializable {
    public Uploads {
      pending = List.copyOf(pending);
    }
  }

  public sealed interface DeleteReply extends CborSerializable permits Deleted, Rejected {}

  /** @param version the version removed, empty when there was none */
  public record Deleted(Optional<FileVersion> version, boolean uploadsPending) implements DeleteReply {}

  /** An upload in flight: written chunk by chunk, not yet visible. */
  public record Upload(FileId fileId, Policy policy, int chunkSizeBytes, long startedAtMillis)
      implements CborSerializable {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record UploadBegun(Upload upload) implements Event {}

  public record UploadSealed(FileVersion version) implements Event {}

  public record UploadAborted(FileId fileId) implements Event {}

  public record VersionDeleted(FileId fileId) implements Event {}

  // ---- state

  /** @param nextVersion the version number the next seal gets; survives deletes */
  public record State(Optional<FileVersion> current, List<Upload> uploads, long nextVersion)
      implements CborSerializable {
    public State {
      uploads = List.copyOf(uploads);
    }

    Optional<Upload> pending(FileId fileId) {
      return uploads.stream().filter(u -> u.fileId().equals(fileId)).findFirst();
    }

    State withUpload(Upload upload) {
      List<Upload> more = new ArrayList<>(uploads);
      more.add(upload);
      return new State(current, more, nextVersion);
    }

    State withoutUpload(FileId fileId) {
      return new State(current, uploads.stream().filter(u -> !u.fileId().equals(fileId)).toList(), nextVersion);
    }

    State sealed(FileVersion version) {
      State rest = withoutUpload(version.fileId());
      return new State(Optional.of(version), rest.uploads, version.version() + 1);
    }

    State deleted() {
      return new State(Optional.empty(), uploads, nextVersion);
    }

    boolean nothingLeft() {
      return current.isEmpty() && uploads.isEmpty();
    }
  }

  @Override
  public State emptyState() {
    return new State(Optional.empty(), List.of(), 1);
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
        .onCommand(Begin.class, this::onBegin)
        .onCommand(Seal.class, this::onSeal)
        .onCommand(Prepare.class, this::onPrepare)
        .onCommand(SealNew.class, this::onSealNew)
        .onCommand(Abort.class, this::onAbort)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Current(state.current())))
        .onCommand(GetUploads.class,
            (state, cmd) -> Effect().reply(cmd.replyTo(), new Uploads(state.current(), state.uploads())))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(ReadLookup.class, this::onReadLookup)
        .onCommand(HolderInvalidated.class, (state, cmd) -> {
          holders.invalidated(cmd.holder(), cmd.version());
          return Effect().noReply();
        })
        .onCommand(LeasesLapsed.class, (state, cmd) -> {
          holders.lapsed();
          return Effect().noReply();
        })
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          // A version was visible in an earlier run: nodes may still hold it, and this run does not know which.
          if (state.nextVersion() > 1) holders.restarted();
        })
        .build();
  }

  private ReplyEffect<Event, State> onReadLookup(State state, ReadLookup cmd) {
    state.current().ifPresent(v -> holders.grant(cmd.holder(), v.version()));
    return Effect().reply(cmd.replyTo(), new Current(state.current()));
  }

  /**
   * Answers {@code reply} once no node may serve a version other than the visible one: at once when no
   * lease is out on an older one; else after every such holder has confirmed or its lease has run out.
   */
  private <R> ReplyEffect<Event, State> answerWhenCurrent(State state, ActorRef<R> replyTo, R reply) {
    holders.answerWhenCurrent(visible(state), () -> replyTo.tell(reply));
    return Effect().noReply();
  }

  /** The visible version's number, -1 when none. */
  private static long visible(State state) {
    return state.current().map(FileVersion::version).orElse(-1L);
  }

  private ReplyEffect<Event, State> onBegin(State state, Begin cmd) {
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    if (cmd.chunkSizeBytes() <= 0) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, "chunk size must be positive"));
    }
    Upload upload = new Upload(FileId.random(), cmd.policy(), cmd.chunkSizeBytes(), System.currentTimeMillis());
    return Effect().persist(new UploadBegun(upload)).thenReply(cmd.replyTo(), s -> new Begun(upload.fileId(), state.current().isPresent()));
  }

  private ReplyEffect<Event, State> onPrepare(State state, Prepare cmd) {
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    return Effect().reply(cmd.replyTo(), new Begun(FileId.random(), state.current().isPresent()));
  }

  private ReplyEffect<Event, State> onSealNew(State state, SealNew cmd) {
    Upload upload = cmd.upload();
    if (state.current().isPresent() && state.current().get().fileId().equals(upload.fileId())) {
      return answerWhenCurrent(state, cmd.replyTo(), new SealAccepted(state.current().get(), Optional.empty()));
    }
    if (state.pending(upload.fileId()).isPresent()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.CONFLICT,
          "upload " + upload.fileId() + " of " + path + " was begun in two steps; seal it with Seal"));
    }
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    if (upload.chunkSizeBytes() <= 0) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, "chunk size must be positive"));
    }
    String badLayout = checkLayout(cmd.chunks(), cmd.size(), upload.chunkSizeBytes());
    if (badLayout != null) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, badLayout));
    }
    FileVersion version = new FileVersion(path, upload.fileId(), state.nextVersion(), cmd.size(),
        upload.chunkSizeBytes(), upload.policy(), cmd.chunks(), cmd.crc32c(), System.currentTimeMillis(),
        cmd.attributes());
    Optional<FileVersion> replaced = state.current();
    return Effect().persist(List.of(new UploadBegun(upload), new UploadSealed(version)))
        .thenRun(s -> holders.answerWhenCurrent(visible(s),
            () -> cmd.replyTo().tell(new SealAccepted(version, replaced))))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onSeal(State state, Seal cmd) {
    Optional<Upload> upload = state.pending(cmd.fileId());
    if (upload.isEmpty()) {
      if (state.current().isPresent() && state.current().get().fileId().equals(cmd.fileId())) {
        return answerWhenCurrent(state, cmd.replyTo(), new SealAccepted(state.current().get(), Optional.empty()));
      }
      return Effect().reply(cmd.replyTo(),
          new Rejected(ErrorCode.NOT_FOUND, "no upload " + cmd.fileId() + " in progress for " + path));
    }
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    String badLayout = checkLayout(cmd.chunks(), cmd.size(), upload.get().chunkSizeBytes());
    if (badLayout != null) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, badLayout));
    }
    FileVersion version = new FileVersion(path, cmd.fileId(), state.nextVersion(), cmd.size(),
        upload.get().chunkSizeBytes(), upload.get().policy(), cmd.chunks(), cmd.crc32c(),
        System.currentTimeMillis(), cmd.attributes());
    Optional<FileVersion> replaced = state.current();
    return Effect().persist(new UploadSealed(version))
        .thenRun(s -> holders.answerWhenCurrent(visible(s),
            () -> cmd.replyTo().tell(new SealAccepted(version, replaced))))
        .thenNoReply();
  }

  /** PRECONDITION_FAILED naming the visible version when {@code precondition} does not hold on it. */
  private Optional<Rejected> unmet(Precondition precondition, State state) {
    OptionalLong current = state.current().map(v -> OptionalLong.of(v.version())).orElse(OptionalLong.empty());
    return precondition.failure(path, current).map(why -> new Rejected(ErrorCode.PRECONDITION_FAILED, why));
  }

  /** Every chunk but the last holds exactly a chunk size; the lengths add up to the size. */
  private static String checkLayout(List<FileVersion.ChunkInfo> chunks, long size, int chunkSizeBytes) {
    long total = 0;
    for (int i = 0; i < chunks.size(); i++) {
      long length = chunks.get(i).lengthBytes();
      boolean last = i == chunks.size() - 1;
      if (length < 0 || length > chunkSizeBytes || (!last && length != chunkSizeBytes)) {
        return "chunk " + i + " holds " + length + " bytes; the chunk size is " + chunkSizeBytes;
      }
      total += length;
    }
    return total == size ? null : "chunks hold " + total + " bytes, the size says " + size;
  }

  private ReplyEffect<Event, State> onAbort(State state, Abort cmd) {
    if (state.pending(cmd.fileId()).isEmpty()) {
      boolean current = state.current().map(v -> v.fileId().equals(cmd.fileId())).orElse(false);
      return Effect().reply(cmd.replyTo(), new Aborted(false, current, state.nothingLeft()));
    }
    return Effect().persist(new UploadAborted(cmd.fileId()))
        .thenReply(cmd.replyTo(), s -> new Aborted(true, false, s.nothingLeft()));
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete cmd) {
    if (state.current().isEmpty()) {
      // A delete retried after its answer was lost finds nothing: it still waits for the holders it told.
      return answerWhenCurrent(state, cmd.replyTo(), new Deleted(Optional.empty(), !state.uploads().isEmpty()));
    }
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    FileVersion gone = state.current().get();
    return Effect().persist(new VersionDeleted(gone.fileId()))
        .thenRun(s -> holders.answerWhenCurrent(visible(s),
            () -> cmd.replyTo().tell(new Deleted(Optional.of(gone), !s.uploads().isEmpty()))))
        .thenNoReply();
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(UploadBegun.class, (state, e) -> state.withUpload(e.upload()))
        .onEvent(UploadSealed.class, (state, e) -> state.sealed(e.version()))
        .onEvent(UploadAborted.class, (state, e) -> state.withoutUpload(e.fileId()))
        .onEvent(VersionDeleted.class, (state, e) -> state.deleted())
        .build();
  }
}
