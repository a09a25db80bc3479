package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.EngineSettings;
import io.tensorfs.transport.internal.Faults;
import io.tensorfs.transport.internal.TransferEngine;
import io.tensorfs.transport.internal.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionStage;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A transport made of the transfer engine over one wire, run on one dedicated daemon thread. */
abstract class EngineTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(EngineTransport.class);

  private final Wire wire;
  private final TransferEngine engine;
  private final AgentRunner runner;
  private final Faults faults = new Faults();
  private boolean closed;

  EngineTransport(Wire wire, ChunkService service, Materializer materializer, EngineSettings settings, ClusterSecret secret) {
    this.wire = wire;
    this.engine = new TransferEngine(wire, service, materializer, settings, faults, secret.key());
    this.runner = new AgentRunner(new BackoffIdleStrategy(64, 16, 1_000, settings.maxParkNs()),
        e -> log.error("transport thread error", e), null, engine);
    AgentRunner.startOnThread(runner, r -> {
      Thread t = new Thread(r, engine.roleName());
      t.setDaemon(true);
      return t;
    });
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
    try {
      return opener.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.bindHost() + ":" + settings.port(), e);
    }
  }

  @Override
  public String kind() {
    return wire.kind();
  }

  @Override
  public String localEndpoint() {
    return wire.localEndpoint();
  }

  @Override
  public Source<ByteString, NotUsed> fetch(String peer, ChunkId chunk, long offset, long length) {
    return engine.fetch(peer, chunk, offset, length);
  }

  @Override
  public CompletionStage<Fetched> fetchInto(String peer, ChunkId chunk, long offset, java.nio.ByteBuffer target) {
    return engine.fetchInto(peer, chunk, offset, target);
  }

  @Override
  public Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request) {
    return engine.push(peer, request);
  }

  /** Fault injection, for tests only. */
  public Faults faults() {
    return faults;
  }

  /** Frames that arrived for no live transfer (late frames of a failed or cancelled one). */
  public long droppedFrames() {
    return engine.droppedFrames();
  }

  /** The id of the thread the engine's agent runs on (the duty cycle), e.g. to count what it allocates. */
  long agentThreadId() {
    return runner.thread().getId();
  }

  /** The largest DATA payload this transport sends {@code peer} in one frame. */
  int maxPayloadBytes(String peer) {
    return wire.maxPayloadBytes(peer);
  }

  /** Where each live transfer stands, a line each (see {@link TransferEngine#describe}). */
  public CompletionStage<String> describeTransfers() {
    return engine.describe();
  }

  /** Requests refused since start for want of the cluster's secret (unsigned, forged, stale or replayed). */
  public long refusedRequests() {
    return engine.refusedRequests();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    runner.close(); // runs the engine's onClose on its thread: transfers fail, peers are told, the wire closes
    closeResources();
  }

  /** Releases what the wire was built on, after the engine stopped. */
  abstract void closeResources();
}
