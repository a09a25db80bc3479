package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.Fetched;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transfer protocol over a {@link Wire}, run as an agent on one dedicated thread: it polls the
 * wire, sends data frames as far as each receiver's credit allows, sends control frames, and times
 * out transfers whose peer went silent. Streams talk to it through {@link #submit} commands and the
 * transfers' queues, never by blocking.
 *
 * <p>Protocol: the requester sends FETCH (with its first credit) or PUSH and names its own endpoint to
 * reply to; the data's receiver grants credit in CREDIT frames as its consumer takes bytes (an
 * absolute byte limit, so a lost or reordered grant is harmless); the sender sends DATA within that
 * credit, then END with the total; a push is answered with ACK once the service stored it. ERROR
 * carries a failure's code and message to the other side, CANCEL stops a fetch, and both sides send
 * KEEPALIVE while a transfer is quiet. Transfer ids are chosen by the requester: a random 32-bit
 * prefix per engine and a counter.
 *
 * <p>Authentication: FETCH and PUSH are signed with the cluster's secret ({@link SignedRequests}); one
 * that is unsigned, forged, stale or replayed is dropped unanswered (an answer would go to an endpoint the
 * sender chose) and counted. Every other frame is taken only for a transfer that a signed request started
 * (or that this side started), so a peer without the secret can neither start a transfer nor slip data
 * into one it did not start.
 *
 * <p>Zero copy: a {@link #fetchInto} transfer writes each DATA payload from the wire's buffer straight
 * into the caller's buffer, or has the wire read it from its socket to its place there ({@link #landingFor},
 * TCP), and checks its CRC32C there, with the whole buffer granted as credit at once;
 * a streamed transfer (a push served here, a {@code fetch} stream) writes each payload into its
 * {@link LandingRing} of direct pages (from {@link LandingPages}) and checks it there, and its stage reads
 * the verified bytes out;
 * a fetch served here sends from the {@link PageRun}s its chunk service lends (cache pages), copying each
 * frame from the page onto the wire. Neither allocates per frame on this agent's thread: frames are
 * reused objects, stages are woken through a {@link StageWaker}, and results complete on the
 * materializer's executor.
 */
public final class TransferEngine implements Agent, FrameHandler {
  private static final Logger log = LoggerFactory.getLogger(TransferEngine.class);
  private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long PEER_LINGER_NS = TimeUnit.SECONDS.toNanos(30);
  private static final int MAX_PENDING_CONTROL = 10_000;
  private static final UnsafeBuffer NO_PAYLOAD = new UnsafeBuffer(new byte[0]);

  private final Wire wire;
  private final ChunkService service;
  private final Materializer materializer;
  /** Runs what must not run on the agent thread: stream materializations and callers' continuations. */
  private final Executor executor;
  private final EngineSettings settings;
  private final Faults faults;
  private final SignedRequests requests;
  private final Refusals refusals;
  /**
   * Landing rings of streamed inbound transfers, one credit window each; this many idle ones are kept
   * (pushes of a chain-replicated upload arrive a few at a time).
   */
  private static final int LANDING_RINGS_KEPT = 4;
  private final LandingPages landing;
  private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
  private final Map<String, Peer> peers = new HashMap<>();
  /** The same peers, walked by index (a map's iterator would allocate on every duty cycle). */
  private final ArrayList<Peer> peerList = new ArrayList<>();
  /** Scratch list of the transfers being walked, reused. */
  private final ArrayList<Transfer> walk = new ArrayList<>();
  /** Transfers this side started, by id. */
  private final Long2ObjectHashMap<Transfer> mine = new Long2ObjectHashMap<>();
  /** Transfers peers started, by their id. */
  private final Long2ObjectHashMap<Transfer> theirs = new Long2ObjectHashMap<>();
  private final ArrayList<OutboundTransfer> sending = new ArrayList<>();
  private final UnsafeBuffer dataHeader = new UnsafeBuffer(ByteBuffer.allocateDirect(Frames.DATA_HEADER_BYTES));
  private final Frames.Writer control = new Frames.Writer(new UnsafeBuffer(ByteBuffer.allocateDirect(Frames.MAX_CONTROL_BYTES)));
  private final UnsafeBuffer pendingView = new UnsafeBuffer(0, 0);
  /** {@link #flushOne}, made once; {@link #flushing} and {@link #flushed} are its state during a flush. */
  private final ExpandableRingBuffer.MessageConsumer flushPending = this::flushOne;
  private Peer flushing;
  private int flushed;
  /** The payload of the DATA frame being sent: a view of a page run, rewrapped per frame. */
  private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);
  /** A corrupted copy of a payload, for fault injection only; made on first use. */
  private UnsafeBuffer corruptedPayload;
  /** Made when the first outbound transfer starts. */
  private StageWaker waker;
  private final Frames.Reader reader = new Frames.Reader();
  private final long idPrefix = ((long) new SecureRandom().nextInt()) << 32;
  private final AtomicInteger nextId = new AtomicInteger();
  private final AtomicLong droppedFrames = new AtomicLong();
  /** Fetches this node serves: from the request's arrival to the first DATA frame sent, and to END sent (agent thread, once a fetch). */
  private final Histogram serveFirstFrame = Metrics.histogram("tensorfs.transport.serve-first-frame",
      "Time from another node's fetch request arriving to its first DATA frame sent", Unit.NANOSECONDS, Tags.EMPTY);
  private final Histogram serveLatency = Metrics.histogram("tensorfs.transport.serve-latency",
      "Time from another node's fetch request arriving to its last frame (END) sent", Unit.NANOSECONDS, Tags.EMPTY);
  private volatile boolean closed;
  private long nowNs = System.nanoTime();
  private long nextTickNs;

  /** {@code key}: the cluster's secret, which signs the requests this engine sends and checks those it gets. */
  public TransferEngine(Wire wire, ChunkService service, Materializer materializer, EngineSettings settings, Faults faults, byte[] key) {
    this.wire = wire;
    this.requests = new SignedRequests(key, TimeUnit.NANOSECONDS.toMillis(settings.requestMaxAgeNs()), System::currentTimeMillis);
    this.refusals = new Refusals(wire.kind());
    this.service = service;
    this.materializer = materializer;
    this.executor = materializer.executionContext();
    this.settings = settings;
    if (settings.windowBytes() > Integer.MAX_VALUE) throw new IllegalArgumentException("window-bytes above 2 GiB");
    this.landing = new LandingPages((int) settings.windowBytes(), LANDING_RINGS_KEPT);
    this.faults = faults;
    Metrics.counter("tensorfs.transport.dropped-frames", "Frames received for no live transfer (late frames of a failed or cancelled one)", Unit.NONE, Tags.EMPTY, this, TransferEngine::droppedFrames);
  }

  public EngineSettings settings() {
    return settings;
  }

  /** Frames received for no live transfer (late frames of a failed or cancelled transfer). */
  public long droppedFrames() {
    return droppedFrames.get();
  }

  /** Requests refused since start: unsigned, forged, stale or replayed. */
  public long refusedRequests() {
    return refusals.count();
  }

  // ---- API for the transport (any thread) ----

  /**
   * One line per live transfer and per peer with control frames waiting: where each stands (bytes sent,
   * received, credit, waiting stages), for a diagnosis of a transfer that does not move. Answered on the
   * agent thread.
   */
  public CompletionStage<String> describe() {
    CompletableFuture<String> answer = new CompletableFuture<>();
    submit(() -> {
      StringBuilder b = new StringBuilder();
      for (Transfer t : allTransfers()) {
        b.append(t.requester ? "mine " : "theirs ").append(Long.toHexString(t.id)).append(' ').append(t.chunk).append(" peer ")
            .append(t.peerEndpoint).append(t.closed ? " closed" : "").append(" heard ").append((nowNs - t.lastHeardNs) / 1_000_000)
            .append(" ms ago");
        if (t instanceof OutboundTransfer o) {
          b.append(": sent ").append(o.sentBytes).append(" credit ").append(o.creditLimit).append(" outbox ").append(o.outbox.size())
              .append(o.current != null ? " +1 current" : "").append(" stage waiting ").append(o.stageWaiting.get())
              .append(" finished ").append(o.finished).append(" end sent ").append(o.endSent);
        } else if (t instanceof InboundTransfer in) {
          b.append(": received ").append(in.receivedBytes).append(" granted ").append(in.grantedLimit).append(" end ").append(in.endTotal)
              .append(in.ring != null ? " verified " + in.ring.verified() : "").append(" stage waiting ").append(in.stageWaiting.get())
              .append(" stopped ").append(in.stageStopped);
        }
        b.append('\n');
      }
      for (Peer p : peerList) {
        if (!p.pendingControl.isEmpty()) b.append("peer ").append(p.endpoint).append(": ").append(p.pendingFrames).append(" control frames wait\n");
      }
      b.append("dropped frames ").append(droppedFrames.get());
      answer.complete(b.toString());
    });
    return answer;
  }

  /**
   * {@code peer}: the endpoint to talk to; {@code peerName}: the peer as the caller knows it, which the
   * transfer's failures name (the same endpoint, or the one a node of several lanes advertises).
   */
  public Source<ByteString, NotUsed> fetch(String peer, String peerName, ChunkId chunk, long offset, long length) {
    if (offset < 0 || length < 0) throw new IllegalArgumentException("negative offset or length");
    return Source.fromGraph(new InboundStage(this,
        () -> new InboundTransfer(newId(), peer, true, chunk, offset, length, false, landing, System.nanoTime()).named(peerName)));
  }

  /**
   * Fetches into {@code target} from its position to its limit (neither moves); the stage completes,
   * never exceptionally, with the bytes verified from its start and the failure that stopped it early.
   */
  public CompletionStage<Fetched> fetchInto(String peer, String peerName, ChunkId chunk, long offset, ByteBuffer target) {
    if (offset < 0) throw new IllegalArgumentException("negative offset");
    if (target.isReadOnly()) throw new IllegalArgumentException("fetchInto needs a writable target");
    FetchTarget into = new FetchTarget(target, executor);
    if (into.capacity() == 0) return CompletableFuture.completedFuture(new Fetched(0, null));
    startInbound(new InboundTransfer(newId(), peer, chunk, offset, into, System.nanoTime()).named(peerName));
    return into.result;
  }

  public Sink<ByteString, CompletionStage<PushAck>> push(String peer, String peerName, PushRequest request) {
    int maxPayload = wire.maxPayloadBytes(peer);
    Sink<PageRun, CompletionStage<PushAck>> frames = Sink.fromGraph(new OutboundStage(this, () -> new OutboundTransfer(newId(), peer, true,
        request.chunk(), 0, request.lengthBytes(), maxPayload, outboxFrames(maxPayload), new CompletableFuture<>(), request,
        System.nanoTime()).named(peerName)));
    return Flow.of(ByteString.class).map(PageRun::of).toMat(frames, Keep.right());
  }

  private long newId() {
    return idPrefix | (nextId.incrementAndGet() & 0xFFFFFFFFL);
  }

  private int outboxFrames(int maxPayload) {
    return (int) Math.max(2, settings.outboxBytes() / maxPayload);
  }

  // ---- commands from stages (any thread) ----

  void submit(Runnable command) {
    commands.offer(command);
  }

  void startInbound(InboundTransfer t) {
    if (closed) t.fail(closedError());
    else submit(() -> registerInbound(t));
  }

  void startOutbound(OutboundTransfer t) {
    if (closed) t.fail(closedError());
    else if (t.requester) submit(() -> registerPush(t));
  }

  void grant(InboundTransfer t, long limit) {
    submit(() -> {
      if (t.closed || limit <= t.grantedLimit) return;
      t.grantedLimit = limit;
      control.begin(Frames.CREDIT, t.flags(), t.id).putLong(limit);
      sendControl(t, control.end());
    });
  }

  void inboundStopped(InboundTransfer t, boolean completed) {
    submit(() -> {
      if (t.closed || !t.requester) return; // a push served here ends when the service answers
      if (!completed) {
        control.begin(Frames.CANCEL, t.flags(), t.id);
        sendControl(t, control.end());
      }
      closeTransfer(t);
    });
  }

  private TfsException closedError() {
    return new TfsException(ErrorCode.UNAVAILABLE, "transport " + wire.localEndpoint() + " is closed");
  }

  // ---- agent ----

  @Override
  public String roleName() {
    return "tensorfs-transport-" + wire.kind();
  }

  @Override
  public int doWork() {
    nowNs = System.nanoTime();
    int work = runCommands();
    work += wire.poll(this, nowNs);
    work += sendData();
    work += flushControl();
    if (nowNs - nextTickNs >= 0) {
      nextTickNs = nowNs + TICK_NS;
      tick();
    }
    return work;
  }

  @Override
  public void onClose() {
    closed = true;
    runCommands();
    TfsException cause = closedError();
    for (Transfer t : allTransfers()) failAndTell(t, cause);
    for (Peer p : peers.values()) {
      p.publishCounts();
      p.flushCounts();
      p.link.close();
    }
    peers.clear();
    peerList.clear();
    wire.close();
    // Transfers that raced with close fail as their commands run; commands on closed transfers do nothing.
    runCommands();
    if (waker != null) waker.close();
  }

  private int runCommands() {
    int n = 0;
    for (Runnable c; n < 256 && (c = commands.poll()) != null; n++) {
      try {
        c.run();
      } catch (RuntimeException e) {
        log.error("transport command failed", e);
      }
    }
    return n;
  }

  // ---- registering transfers started here ----

  private void registerInbound(InboundTransfer t) {
    if (t.closed) return;
    if (closed) {
      t.fail(closedError());
      return;
    }
    if (!t.requester) { // a push served here: its stage is ready, give the pusher its first credit
      t.grantedLimit = settings.windowBytes();
      control.begin(Frames.CREDIT, t.flags(), t.id).putLong(t.grantedLimit);
      sendControl(t, control.end());
      return;
    }
    if (!attach(t)) return;
    // A fetch into a buffer grants the whole buffer at once: its memory is already held.
    t.grantedLimit = t.target != null ? t.lengthBytes : settings.windowBytes();
    control.begin(Frames.FETCH, t.flags(), t.id).chunk(t.chunk).putLong(t.baseOffset).putLong(t.lengthBytes)
        .putLong(t.grantedLimit).putString(wire.localEndpoint());
    sendControl(t, requests.sign(control));
  }

  private void registerPush(OutboundTransfer t) {
    if (closed && !t.closed) t.fail(closedError());
    if (t.closed || !attach(t)) {
      closeTransfer(t);
      return;
    }
    PushRequest r = t.request;
    control.begin(Frames.PUSH, t.flags(), t.id).chunk(r.chunk()).putLong(r.lengthBytes()).putByte((byte) (r.durable() ? 1 : 0))
        .putString(wire.localEndpoint()).putString(r.owner().toString()).putBytes(r.context());
    sendControl(t, requests.sign(control));
    sending.add(t);
  }

  /** Resolves the peer of a transfer this side starts and files it; false (and the transfer failed) when unreachable. */
  private boolean attach(Transfer t) {
    try {
      t.peer = peer(t.peerEndpoint);
    } catch (TfsException e) {
      t.fail(e);
      return false;
    }
    t.peer.transfers++;
    t.lastHeardNs = nowNs;
    (t.requester ? mine : theirs).put(t.id, t);
    return true;
  }

  private Peer peer(String endpoint) {
    Peer p = peers.get(endpoint);
    if (p == null) {
      p = new Peer(endpoint, wire.link(endpoint));
      peers.put(endpoint, p);
      peerList.add(p);
    }
    return p;
  }

  // ---- frames received ----

  @Override
  public void onFrame(DirectBuffer buffer, int offset, int length) {
    byte type = buffer.getByte(offset + Frames.TYPE_OFFSET);
    boolean fromRequester = (buffer.getByte(offset + Frames.FLAGS_OFFSET) & Frames.FROM_REQUESTER) != 0;
    long id = buffer.getLong(offset + Frames.TRANSFER_ID_OFFSET);
    try {
      if (type == Frames.FETCH || type == Frames.PUSH) {
        String refused = requests.check(buffer, offset, length);
        if (refused != null) {
          refusals.refused((type == Frames.FETCH ? "FETCH" : "PUSH") + " request " + Long.toHexString(id), refused, nowNs);
          return;
        }
        Frames.Reader r = reader.wrap(buffer, offset, SignedRequests.unsignedLength(length));
        if (type == Frames.FETCH) onFetch(id, r);
        else onPush(id, r);
        return;
      }
      Transfer t = fromRequester ? theirs.get(id) : mine.get(id);
      if (t == null || t.closed) {
        droppedFrames.incrementAndGet();
        return;
      }
      t.lastHeardNs = nowNs;
      if (t.peer != null) {
        t.peer.receivedFrames++;
        t.peer.receivedBytes += length;
      }
      switch (type) {
        case Frames.DATA -> onData(t, buffer, offset);
        case Frames.END -> onEnd(t, reader.wrap(buffer, offset, length).getLong());
        case Frames.ERROR -> onError(t, reader.wrap(buffer, offset, length));
        case Frames.CREDIT -> onCredit(t, reader.wrap(buffer, offset, length).getLong());
        case Frames.ACK -> onAck(t, reader.wrap(buffer, offset, length));
        case Frames.CANCEL -> onCancel(t);
        case Frames.KEEPALIVE -> { }
        default -> protocolError(t, "unknown frame type " + type);
      }
    } catch (RuntimeException e) {
      log.warn("malformed frame of type {} for transfer {}: {}", type, Long.toHexString(id), e.toString());
      droppedFrames.incrementAndGet();
    }
  }

  @Override
  public Landing landingFor(DirectBuffer buffer, int offset) {
    if (buffer.getByte(offset + Frames.TYPE_OFFSET) != Frames.DATA || (buffer.getByte(offset + Frames.FLAGS_OFFSET) & Frames.FROM_REQUESTER) != 0) {
      return null;
    }
    InboundTransfer in = intoTarget(buffer, offset);
    if (in == null || !in.sameChunk(buffer.getLong(offset + Frames.FILE_HI_OFFSET), buffer.getLong(offset + Frames.FILE_LO_OFFSET),
        buffer.getInt(offset + Frames.CHUNK_INDEX_OFFSET))) {
      return null;
    }
    long position = buffer.getLong(offset + Frames.CHUNK_OFFSET_OFFSET) - in.baseOffset;
    int length = buffer.getInt(offset + Frames.PAYLOAD_LENGTH_OFFSET);
    if (position < 0 || length <= 0 || position + length > in.lengthBytes || in.receivedBytes + length > in.grantedLimit
        || !in.target.fits((int) position, length)) {
      return null; // onFrame refuses it, with the reason
    }
    in.lastHeardNs = nowNs;
    return in.target.openLanding((int) position, length, buffer.getInt(offset + Frames.CRC_OFFSET));
  }

  @Override
  public void onLanded(DirectBuffer header, int offset, Landing landing) {
    InboundTransfer in = landing.live() ? intoTarget(header, offset) : null;
    if (in == null || in.target != landing.target) {
      droppedFrames.incrementAndGet();
      return;
    }
    int length = landing.length;
    in.lastHeardNs = nowNs;
    in.peer.receivedFrames++;
    in.peer.receivedBytes += Frames.DATA_HEADER_BYTES + length;
    in.receivedBytes += length;
    if (!in.target.landed(landing)) {
      failAndTell(in, new TfsException(ErrorCode.CHECKSUM_MISMATCH, "chunk " + in.chunk + " at offset " + (in.baseOffset + landing.position)
          + ": frame CRC32C " + Crc32c.hex(in.target.crcAt(landing.position, length)) + " received, " + Crc32c.hex(landing.crc)
          + " sent, from " + in.peerName));
      return;
    }
    if (in.endTotal >= 0 && in.target.verifiedBytes() == in.endTotal) fetchedAll(in);
  }

  @Override
  public void onLandingLost(Landing landing) {
    if (landing.live()) landing.target.abandon(landing);
  }

  /** The live fetch into a target that the DATA frame at {@code offset} is for, or null. */
  private InboundTransfer intoTarget(DirectBuffer buffer, int offset) {
    Transfer t = mine.get(buffer.getLong(offset + Frames.TRANSFER_ID_OFFSET));
    return t instanceof InboundTransfer in && !in.closed && in.target != null && in.peer != null ? in : null;
  }

  private void onFetch(long id, Frames.Reader r) {
    ChunkId chunk = r.chunk();
    long offset = r.getLong();
    long length = r.getLong();
    long credit = r.getLong();
    String replyTo = r.getString();
    if (theirs.containsKey(id)) return;
    int maxPayload = wire.maxPayloadBytes(replyTo);
    OutboundTransfer t = new OutboundTransfer(id, replyTo, false, chunk, offset, length, maxPayload, outboxFrames(maxPayload),
        null, null, nowNs);
    if (!attach(t)) {
      log.warn("fetch of {} from unreachable {}: dropped", chunk, replyTo);
      return;
    }
    t.creditLimit = credit;
    sending.add(t);
    try {
      executor.execute(() -> serve(t));
    } catch (RuntimeException e) {
      endWithError(t, asTfs(e));
    }
  }

  /** On the executor: starts the stream that serves a fetch from the service's pages. */
  private void serve(OutboundTransfer t) {
    try {
      service.readPages(t.chunk, t.baseOffset, t.lengthBytes).runWith(Sink.fromGraph(new OutboundStage(this, () -> t)), materializer);
    } catch (RuntimeException e) {
      submit(() -> {
        if (!t.closed) endWithError(t, asTfs(e));
      });
    }
  }

  private void onPush(long id, Frames.Reader r) {
    ChunkId chunk = r.chunk();
    long lengthBytes = r.getLong();
    boolean durable = r.getByte() != 0;
    String replyTo = r.getString();
    String owner = r.getString();
    byte[] context = r.getBytes();
    if (theirs.containsKey(id)) return;
    InboundTransfer t = new InboundTransfer(id, replyTo, false, chunk, 0, lengthBytes, true, landing, nowNs);
    if (!attach(t)) {
      log.warn("push of {} from unreachable {}: dropped", chunk, replyTo);
      t.letGoOfRing(true);
      t.letGoOfRing(false);
      return;
    }
    CompletionStage<PushAck> stored;
    try {
      PushRequest request = new PushRequest(chunk, TfsPath.parse(owner), durable, lengthBytes, context);
      stored = Source.fromGraph(new InboundStage(this, () -> t)).runWith(service.write(request), materializer);
    } catch (RuntimeException e) {
      t.letGoOfRing(false); // no stage runs
      endWithError(t, asTfs(e));
      return;
    }
    stored.whenComplete((ack, error) -> submit(() -> pushStored(t, ack, error)));
  }

  private void pushStored(InboundTransfer t, PushAck ack, Throwable error) {
    if (t.closed) return;
    if (error != null) {
      endWithError(t, asTfs(error));
      return;
    }
    control.begin(Frames.ACK, t.flags(), t.id).chunk(ack.chunk()).putLong(ack.lengthBytes()).putInt(ack.crc32c()).putBytes(ack.context());
    sendControl(t, control.end());
    closeTransfer(t);
  }

  private void onData(Transfer t, DirectBuffer buffer, int offset) {
    if (!(t instanceof InboundTransfer in)) {
      protocolError(t, "DATA sent to the sending side");
      return;
    }
    if (!in.sameChunk(buffer.getLong(offset + Frames.FILE_HI_OFFSET), buffer.getLong(offset + Frames.FILE_LO_OFFSET),
        buffer.getInt(offset + Frames.CHUNK_INDEX_OFFSET))) {
      protocolError(t, "DATA for another chunk");
      return;
    }
    int crc = buffer.getInt(offset + Frames.CRC_OFFSET);
    long position = buffer.getLong(offset + Frames.CHUNK_OFFSET_OFFSET) - in.baseOffset;
    int length = buffer.getInt(offset + Frames.PAYLOAD_LENGTH_OFFSET);
    if (position < 0 || length < 0 || position + length > in.lengthBytes) {
      protocolError(t, "DATA outside the transfer's range");
      return;
    }
    if (in.receivedBytes + length > in.grantedLimit) {
      protocolError(t, "DATA past the credit granted");
      return;
    }
    in.receivedBytes += length;
    if (in.target != null) {
      land(in, buffer, offset + Frames.DATA_HEADER_BYTES, (int) position, length, crc);
      return;
    }
    if (in.stageStopped) return;
    land(in, in.ring, buffer, offset + Frames.DATA_HEADER_BYTES, position, length, crc);
  }

  /**
   * Writes a streamed transfer's DATA payload into its ring and checks it there, then wakes its stage if it
   * waits for bytes. A frame past the credit granted (it could land on bytes the stage has not read) or
   * over bytes received is a protocol error; a checksum that fails ends the transfer, the sender told.
   */
  private void land(InboundTransfer t, LandingRing ring, DirectBuffer buffer, int payloadOffset, long position, int length, int crc) {
    if (position + length > t.grantedLimit || !ring.fits(position, length)) {
      protocolError(t, "DATA over bytes already received or past the credit granted");
      return;
    }
    if (!ring.write(buffer, payloadOffset, position, length, crc)) {
      failAndTell(t, new TfsException(ErrorCode.CHECKSUM_MISMATCH, "chunk " + t.chunk + " at offset " + (t.baseOffset + position)
          + ": frame CRC32C mismatch (" + Crc32c.hex(crc) + " sent), from " + t.peerName));
      return;
    }
    if (t.stageShouldWake()) waker().wake(t.wakeStage);
  }

  /** Writes a DATA payload into a fetch's target and checks it there; the fetch ends once all its bytes are in. */
  private void land(InboundTransfer t, DirectBuffer buffer, int payloadOffset, int position, int length, int crc) {
    FetchTarget target = t.target;
    if (!target.fits(position, length)) {
      protocolError(t, "DATA over bytes already received");
      return;
    }
    if (!target.write(buffer, payloadOffset, position, length, crc)) {
      failAndTell(t, new TfsException(ErrorCode.CHECKSUM_MISMATCH, "chunk " + t.chunk + " at offset " + (t.baseOffset + position)
          + ": frame CRC32C " + Crc32c.hex(target.crcAt(position, length)) + " received, " + Crc32c.hex(crc) + " sent, from "
          + t.peerName));
      return;
    }
    if (t.endTotal >= 0 && target.verifiedBytes() == t.endTotal) fetchedAll(t);
  }

  private void fetchedAll(InboundTransfer t) {
    t.target.finish(null);
    closeTransfer(t);
  }

  private void onEnd(Transfer t, long totalBytes) {
    if (!(t instanceof InboundTransfer in)) {
      protocolError(t, "END sent to the sending side");
      return;
    }
    if (in.target != null) {
      if (totalBytes < 0 || totalBytes > in.lengthBytes) {
        protocolError(in, "END after " + totalBytes + " bytes, more than the " + in.lengthBytes + " asked");
        return;
      }
      in.endTotal = totalBytes;
      if (in.target.verifiedBytes() == totalBytes) fetchedAll(in);
      return;
    }
    in.endTotal = totalBytes;
    in.deliver(new InboundTransfer.End(totalBytes));
  }

  private void onError(Transfer t, Frames.Reader r) {
    String code = r.getString();
    String message = r.getString();
    ErrorCode errorCode;
    try {
      errorCode = ErrorCode.valueOf(code);
    } catch (IllegalArgumentException e) {
      errorCode = ErrorCode.INTERNAL;
    }
    t.fail(new TfsException(errorCode, message));
    closeTransfer(t);
  }

  private void onCredit(Transfer t, long limit) {
    if (t instanceof OutboundTransfer out && limit > out.creditLimit) out.creditLimit = limit;
  }

  private void onAck(Transfer t, Frames.Reader r) {
    if (!(t instanceof OutboundTransfer out) || out.ack == null) {
      protocolError(t, "ACK for a transfer that is no push");
      return;
    }
    ChunkId chunk = r.chunk();
    long length = r.getLong();
    int crc = r.getInt();
    byte[] context = r.getBytes();
    out.ack.complete(new PushAck(chunk, length, crc, context));
    closeTransfer(t);
  }

  private void onCancel(Transfer t) {
    t.fail(new TfsException(ErrorCode.UNAVAILABLE, "transfer of " + t.chunk + " cancelled by " + t.peerName));
    closeTransfer(t);
  }

  private void protocolError(Transfer t, String what) {
    failAndTell(t, new TfsException(ErrorCode.INTERNAL, "protocol error from " + t.peerName + ": " + what));
  }

  @Override
  public void onPeerLost(String endpoint, String reason) {
    Peer p = peers.get(endpoint);
    if (p != null) failPeer(p, reason);
  }

  // ---- sending ----

  private int sendData() {
    int work = 0;
    for (int i = sending.size() - 1; i >= 0; i--) {
      OutboundTransfer t = sending.get(i);
      work += sendFrames(t);
      if (t.closed || t.endSent) {
        int last = sending.size() - 1;
        sending.set(i, sending.get(last));
        sending.remove(last);
      }
    }
    return work;
  }

  private int sendFrames(OutboundTransfer t) {
    if (t.closed) return 0;
    TfsException failed = t.upstreamFailure;
    if (failed != null) {
      endWithError(t, failed);
      return 1;
    }
    int sent = 0;
    while (sent < 16) {
      OutboundTransfer.Frame f = t.current;
      if (f == null) {
        f = t.outbox.poll();
        if (f == null) break;
        t.current = f;
        if (t.stageShouldWake()) waker().wake(t.wakeStage);
      }
      if (t.sentBytes + f.length > t.creditLimit || !offerData(t, f)) break;
      if (t.sentBytes == 0 && !t.requester) serveFirstFrame.record(nowNs - t.openedNs);
      t.sentBytes += f.length;
      t.current = null;
      t.sent(f);
      t.frameSeq++;
      t.lastSentNs = nowNs;
      sent++;
    }
    boolean finished = t.finished;
    if (finished && t.current == null && t.outbox.isEmpty()) {
      control.begin(Frames.END, t.flags(), t.id).putLong(t.sentBytes);
      sendControl(t, control.end());
      t.endSent = true;
      if (!t.requester) {
        serveLatency.record(nowNs - t.openedNs);
        closeTransfer(t); // a push stays until its ACK
      }
      sent++;
    }
    return sent;
  }

  /**
   * Offers a frame from its page to the wire; true when the link took it, and with it the run the frame
   * ends (the link gives the run back once it no longer reads the page).
   */
  private boolean offerData(OutboundTransfer t, OutboundTransfer.Frame f) {
    if (faults.muted()) {
      // Dropped, but earlier frames of its run may still be read by the device (RDMA sends them from the
      // page without holding the run): the run goes back once the link's sends so far completed.
      PageRun run = f.endsRun;
      if (run != null) t.peer.link.afterSent(() -> Link.release(run));
      return true;
    }
    payloadView.wrap(f.bytes, f.offset, f.length);
    DirectBuffer payload = payloadView;
    // A corrupted frame counts once it went out: a back-pressured offer is retried with the same bytes.
    boolean corrupt = faults.corruptionPending();
    if (corrupt) payload = corrupted(payloadView, f.length);
    Frames.dataHeader(dataHeader, t.flags(), t.id, t.fileHi, t.fileLo, t.chunk.index(), f.crc, t.baseOffset + t.sentBytes, f.length);
    boolean sent = t.peer.link.offer(t.frameSeq, dataHeader, Frames.DATA_HEADER_BYTES, payload, 0, f.length, f.endsRun);
    if (sent && corrupt) faults.corrupted();
    countOffer(t.peer, sent, Frames.DATA_HEADER_BYTES + f.length);
    return sent;
  }

  /** Fault injection: a copy of the payload with one byte flipped (the page itself stays as it is). */
  private DirectBuffer corrupted(DirectBuffer payload, int length) {
    if (corruptedPayload == null || corruptedPayload.capacity() < length) {
      corruptedPayload = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
    }
    corruptedPayload.putBytes(0, payload, 0, length);
    corruptedPayload.putByte(length / 2, (byte) (corruptedPayload.getByte(length / 2) ^ 0x5A));
    return corruptedPayload;
  }

  private StageWaker waker() {
    if (waker == null) waker = new StageWaker(roleName() + "-waker");
    return waker;
  }

  /** Counts an offer to {@code p}: a frame sent, or one refused for now that will be offered again. */
  private static boolean countOffer(Peer p, boolean sent, int frameBytes) {
    if (sent) {
      p.sentFrames++;
      p.sentBytes += frameBytes;
    } else {
      p.backPressured++;
    }
    return sent;
  }

  private void sendControl(Transfer t, int length) {
    t.lastSentNs = nowNs;
    sendControl(t.peer, length);
  }

  private void sendControl(Peer p, int length) {
    if (faults.muted()) return;
    if (p.pendingControl.isEmpty() && countOffer(p, p.link.offer(0, control.buffer(), length, NO_PAYLOAD, 0, 0), length)) {
      return;
    }
    if (p.pendingFrames >= MAX_PENDING_CONTROL || !p.pendingControl.append(control.buffer(), 0, length)) {
      failPeer(p, "it takes no frames");
      return;
    }
    p.pendingFrames++;
  }

  private int flushControl() {
    int work = 0;
    for (int i = 0; i < peerList.size(); i++) {
      Peer p = peerList.get(i);
      if (p.pendingControl.isEmpty()) continue;
      flushing = p;
      flushed = 0;
      p.pendingControl.consume(flushPending, Integer.MAX_VALUE);
      p.pendingFrames -= flushed;
      work += flushed;
    }
    flushing = null;
    return work;
  }

  /** Offers one pending control frame of {@link #flushing}; true (it leaves the queue) when the link took it. */
  private boolean flushOne(MutableDirectBuffer buffer, int offset, int length, int headOffset) {
    pendingView.wrap(buffer, offset, length);
    if (!countOffer(flushing, flushing.link.offer(0, pendingView, length, NO_PAYLOAD, 0, 0), length)) return false;
    flushed++;
    return true;
  }

  private void endWithError(Transfer t, TfsException cause) {
    control.begin(Frames.ERROR, t.flags(), t.id).putString(cause.code().name()).putString(String.valueOf(cause.getMessage()));
    sendControl(t, control.end());
    t.fail(cause);
    closeTransfer(t);
  }

  /** Fails a transfer here and tells its peer: a fetch asked here is cancelled, anything else gets the error. */
  private void failAndTell(Transfer t, TfsException cause) {
    if (t.peer == null || t.closed) {
      t.fail(cause);
      return;
    }
    if (t instanceof InboundTransfer && t.requester) {
      control.begin(Frames.CANCEL, t.flags(), t.id);
      sendControl(t, control.end());
      t.fail(cause);
      closeTransfer(t);
    } else {
      endWithError(t, cause);
    }
  }

  private void closeTransfer(Transfer t) {
    t.closed = true;
    // The link may still be sending frames of this transfer from its pages: what is left of them goes back after.
    if (t instanceof OutboundTransfer out) {
      if (t.peer != null) t.peer.link.afterSent(out.engineStoppedAction);
      else out.engineStopped();
    }
    if (t instanceof InboundTransfer in) in.letGoOfRing(true);
    if ((t.requester ? mine : theirs).remove(t.id) != null && t.peer != null) {
      if (--t.peer.transfers == 0) t.peer.idleSinceNs = nowNs;
    }
  }

  // ---- timers ----

  private void tick() {
    long quietNs = settings.idleTimeoutNs() / 3;
    List<Transfer> all = allTransfers();
    for (int i = 0; i < all.size(); i++) {
      Transfer t = all.get(i);
      if (t.peer == null || t.closed) continue;
      if (t.expectsPeer() && nowNs - t.lastHeardNs > settings.idleTimeoutNs()) {
        failAndTell(t, new TfsException(ErrorCode.UNAVAILABLE, "transfer of " + t.chunk + ": nothing heard from "
            + t.peerName + " for " + TimeUnit.NANOSECONDS.toMillis(nowNs - t.lastHeardNs) + " ms"));
      } else if (nowNs - t.lastSentNs > quietNs) {
        control.begin(Frames.KEEPALIVE, t.flags(), t.id);
        sendControl(t, control.end());
      }
    }
    for (int i = peerList.size() - 1; i >= 0; i--) {
      Peer p = peerList.get(i);
      if (p.publishCounts()) waker().wake(p.flushTask);
      String why = p.link.failure(nowNs);
      if (why != null) failPeer(p, why);
      else if (p.transfers == 0 && p.pendingControl.isEmpty() && nowNs - p.idleSinceNs > PEER_LINGER_NS) dropPeer(p);
    }
  }

  private void failPeer(Peer p, String why) {
    int inFlight = p.transfers;
    List<Transfer> all = allTransfers();
    for (int i = 0; i < all.size(); i++) {
      Transfer t = all.get(i);
      if (t.peer == p) {
        t.fail(new TfsException(ErrorCode.UNAVAILABLE, "peer " + t.peerName + ": " + why));
        closeTransfer(t);
      }
    }
    if (inFlight > 0) log.warn("transfers with {} failed: {}", p.endpoint, why);
    dropPeer(p);
  }

  private void dropPeer(Peer p) {
    p.publishCounts();
    p.flushCounts();
    peers.remove(p.endpoint);
    peerList.remove(p);
    p.link.close();
  }

  /**
   * A copy, so that failing transfers while walking it is safe; the same list every time, so a walk must
   * not start another.
   */
  private List<Transfer> allTransfers() {
    walk.clear();
    for (Transfer t : mine.values()) walk.add(t);
    for (Transfer t : theirs.values()) walk.add(t);
    return walk;
  }

  private static TfsException asTfs(Throwable t) {
    Throwable c = t;
    while (c != null) {
      if (c instanceof TfsException e) return e;
      c = c.getCause();
    }
    return new TfsException(ErrorCode.INTERNAL, String.valueOf(t.getMessage()), t);
  }
}
