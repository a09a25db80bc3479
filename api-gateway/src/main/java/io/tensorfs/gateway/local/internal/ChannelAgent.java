package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one agent that serves every attached channel: each turn it takes new channels, pushes the
 * completions of requests that finished elsewhere, then takes each channel's submissions (a ring's worth
 * at most) and starts them; requests that finish at once are completed in the same turn. Now and then it
 * stamps each header's heartbeat and checks each client's process; a channel whose client ended, asked to
 * detach, or marked itself closing is detached: its registrations are forgotten and the completions of
 * its requests still in flight are dropped (their holds are released as they finish). The channels and
 * their rings belong to the agent's thread; {@link #add} and request completions come from others.
 */
public final class ChannelAgent implements Agent {
  private static final Logger log = LoggerFactory.getLogger(ChannelAgent.class);

  private final Queue<Channel> attaching = new ConcurrentLinkedQueue<>();
  private final Queue<Finished> finished = new ConcurrentLinkedQueue<>();
  private final List<Channel> channels = new ArrayList<>();
  private final AtomicInteger attached = new AtomicInteger();
  private final RequestRunner ops;
  private final LongSupplier nanoClock;
  private final LongPredicate alive;
  private final long livenessIntervalNs;
  private final long heartbeatIntervalNs;
  private long nextLivenessNs;
  private long nextHeartbeatNs;
  private final AtomicInteger malformed = new AtomicInteger();

  private static final int BAD_REQUEST = status(ErrorCode.BAD_REQUEST);

  private record Finished(Channel channel, int slot, Outcome outcome) {}

  /** @param alive whether the process of a pid is running (checked every {@code livenessIntervalNs}) */
  public ChannelAgent(RequestRunner ops, LongSupplier nanoClock, LongPredicate alive, long livenessIntervalNs,
      long heartbeatIntervalNs) {
    this.ops = ops;
    this.nanoClock = nanoClock;
    this.alive = alive;
    this.livenessIntervalNs = livenessIntervalNs;
    this.heartbeatIntervalNs = heartbeatIntervalNs;
  }

  /** Whether a process runs under {@code pid} on this host. */
  public static boolean processAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Hands a checked channel to the agent; UNAVAILABLE when {@code max} are attached already. Any thread. */
  public void add(Channel channel, int max) {
    if (attached.incrementAndGet() > max) {
      attached.decrementAndGet();
      throw new TfsException(ErrorCode.UNAVAILABLE, max + " local channels are attached to this node already");
    }
    attaching.add(channel);
  }

  /** Channels attached now. Any thread. */
  public int attached() {
    return attached.get();
  }

  /** Requests answered BAD_REQUEST (malformed records, bad elements or buffers) since the start. Any thread. */
  public int malformed() {
    return malformed.get();
  }

  @Override
  public String roleName() {
    return "tensorfs-local-channels";
  }

  @Override
  public int doWork() {
    int work = 0;
    for (Channel c; (c = attaching.poll()) != null; work++) {
      channels.add(c);
      c.ring().heartbeat(System.currentTimeMillis());
      c.ring().nodeState(NODE_ATTACHED);
    }
    for (Finished f; (f = finished.poll()) != null; work++) {
      if (!f.channel().detached()) complete(f.channel(), f.slot(), f.outcome());
    }
    boolean gone = false;
    for (int i = 0; i < channels.size(); i++) {
      Channel c = channels.get(i);
      if (c.ring().clientState() == CLIENT_CLOSING) {
        detach(c, false);
      } else {
        work += poll(c);
      }
      gone |= c.detached();
    }
    long now = nanoClock.getAsLong();
    if (now - nextHeartbeatNs >= 0) {
      nextHeartbeatNs = now + heartbeatIntervalNs;
      long ms = System.currentTimeMillis();
      for (Channel c : channels) if (!c.detached()) c.ring().heartbeat(ms);
    }
    if (now - nextLivenessNs >= 0) {
      nextLivenessNs = now + livenessIntervalNs;
      for (Channel c : channels) {
        if (!c.detached() && !alive.test(c.pid())) {
          detach(c, true);
          gone = true;
        }
      }
    }
    if (gone) channels.removeIf(Channel::detached);
    return work;
  }

  @Override
  public void onClose() {
    for (Channel c : channels) if (!c.detached()) detach(c, false);
    channels.clear();
  }

  private int poll(Channel c) {
    ChannelRing ring = c.ring();
    int n = Math.min(ring.pending(), ring.slots());
    for (int i = 0; i < n && !c.detached(); i++) submit(c, ring.take());
    return Math.max(n, 0);
  }

  private void submit(Channel c, int slot) {
    ChannelRing ring = c.ring();
    if (slot < 0 || slot >= ring.slots() || c.busy()[slot]) {
      // No slot of the client's to write a message into, or one whose request is still running.
      malformed.incrementAndGet();
      ring.complete(slot, status(ErrorCode.BAD_REQUEST), 0);
      return;
    }
    c.busy()[slot] = true;
    CompletionStage<Outcome> stage;
    try {
      SlotRequest r = SlotDecoder.decode(ring.buffer(), ring.slotAt(slot), ring.slotBytes());
      if (r instanceof SlotRequest.Detach) {
        complete(c, slot, Outcome.ok(0));
        detach(c, false);
        return;
      }
      stage = ops.run(c, slot, r);
    } catch (RuntimeException e) {
      stage = CompletableFuture.completedFuture(Outcome.failed(e));
    }
    CompletableFuture<Outcome> f = stage.toCompletableFuture();
    if (f.isDone() && !f.isCompletedExceptionally()) {
      complete(c, slot, f.getNow(null));
    } else {
      f.whenComplete((o, e) -> finished.add(new Finished(c, slot, e == null ? o : Outcome.failed(e))));
    }
  }

  private void complete(Channel c, int slot, Outcome o) {
    ChannelRing ring = c.ring();
    if (o.status() != 0) ring.errorText(slot, o.message());
    if (o.status() == BAD_REQUEST) malformed.incrementAndGet();
    ring.complete(slot, o.status(), o.value());
    c.busy()[slot] = false;
  }

  private void detach(Channel c, boolean clientDied) {
    if (c.detached()) return;
    c.detach();
    attached.decrementAndGet();
    c.ring().nodeState(NODE_DETACHED);
    if (clientDied) {
      try {
        Files.deleteIfExists(c.file());
      } catch (IOException e) {
        log.warn("local channel {}: cannot remove {} of its ended client: {}", c.id(), c.file(), e.getMessage());
      }
    }
    log.info("local channel {} of pid {} detached{}", c.id(), c.pid(), clientDied ? " (its process ended)" : "");
  }

  private static int status(ErrorCode code) {
    return io.tensorfs.gateway.grpc.internal.Errors.wire(code).getNumber();
  }
}
