package io.tensorfs.sharding;

import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The read leases of one {@link FileEntity}: which nodes were given which version, until when, and the
 * writers' answers held until no node may serve a version that is no longer visible. Kept in memory only;
 * an entity that restarts with history treats every lease as possibly held until one lease after its
 * start ({@link #restarted}). A holder that never answers (its node died) holds an answer for the rest of
 * its lease at most. Times are {@code clock} nanoseconds; a lease of zero grants nothing and holds nothing.
 *
 * <p>Owned by the entity's actor: not thread-safe.
 */
final class LeaseHolders {
  private static final String TIMER = "leases-lapse";

  private final TfsPath path;
  private final long leaseNanos;
  private final ActorRef<FileEntity.Command> self;
  private final TimerScheduler<FileEntity.Command> timers;
  private final LongSupplier clock;
  private final Map<ActorRef<VersionHolder.Command>, Lease> leases = new HashMap<>();
  private final List<Waiting> waiting = new ArrayList<>();
  /** Leases of an earlier run may be out until {@link #unknownUntil}. */
  private boolean unknown;
  private long unknownUntil;

  /** {@code version} leased until {@code until}. */
  private record Lease(long version, long until) {}

  /** An answer held until each of {@code awaited} has confirmed or lapsed (and no unknown lease is left). */
  private record Waiting(Runnable answer, Map<ActorRef<VersionHolder.Command>, Lease> awaited) {}

  LeaseHolders(TfsPath path, long leaseNanos, ActorRef<FileEntity.Command> self,
      TimerScheduler<FileEntity.Command> timers, LongSupplier clock) {
    this.path = path;
    this.leaseNanos = leaseNanos;
    this.self = self;
    this.timers = timers;
    this.clock = clock;
  }

  /** {@code holder} was given {@code version} now: it may serve it for one lease from now. */
  void grant(ActorRef<VersionHolder.Command> holder, long version) {
    if (leaseNanos == 0) return;
    leases.put(holder, new Lease(version, clock.getAsLong() + leaseNanos));
  }

  /** The entity started with history: leases of its earlier run may be out for one more lease. */
  void restarted() {
    if (leaseNanos == 0) return;
    unknown = true;
    unknownUntil = clock.getAsLong() + leaseNanos;
  }

  /**
   * Runs {@code answer} once no node may serve a version other than {@code visible} (-1: none): at once
   * when no such lease is out; else it tells each holder of another version to drop it and runs it when
   * every one of them has confirmed or its lease has run out.
   */
  void answerWhenCurrent(long visible, Runnable answer) {
    long now = clock.getAsLong();
    leases.values().removeIf(l -> now - l.until() >= 0);
    if (unknown && now - unknownUntil >= 0) unknown = false;
    Map<ActorRef<VersionHolder.Command>, Lease> stale = new HashMap<>();
    leases.forEach((holder, lease) -> {
      if (lease.version() != visible) stale.put(holder, lease);
    });
    if (stale.isEmpty() && !unknown) {
      answer.run();
      return;
    }
    stale.forEach((holder, lease) -> holder.tell(new VersionHolder.Invalidate(path, lease.version(), self)));
    waiting.add(new Waiting(answer, stale));
    schedule(now);
  }

  /** {@code holder} serves {@code version} and older ones no more. */
  void invalidated(ActorRef<VersionHolder.Command> holder, long version) {
    Lease lease = leases.get(holder);
    if (lease != null && lease.version() <= version) leases.remove(holder);
    for (Waiting w : waiting) {
      Lease awaited = w.awaited().get(holder);
      if (awaited != null && awaited.version() <= version) w.awaited().remove(holder);
    }
    release(clock.getAsLong());
  }

  /** The timer: leases may have run out. */
  void lapsed() {
    release(clock.getAsLong());
  }

  /** Answers held now (tests). */
  int waitingAnswers() {
    return waiting.size();
  }

  /** Nodes holding a lease that has not run out (tests). */
  int liveLeases() {
    long now = clock.getAsLong();
    return (int) leases.values().stream().filter(l -> now - l.until() < 0).count();
  }

  /** Runs, in the order they were held, the answers nothing holds any more. */
  private void release(long now) {
    if (unknown && now - unknownUntil >= 0) unknown = false;
    Iterator<Waiting> it = waiting.iterator();
    while (it.hasNext()) {
      Waiting w = it.next();
      w.awaited().values().removeIf(l -> now - l.until() >= 0);
      if (w.awaited().isEmpty() && !unknown) {
        it.remove();
        w.answer().run();
      }
    }
    schedule(now);
  }

  /** Wakes the entity when the first held answer may go for lapsed leases alone. */
  private void schedule(long now) {
    if (waiting.isEmpty()) {
      timers.cancel(TIMER);
      return;
    }
    long next = Long.MAX_VALUE;
    for (Waiting w : waiting) {
      long free = unknown ? unknownUntil : now;
      for (Lease l : w.awaited().values()) free = Math.max(free, l.until());
      next = Math.min(next, free);
    }
    timers.startSingleTimer(TIMER, new FileEntity.LeasesLapsed(), Duration.ofNanos(Math.max(0, next - now)));
  }
}
