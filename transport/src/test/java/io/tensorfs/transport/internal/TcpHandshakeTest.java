package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.testing.Awaits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The TCP wire's handshake, against a real wire on loopback and raw sockets that play a peer. */
class TcpHandshakeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long CONNECT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(1500);
  private final byte[] key = filled(1);
  private final List<PolledWire> running = new ArrayList<>();

  private static byte[] filled(int value) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) value);
    return k;
  }

  /** A wire polled by its own thread, keeping every frame it reads. */
  private final class WireThread {
    final PolledWire.FrameLog log = new PolledWire.FrameLog();
    final List<byte[]> frames = log.frames;
    final TcpWire wire;
    final PolledWire polled;

    WireThread(byte[] secret) throws IOException {
      wire = new TcpWire("127.0.0.1", 0, "127.0.0.1", 1, 64 * 1024, 256 * 1024, CONNECT_TIMEOUT_NS, secret);
      polled = new PolledWire(wire, log);
      running.add(polled);
    }

    <T> T on(Supplier<T> task) {
      return polled.on(task);
    }

    InetSocketAddress address() {
      return polled.address();
    }
  }

  @AfterEach
  void stopWires() throws InterruptedException {
    for (PolledWire w : running) w.close();
  }

  private static byte[] keepAlive(long transferId) {
    UnsafeBuffer b = new UnsafeBuffer(new byte[Frames.HEADER_BYTES]);
    Frames.header(b, Frames.KEEPALIVE, Frames.FROM_REQUESTER, transferId, 0);
    return b.byteArray();
  }

  /** Offers a frame on the client's link until it is taken; false when the link failed instead. */
  private static boolean send(WireThread client, Link link, byte[] frame) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      String failed = client.on(() -> link.failure(System.nanoTime()));
      if (failed != null) return false;
      if (client.on(() -> link.offer(0, new UnsafeBuffer(frame), frame.length, new UnsafeBuffer(new byte[0]), 0, 0))) return true;
    }
    throw new AssertionError("the link neither took the frame nor failed");
  }

  @Test
  void shouldCarryFramesWhenBothSidesHoldTheSecret() throws Exception {
    WireThread server = new WireThread(key);
    WireThread client = new WireThread(key);
    Link link = client.on(() -> client.wire.link(server.wire.localEndpoint()));
    assertTrue(send(client, link, keepAlive(42)));
    Awaits.until(() -> server.frames.size() == 1, WAIT, "the frame arrives");
    assertEquals(42, new UnsafeBuffer(server.frames.get(0)).getLong(Frames.TRANSFER_ID_OFFSET));
    assertEquals(0, server.wire.refused());
  }

  @Test
  void shouldRefuseBothWaysWhenTheSecretsDiffer() throws Exception {
    WireThread server = new WireThread(key);
    WireThread client = new WireThread(filled(2));
    Link link = client.on(() -> client.wire.link(server.wire.localEndpoint()));
    assertTrue(!send(client, link, keepAlive(42)), "the link failed");
    String why = client.on(() -> link.failure(System.nanoTime()));
    assertTrue(why.contains("handshake"), why);
    Awaits.until(() -> server.wire.refused() == 1, WAIT, "the server refused the connection");
    assertTrue(server.frames.isEmpty());
  }

  @Test
  void shouldNotSendToAListenerThatAnswersWithoutTheSecret() throws Exception {
    WireThread server = new WireThread(filled(3)); // an impostor listening where a peer is expected
    WireThread client = new WireThread(key);
    Link link = client.on(() -> client.wire.link(server.wire.localEndpoint()));
    assertTrue(!send(client, link, keepAlive(1)));
    assertTrue(server.frames.isEmpty());
  }

  @Test
  void shouldRefuseAHelloReplayedOnAnotherConnection() throws Exception {
    WireThread server = new WireThread(key);
    TcpHandshake holder = new TcpHandshake(key);
    byte[] recorded;
    try (RawTcpPeer first = new RawTcpPeer(server.address())) {
      recorded = RawTcpPeer.hello(holder, first.acceptorNonce);
      first.write(recorded);
      first.write(keepAlive(1));
      Awaits.until(() -> server.frames.size() == 1, WAIT, "the first connection's frame arrives");
    }
    try (RawTcpPeer replay = new RawTcpPeer(server.address())) {
      replay.write(recorded);
      replay.write(keepAlive(2));
      replay.readUntilClosed();
    }
    Awaits.until(() -> server.wire.refused() == 1, WAIT, "the replay is refused");
    assertEquals(1, server.frames.size(), "only the first connection's frame arrived");
  }

  @Test
  void shouldRefuseTruncatedAndMissingHellos() throws Exception {
    WireThread server = new WireThread(key);
    TcpHandshake holder = new TcpHandshake(key);
    try (RawTcpPeer half = new RawTcpPeer(server.address())) {
      byte[] h = RawTcpPeer.hello(holder, half.acceptorNonce);
      half.write(Arrays.copyOf(h, h.length / 2));
    }
    Awaits.until(() -> server.wire.refused() == 1, WAIT, "a HELLO cut short is refused");
    try (RawTcpPeer noHello = new RawTcpPeer(server.address())) {
      noHello.write(keepAlive(3)); // a frame where the HELLO should be
      noHello.readUntilClosed();
    }
    Awaits.until(() -> server.wire.refused() == 2, WAIT, "a frame before the HELLO is refused");
    try (RawTcpPeer silent = new RawTcpPeer(server.address())) {
      silent.readUntilClosed(); // the server closes it after its connect timeout
    }
    Awaits.until(() -> server.wire.refused() == 3, WAIT, "a connection that never says HELLO is closed");
    try (RawTcpPeer bogus = new RawTcpPeer(server.address())) {
      byte[] h = RawTcpPeer.hello(holder, bogus.acceptorNonce);
      h[h.length - 1] ^= 1; // a wrong proof
      bogus.write(h);
      bogus.readUntilClosed();
    }
    Awaits.until(() -> server.wire.refused() == 4, WAIT, "a HELLO with a wrong proof is refused");
    assertTrue(server.frames.isEmpty(), "no frame reached the engine");
  }
}
