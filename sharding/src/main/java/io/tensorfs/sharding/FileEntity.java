package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * <p>Rename ({@link RenameOut}) moves the visible version to another path without copying its bytes, in
 * three steps that survive a crash: this entity (the source) records the intent, which hides the version
 * here ({@link RenameBegun}); the target's entity adopts it as its next version ({@link Adopt}, idempotent:
 * the target remembers the file ids it adopted); the source records the end ({@link RenameDone}) and keeps a
 * forward pointer (file id to new path) for the stores' start-up scan, which asks the path the bytes were
 * written under. A source that starts with an intent drives it again; one whose target could not be
 * reached tries again every {@link #RENAME_RETRY}. While an intent is open the source refuses writes and
 * deletes (CONFLICT), so no name ever shows bytes another name's delete collected.
 *
 * <p>The entity of a path that is an explicit directory keeps the directory's attributes ({@link GetDir},
 * {@link SetDirAttributes}); a path is a file or a directory, never both (the directory entities say which).
 *
 * <p>Runs on its shard's actor; the persisted state is immutable, the holders and waiting answers are
 * the actor's own.
 */
public final class FileEntity
    extends EventSourcedBehaviorWithEnforcedReplies<FileEntity.Command, FileEntity.Event, FileEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "File");

  /** How long a rename whose target did not answer waits before it asks again. */
  static final Duration RENAME_RETRY = Duration.ofSeconds(2);
  /** The file ids a target remembers having adopted (a source re-driving an older rename is that far behind). */
  static final int ADOPTED_KEPT = 256;

  private final TfsPath path;
  /** The nodes that may serve a version of this path from their version cache; the actor's own. */
  private final LeaseHolders holders;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  /** Reaches the target of a rename; made at the first rename (tests give their own). */
  private final java.util.function.Supplier<Renames> renamesFactory;
  private Renames renames;
  /** The callers waiting for the open rename's answer; the actor's own, not persisted. */
  private final List<ActorRef<RenameReply>> renameWaiters = new ArrayList<>();

  private FileEntity(TfsPath path, PersistenceId persistenceId, ActorContext<Command> context,
      TimerScheduler<Command> timers, Duration readLease, LongSupplier clock,
      java.util.function.Supplier<Renames> renamesFactory) {
    super(persistenceId);
    this.path = path;
    this.context = context;
    this.timers = timers;
    this.renamesFactory = renamesFactory;
    this.holders = new LeaseHolders(path, readLease.toNanos(), context.getSelf(), timers, clock);
  }

  /** An entity whose read lease is the system's {@code tensorfs.sharding.read-lease}. */
  public static Behavior<Command> create(String entityId) {
    return Behaviors.setup(context -> build(entityId, context,
        ReadLeaseSettings.from(context.getSystem().settings().config()).lease(), System::nanoTime,
        () -> Renames.sharded(context.getSystem())));
  }

  /** An entity with its own read lease, timed by {@code clock} in nanoseconds (tests). */
  static Behavior<Command> create(String entityId, Duration readLease, LongSupplier clock) {
    return Behaviors.setup(context -> build(entityId, context, readLease, clock,
        () -> Renames.sharded(context.getSystem())));
  }

  /** An entity whose renames reach their targets through {@code renames} (tests). */
  static Behavior<Command> create(String entityId, Renames renames) {
    return Behaviors.setup(context -> build(entityId, context,
        ReadLeaseSettings.from(context.getSystem().settings().config()).lease(), System::nanoTime, () -> renames));
  }

  private static Behavior<Command> build(String entityId, ActorContext<Command> context, Duration readLease,
      LongSupplier clock, java.util.function.Supplier<Renames> renames) {
    TfsPath path = TfsPath.parse(entityId);
    return Behaviors.withTimers(timers -> new FileEntity(path, PersistenceId.of(ENTITY_TYPE_KEY.name(),
        path.toString()), context, timers, readLease, clock, renames));
  }

  private Renames renames() {
    if (renames == null) renames = renamesFactory.get();
    return renames;
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

  /**
   * Changes the visible version's attributes, same bytes and same number: replies {@link AttributesChanged}
   * with the version as it is now, or {@link Rejected} NOT_FOUND when none is visible.
   */
  public record SetAttributes(AttributeChange change, ActorRef<AttributesReply> replyTo) implements Command {}

  /** The attributes of the explicit directory of this path: replies {@link DirAttributes}. */
  public record GetDir(ActorRef<DirAttributes> replyTo) implements Command {}

  /**
   * Records (or, with an empty {@code attributes}, forgets) the attributes of the directory of this path;
   * replies {@link DirAttributes} with what is kept now, or {@link Rejected} CONFLICT when a file version is
   * visible here.
   */
  public record SetDirAttributes(Optional<FileAttributes> attributes, ActorRef<AttributesReply> replyTo)
      implements Command {}

  /**
   * Moves the visible version to {@code to} (see the class comment): replies {@link RenamedOut} once the
   * target has it and this path no longer does, or {@link Rejected}: NOT_FOUND without a visible version,
   * CONFLICT while another rename of this path is open, BAD_REQUEST for {@code to} = this path, the target's
   * refusal (PRECONDITION_FAILED when {@code onTarget} does not hold there; nothing moved), UNAVAILABLE when
   * the target did not answer (the rename stays open and is finished later).
   */
  public record RenameOut(TfsPath to, Precondition onTarget, ActorRef<RenameReply> replyTo) implements Command {
    public RenameOut {
      if (onTarget == null) onTarget = Precondition.NONE;
    }
  }

  /**
   * The target's side of a rename: makes {@code version} (another path's) this path's next version, same file
   * id and chunks, if {@code onTarget} holds on the visible one. Replies as {@link Seal} does; a rename adopted
   * before (the same {@code renameId}) is answered {@link SealAccepted} again without a change (a re-driven
   * rename). Keyed by the rename, not the file id: a file renamed away and back is a new rename each time.
   */
  public record Adopt(String renameId, FileVersion version, Precondition onTarget, ActorRef<SealReply> replyTo)
      implements Command {
    public Adopt {
      if (onTarget == null) onTarget = Precondition.NONE;
    }
  }

  /** The target's answer to the open rename's {@link Adopt}, or why none came. */
  private record AdoptAnswered(String renameId, SealReply reply, Throwable failure)
      implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** The entity's own timer: the open rename is driven again. */
  private enum RetryRename implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded { INSTANCE }

  public sealed interface AttributesReply extends CborSerializable permits AttributesChanged, DirAttributes, Rejected {}

  public record AttributesChanged(FileVersion current) implements AttributesReply {}

  /** @param attributes the explicit directory's attributes; empty when none were recorded */
  public record DirAttributes(Optional<FileAttributes> attributes) implements AttributesReply {}

  public sealed interface RenameReply extends CborSerializable permits RenamedOut, Rejected {}

  /**
   * @param current     the version as the target shows it now
   * @param replaced    the target's version it replaced, whose bytes the caller collects
   * @param nothingLeft the source has no version and no upload left: its name may leave its directory
   */
  public record RenamedOut(FileVersion current, Optional<FileVersion> replaced, boolean nothingLeft)
      implements RenameReply {}

  /** An open rename, recorded at the source before the target is asked. */
  public record Moving(String renameId, TfsPath to, FileVersion version, Precondition onTarget)
      implements CborSerializable {}

  /** Where a file id renamed away from this path went: the stores' scan follows it. */
  public record Forward(FileId fileId, TfsPath to) implements CborSerializable {}

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

  /**
   * @param moving   the open rename: its version's bytes are live though no name shows them now
   * @param forwards where versions renamed away from this path went
   */
  public record Uploads(Optional<FileVersion> current, List<Upload> pending, Optional<Moving> moving,
      List<Forward> forwards) implements CborSerializable {
    public Uploads {
      pending = List.copyOf(pending);
      if (moving == null) moving = Optional.empty();
      forwards = forwards == null ? List.of() : List.copyOf(forwards);
    }

    public Uploads(Optional<FileVersion> current, List<Upload> pending) {
      this(current, pending, Optional.empty(), List.of());
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

  /** The visible version's attributes are now {@code attributes}. */
  public record AttributesSet(FileAttributes attributes) implements Event {}

  /** The directory of this path has these attributes now (empty: none recorded). */
  public record DirAttributesSet(Optional<FileAttributes> attributes) implements Event {}

  /** A rename's intent: the version leaves the visible place for {@code moving}. */
  public record RenameBegun(Moving moving) implements Event {}

  /** The target has the version: the intent closes, a forward pointer stays. */
  public record RenameDone(FileId fileId, TfsPath to) implements Event {}

  /** The target refused: the version is visible here again. */
  public record RenameUndone(String renameId) implements Event {}

  /** This path's next version is another path's version, renamed here by the rename {@code renameId}. */
  public record VersionAdopted(FileVersion version, String renameId) implements Event {}

  // ---- state

  /**
   * @param nextVersion the version number the next seal gets; survives deletes
   * @param moving      the open rename of the version that was visible, if any
   * @param forwards    where versions renamed away went (kept for the stores' scan)
   * @param adopted     the ids of the renames last adopted here (at most {@link #ADOPTED_KEPT}), newest last
   * @param dir         the attributes of the explicit directory of this path, if it is one
   */
  public record State(Optional<FileVersion> current, List<Upload> uploads, long nextVersion, Optional<Moving> moving,
      List<Forward> forwards, List<String> adopted, Optional<FileAttributes> dir)
      implements CborSerializable {
    public State {
      uploads = List.copyOf(uploads);
      // A snapshot taken before these fields existed reads them as null.
      if (moving == null) moving = Optional.empty();
      forwards = forwards == null ? List.of() : List.copyOf(forwards);
      adopted = adopted == null ? List.of() : List.copyOf(adopted);
      if (dir == null) dir = Optional.empty();
    }

    public State(Optional<FileVersion> current, List<Upload> uploads, long nextVersion) {
      this(current, uploads, nextVersion, Optional.empty(), List.of(), List.of(), Optional.empty());
    }

    Optional<Upload> pending(FileId fileId) {
      return uploads.stream().filter(u -> u.fileId().equals(fileId)).findFirst();
    }

    private State with(Optional<FileVersion> current, List<Upload> uploads, long nextVersion) {
      return new State(current, uploads, nextVersion, moving, forwards, adopted, dir);
    }

    State withUpload(Upload upload) {
      List<Upload> more = new ArrayList<>(uploads);
      more.add(upload);
      return with(current, more, nextVersion);
    }

    State withoutUpload(FileId fileId) {
      return with(current, uploads.stream().filter(u -> !u.fileId().equals(fileId)).toList(), nextVersion);
    }

    State sealed(FileVersion version) {
      State rest = withoutUpload(version.fileId());
      return rest.with(Optional.of(version), rest.uploads, version.version() + 1);
    }

    State deleted() {
      return with(Optional.empty(), uploads, nextVersion);
    }

    State withAttributes(FileAttributes attributes) {
      return with(current.map(v -> v.withAttributes(attributes)), uploads, nextVersion);
    }

    State withDir(Optional<FileAttributes> attributes) {
      return new State(current, uploads, nextVersion, moving, forwards, adopted, attributes);
    }

    State renameBegun(Moving m) {
      return new State(Optional.empty(), uploads, nextVersion, Optional.of(m), forwards, adopted, dir);
    }

    State renameDone(FileId fileId, TfsPath to) {
      List<Forward> more = new ArrayList<>(forwards);
      more.removeIf(f -> f.fileId().equals(fileId));
      more.add(new Forward(fileId, to));
      return new State(current, uploads, nextVersion, Optional.empty(), more, adopted, dir);
    }

    State renameUndone() {
      Optional<FileVersion> back = moving.map(Moving::version);
      return new State(back, uploads, nextVersion, Optional.empty(), forwards, adopted, dir);
    }

    State adopted(FileVersion version, String renameId) {
      List<String> more = new ArrayList<>(adopted);
      more.remove(renameId);
      more.add(renameId);
      if (more.size() > ADOPTED_KEPT) more = more.subList(more.size() - ADOPTED_KEPT, more.size());
      // A version that comes back here is here again: its old forward pointer would lead away from it.
      List<Forward> fewer = forwards.stream().filter(f -> !f.fileId().equals(version.fileId())).toList();
      return new State(Optional.of(version), uploads, version.version() + 1, moving, fewer, more, dir);
    }

    boolean nothingLeft() {
      return current.isEmpty() && uploads.isEmpty() && moving.isEmpty();
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
        .onCommand(GetUploads.class, (state, cmd) -> Effect().reply(cmd.replyTo(),
            new Uploads(state.current(), state.uploads(), state.moving(), state.forwards())))
        .onCommand(SetAttributes.class, this::onSetAttributes)
        .onCommand(GetDir.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new DirAttributes(state.dir())))
        .onCommand(SetDirAttributes.class, this::onSetDirAttributes)
        .onCommand(RenameOut.class, this::onRenameOut)
        .onCommand(Adopt.class, this::onAdopt)
        .onCommand(AdoptAnswered.class, this::onAdoptAnswered)
        .onCommand(RetryRename.class, (state, cmd) -> {
          state.moving().ifPresent(this::drive);
          return Effect().noReply();
        })
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
          // A rename was open when the last run ended: finish it.
          state.moving().ifPresent(this::drive);
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
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    if (cmd.chunkSizeBytes() <= 0) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, "chunk size must be positive"));
    }
    Upload upload = new Upload(FileId.random(), cmd.policy(), cmd.chunkSizeBytes(), System.currentTimeMillis());
    return Effect().persist(new UploadBegun(upload)).thenReply(cmd.replyTo(), s -> new Begun(upload.fileId(), state.current().isPresent()));
  }

  private ReplyEffect<Event, State> onPrepare(State state, Prepare cmd) {
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
    Optional<Rejected> failed = unmet(cmd.precondition(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    return Effect().reply(cmd.replyTo(), new Begun(FileId.random(), state.current().isPresent()));
  }

  private ReplyEffect<Event, State> onSealNew(State state, SealNew cmd) {
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
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
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
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
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
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

  /** CONFLICT: a rename of this path is open. */
  private Rejected moving(State state) {
    return new Rejected(ErrorCode.CONFLICT, "a rename of " + path + " to " + state.moving().get().to()
        + " is under way");
  }

  private ReplyEffect<Event, State> onSetAttributes(State state, SetAttributes cmd) {
    if (state.current().isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NOT_FOUND, path + " not found"));
    }
    FileAttributes changed;
    try {
      changed = state.current().get().attributes().with(cmd.change());
    } catch (io.tensorfs.core.TfsException e) {
      return Effect().reply(cmd.replyTo(), new Rejected(e.code(), e.getMessage()));
    }
    if (changed.equals(state.current().get().attributes())) {
      return Effect().reply(cmd.replyTo(), new AttributesChanged(state.current().get()));
    }
    return Effect().persist(new AttributesSet(changed))
        .thenReply(cmd.replyTo(), s -> new AttributesChanged(s.current().get()));
  }

  private ReplyEffect<Event, State> onSetDirAttributes(State state, SetDirAttributes cmd) {
    if (state.current().isPresent() || state.moving().isPresent()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.CONFLICT, path + " is a file"));
    }
    if (cmd.attributes().equals(state.dir())) return Effect().reply(cmd.replyTo(), new DirAttributes(state.dir()));
    return Effect().persist(new DirAttributesSet(cmd.attributes()))
        .thenReply(cmd.replyTo(), s -> new DirAttributes(s.dir()));
  }

  private ReplyEffect<Event, State> onRenameOut(State state, RenameOut cmd) {
    if (state.moving().isPresent()) {
      if (state.moving().get().to().equals(cmd.to())) {
        renameWaiters.add(cmd.replyTo()); // the same rename asked again: answered when it ends
        return Effect().noReply();
      }
      return Effect().reply(cmd.replyTo(), moving(state));
    }
    if (cmd.to().equals(path)) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.BAD_REQUEST, "cannot rename " + path + " to itself"));
    }
    if (state.current().isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.NOT_FOUND, path + " not found"));
    }
    Moving m = new Moving(java.util.UUID.randomUUID().toString(), cmd.to(), state.current().get(), cmd.onTarget());
    return Effect().persist(new RenameBegun(m))
        .thenRun(s -> {
          renameWaiters.add(cmd.replyTo());
          drive(m);
        })
        .thenNoReply();
  }

  /** Asks the target to adopt the open rename's version; the answer comes back as {@link AdoptAnswered}. */
  private void drive(Moving m) {
    CompletionStage<SealReply> asked;
    try {
      asked = renames().adopt(path, m.to(), m.renameId(), m.version(), m.onTarget());
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    context.pipeToSelf(asked, (reply, failure) -> new AdoptAnswered(m.renameId(), reply, failure));
  }

  private ReplyEffect<Event, State> onAdoptAnswered(State state, AdoptAnswered answer) {
    if (state.moving().isEmpty() || !state.moving().get().renameId().equals(answer.renameId())) {
      return Effect().noReply(); // an answer to a rename that ended already
    }
    Moving m = state.moving().get();
    boolean unreachable = answer.failure() != null
        || (answer.reply() instanceof Rejected r && r.code() == ErrorCode.UNAVAILABLE);
    if (unreachable) {
      String why = answer.failure() != null ? Failures.unwrap(answer.failure()).getMessage()
          : ((Rejected) answer.reply()).message();
      tellWaiters(new Rejected(ErrorCode.UNAVAILABLE, "the rename of " + path + " to " + m.to()
          + " is recorded but " + m.to() + " did not take it yet (" + why + "); it is finished in the background"));
      timers.startSingleTimer(RETRY_KEY, RetryRename.INSTANCE, RENAME_RETRY);
      return Effect().noReply();
    }
    if (answer.reply() instanceof Rejected refused) {
      return Effect().persist(new RenameUndone(m.renameId()))
          .thenRun(s -> tellWaiters(refused))
          .thenNoReply();
    }
    SealAccepted accepted = (SealAccepted) answer.reply();
    return Effect().persist(new RenameDone(m.version().fileId(), m.to()))
        .thenRun(s -> {
          boolean nothingLeft = s.nothingLeft();
          List<ActorRef<RenameReply>> waiting = List.copyOf(renameWaiters);
          renameWaiters.clear();
          RenamedOut done = new RenamedOut(accepted.current(), accepted.replaced(), nothingLeft);
          // Once no node serves the old version here, and the names say where the file is now.
          holders.answerWhenCurrent(visible(s), () -> renames().settle(path, m.to(), nothingLeft)
              .whenComplete((v, e) -> waiting.forEach(w -> w.tell(done))));
        })
        .thenNoReply();
  }

  private void tellWaiters(RenameReply reply) {
    renameWaiters.forEach(w -> w.tell(reply));
    renameWaiters.clear();
  }

  private static final Object RETRY_KEY = "retry-rename";

  private ReplyEffect<Event, State> onAdopt(State state, Adopt cmd) {
    FileVersion incoming = cmd.version();
    if (state.adopted().contains(cmd.renameId())) {
      FileVersion now = state.current().filter(v -> v.fileId().equals(incoming.fileId()))
          .orElse(incoming.movedTo(path, state.nextVersion() - 1));
      return answerWhenCurrent(state, cmd.replyTo(), new SealAccepted(now, Optional.empty()));
    }
    if (state.moving().isPresent()) return Effect().reply(cmd.replyTo(), moving(state));
    if (state.dir().isPresent()) {
      return Effect().reply(cmd.replyTo(), new Rejected(ErrorCode.CONFLICT, path + " is a directory"));
    }
    Optional<Rejected> failed = unmet(cmd.onTarget(), state);
    if (failed.isPresent()) return Effect().reply(cmd.replyTo(), failed.get());
    FileVersion version = incoming.movedTo(path, state.nextVersion());
    Optional<FileVersion> replaced = state.current();
    return Effect().persist(new VersionAdopted(version, cmd.renameId()))
        .thenRun(s -> holders.answerWhenCurrent(visible(s),
            () -> cmd.replyTo().tell(new SealAccepted(version, replaced))))
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
        .onEvent(AttributesSet.class, (state, e) -> state.withAttributes(e.attributes()))
        .onEvent(DirAttributesSet.class, (state, e) -> state.withDir(e.attributes()))
        .onEvent(RenameBegun.class, (state, e) -> state.renameBegun(e.moving()))
        .onEvent(RenameDone.class, (state, e) -> state.renameDone(e.fileId(), e.to()))
        .onEvent(RenameUndone.class, (state, e) -> state.renameUndone())
        .onEvent(VersionAdopted.class, (state, e) -> state.adopted(e.version(), e.renameId()))
        .build();
  }
}
