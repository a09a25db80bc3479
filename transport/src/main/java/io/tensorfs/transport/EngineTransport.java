package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.EngineSettings;
import io.tensorfs.transport.internal.Endpoints;
import io.tensorfs.transport.internal.Faults;
import io.tensorfs.transport.internal.TransferEngine;
import io.tensorfs.transport.internal.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport made of the transfer engine over a wire, run on one dedicated daemon thread; or of several
 * such lanes, each an engine over its own wire on its own thread, that share nothing but the chunk service.
 * Each transfer this side starts goes on the next lane in turn, to the peer's lane of the same number
 * (modulo the lanes the peer has, which its endpoint names: {@link #laneEndpoints}); the peer answers on
 * that lane of its own, to the lane that asked. So the transfers a node starts and serves spread over
 * lanes × threads on both sides, each lane an independent endpoint of the same protocol.
 */
abstract class EngineTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(EngineTransport.class);

  private final Wire[] wires;
  private final TransferEngine[] engines;
  private final AgentRunner[] runners;
  private final Faults faults = new Faults();
  private final AtomicInteger nextLane = new AtomicInteger();
  /** Each peer's endpoint (as it advertises it), split into its lanes' endpoints. */
  private final ConcurrentHashMap<String, String[]> peerLanes = new ConcurrentHashMap<>();
  private static final int PEERS_REMEMBERED = 4096;
  private boolean closed;
  /** {@link #localEndpoint()}, once made. */
  private volatile String endpoint;

  EngineTransport(Wire wire, ChunkService service, Materializer materializer, EngineSettings settings, ClusterSecret secret) {
    this(List.of(wire), service, materializer, settings, secret);
  }

  /** One lane per wire, in order; the first is the one whose endpoint a peer that has one lane reaches. */
  EngineTransport(List<? extends Wire> wires, ChunkService service, Materializer materializer, EngineSettings settings, ClusterSecret secret) {
    if (wires.isEmpty()) throw new IllegalArgumentException("a transport needs a wire");
    this.wires = wires.toArray(new Wire[0]);
    this.engines = new TransferEngine[this.wires.length];
    this.runners = new AgentRunner[this.wires.length];
    for (int i = 0; i < this.wires.length; i++) {
      TransferEngine engine = new TransferEngine(this.wires[i], service, materializer, settings, faults, secret.key());
      AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(64, 16, 1_000, settings.maxParkNs()),
          e -> log.error("transport thread error", e), null, engine);
      String name = engine.roleName() + (this.wires.length > 1 ? "-" + i : "");
      AgentRunner.startOnThread(runner, r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      });
      engines[i] = engine;
      runners[i] = runner;
    }
  }

  /** Opens a wire, which may fail with an I/O error. */
  @FunctionalInterface
  interface WireOpener<W extends Wire> {
    W open() throws IOException;
  }

  /**
   * A wire that listens on the configured host and port, opened by {@code opener}; an I/O failure is
   * thrown unchecked, naming the host and port (how every listening transport starts).
   */
  static <W extends Wire> W listening(TransportSettings settings, WireOpener<W> opener) {
    return listening(settings, settings.port(), opener);
  }

  /** As above, on {@code port} rather than the configured one (a lane of several). */
  static <W extends Wire> W listening(TransportSettings settings, int port, WireOpener<W> opener) {
    try {
      return opener.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.bindHost() + ":" + port, e);
    }
  }

  @Override
  public String kind() {
    return wires[0].kind();
  }

  /**
   * This transport's endpoint: the first lane's, and with several lanes that with a {@code lanes} parameter
   * naming every lane in order ({@link #laneName}), so that a peer of one lane reaches the first lane and a
   * peer of several reaches each ({@link #laneEndpoints}).
   */
  @Override
  public String localEndpoint() {
    String named = endpoint;
    if (named == null) {
      String first = wires[0].localEndpoint();
      if (wires.length == 1) {
        named = first;
      } else {
        StringJoiner names = new StringJoiner(",", first + (first.indexOf('?') < 0 ? "?" : "&") + "lanes=", "");
        for (Wire w : wires) names.add(laneName(Endpoints.parse(w.localEndpoint())));
        named = names.toString();
      }
      endpoint = named;
    }
    return named;
  }

  /** The endpoints of each lane of this transport, in order. */
  final List<String> laneLocalEndpoints() {
    List<String> out = new ArrayList<>(wires.length);
    for (Wire w : wires) out.add(w.localEndpoint());
    return out;
  }

  /** A lane's name in this transport's {@code lanes} parameter, from the lane's own endpoint (kinds that run lanes). */
  String laneName(URI lane) {
    throw new UnsupportedOperationException(kind() + " runs one lane");
  }

  /** The endpoint of the lane called {@code name} of a peer that advertises {@code peer}; null when it names none. */
  String laneEndpoint(URI peer, String name) {
    return null;
  }

  /**
   * The endpoints of the lanes of a peer that advertises {@code peer}, in order: one per name in its
   * {@code lanes} parameter ({@link #laneEndpoint}). A peer without that parameter is one lane; so is one
   * whose list does not parse, reached at its endpoint without the list (its first lane, as a peer of one
   * lane would reach it). An endpoint of another kind is left to the wire to refuse.
   */
  final String[] laneEndpoints(String peer) {
    URI uri;
    try {
      uri = Endpoints.parse(peer);
    } catch (TfsException e) {
      return new String[] {peer};
    }
    String lanes = Endpoints.query(uri).get("lanes");
    if (lanes == null) return new String[] {peer};
    String[] names = lanes.split(",");
    String[] out = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = laneEndpoint(uri, names[i]);
      if (out[i] == null) return new String[] {Endpoints.without(peer, "lanes")};
    }
    return out;
  }

  @Override
  public Source<ByteString, NotUsed> fetch(String peer, ChunkId chunk, long offset, long length) {
    int lane = nextLane();
    return engines[lane].fetch(peerLane(peer, lane), peer, chunk, offset, length);
  }

  @Override
  public CompletionStage<Fetched> fetchInto(String peer, ChunkId chunk, long offset, java.nio.ByteBuffer target) {
    int lane = nextLane();
    return engines[lane].fetchInto(peerLane(peer, lane), peer, chunk, offset, target);
  }

  @Override
  public Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request) {
    int lane = nextLane();
    return engines[lane].push(peerLane(peer, lane), peer, request);
  }

  private int nextLane() {
    return engines.length == 1 ? 0 : Math.floorMod(nextLane.getAndIncrement(), engines.length);
  }

  /**
   * The endpoint of the peer's lane that this side's lane {@code lane} talks to. The peers' lanes are
   * remembered, and forgotten all at once should their number grow past {@link #PEERS_REMEMBERED} (a node
   * that restarts comes back with new ports, so a long-lived node would otherwise keep every old endpoint).
   */
  private String peerLane(String peer, int lane) {
    if (peerLanes.size() > PEERS_REMEMBERED) peerLanes.clear();
    String[] theirs = peerLanes.computeIfAbsent(peer, this::laneEndpoints);
    return theirs[lane % theirs.length];
  }

  /** Fault injection, for tests only. */
  public Faults faults() {
    return faults;
  }

  /** Frames that arrived for no live transfer (late frames of a failed or cancelled one). */
  public long droppedFrames() {
    long n = 0;
    for (TransferEngine e : engines) n += e.droppedFrames();
    return n;
  }

  /** The ids of the threads the lanes' agents run on (the duty cycles), e.g. to count what they allocate. */
  long[] agentThreadIds() {
    long[] ids = new long[runners.length];
    for (int i = 0; i < runners.length; i++) ids[i] = runners[i].thread().getId();
    return ids;
  }

  /** The largest DATA payload this transport sends {@code peer} in one frame. */
  int maxPayloadBytes(String peer) {
    return wires[0].maxPayloadBytes(peerLane(peer, 0));
  }

  /** Where each live transfer stands, a line each (see {@link TransferEngine#describe}), lane after lane. */
  public CompletionStage<String> describeTransfers() {
    CompletionStage<String> all = engines[0].describe();
    for (int i = 1; i < engines.length; i++) all = all.thenCombine(engines[i].describe(), String::concat);
    return all;
  }

  /** Requests refused since start for want of the cluster's secret (unsigned, forged, stale or replayed). */
  public long refusedRequests() {
    long n = 0;
    for (TransferEngine e : engines) n += e.refusedRequests();
    return n;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    // each runs its engine's onClose on its thread: transfers fail, peers are told, the wire closes
    for (AgentRunner r : runners) r.close();
    closeResources();
  }

  /** Releases what the wire was built on, after the engine stopped. */
  abstract void closeResources();
}
