package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.transport.Fetched;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DATA payloads read by the TCP wire from its socket straight into a fetch's pages ({@link Landing}s),
 * against a real wire on loopback and a raw socket that writes frames in pieces: the header, then the
 * payload, each cut where a test chooses, so that a payload arrives over several polls.
 */
class TcpLandingTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] KEY = new byte[32];
  private static final int PAYLOAD = 200_000;

  private TcpWire wire;
  private PolledWire polled;
  private final Handler handler = new Handler();

  /** Grants a landing in {@link #target} to every DATA frame that fits it, as the engine does for a fetch into pages. */
  private static final class Handler extends PolledWire.FrameLog {
    volatile FetchTarget target;
    /** Per landed payload: whether its CRC32C matched on the page; dropped payloads count apart. */
    final List<Boolean> landed = new CopyOnWriteArrayList<>();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger lost = new AtomicInteger();
    /** Run on the wire's thread when a landing is granted. */
    volatile Runnable onGrant = () -> {};

    @Override
    public Landing landingFor(DirectBuffer header, int offset) {
      FetchTarget t = target;
      int position = (int) header.getLong(offset + Frames.CHUNK_OFFSET_OFFSET);
      int length = header.getInt(offset + Frames.PAYLOAD_LENGTH_OFFSET);
      if (t == null || !t.fits(position, length)) return null;
      Landing l = t.openLanding(position, length, header.getInt(offset + Frames.CRC_OFFSET));
      onGrant.run();
      return l;
    }

    @Override
    public void onLanded(DirectBuffer header, int offset, Landing landing) {
      if (landing.live()) landed.add(landing.target.landed(landing));
      else dropped.incrementAndGet();
    }

    @Override
    public void onLandingLost(Landing landing) {
      lost.incrementAndGet();
      if (landing.live()) landing.target.abandon(landing);
    }
  }

  @BeforeEach
  void startWire() throws IOException {
    wire = new TcpWire("127.0.0.1", 0, "127.0.0.1", 1, 1024 * 1024, 256 * 1024, TimeUnit.SECONDS.toNanos(5), KEY);
    polled = new PolledWire(wire, handler);
  }

  @AfterEach
  void stopWire() throws InterruptedException {
    polled.close();
  }

  private <T> T onWire(Supplier<T> task) {
    return polled.on(task);
  }

  private RawTcpPeer connect() throws IOException {
    RawTcpPeer peer = new RawTcpPeer(polled.address());
    peer.write(RawTcpPeer.hello(new TcpHandshake(KEY), peer.acceptorNonce));
    ByteBuffer proof = ByteBuffer.allocate(TcpHandshake.PROOF_BYTES); // as a wire does, frames only once the handshake passed
    while (proof.hasRemaining()) {
      if (peer.ch.read(proof) < 0) throw new IOException("refused");
    }
    return peer;
  }

  private static byte at(int position, int seed) {
    return (byte) (position * 31 + seed);
  }

  /** A DATA frame of {@code length} bytes for {@code position}; {@code corrupt}: one payload byte flipped after its CRC was taken. */
  private static byte[] data(int position, int length, int seed, boolean corrupt) {
    byte[] payload = new byte[length];
    for (int i = 0; i < length; i++) payload[i] = at(position + i, seed);
    int crc = Crc32c.of(payload, 0, length);
    if (corrupt) payload[length / 2] ^= 0x5A;
    UnsafeBuffer frame = new UnsafeBuffer(new byte[Frames.DATA_HEADER_BYTES + length]);
    Frames.dataHeader(frame, (byte) 0, 7, 1, 2, 0, crc, position, length);
    frame.putBytes(Frames.DATA_HEADER_BYTES, payload);
    return frame.byteArray();
  }

  private static byte[] keepAlive(long id) {
    UnsafeBuffer b = new UnsafeBuffer(new byte[Frames.HEADER_BYTES]);
    Frames.header(b, Frames.KEEPALIVE, (byte) 0, id, 0);
    return b.byteArray();
  }

  /** Writes {@code frame} cut at {@code cuts}, pausing between pieces so that the wire polls each one apart. */
  private static void writeInPieces(RawTcpPeer peer, byte[] frame, int... cuts) throws Exception {
    int from = 0;
    for (int cut : cuts) {
      peer.write(frame, from, cut - from);
      Thread.sleep(50);
      from = cut;
    }
    peer.write(frame, from, frame.length - from);
  }

  private static void assertPages(ByteBuffer pages, int base, int from, int to, int seed) {
    for (int i = from; i < to; i++) assertEquals(at(i, seed), pages.get(base + i), "byte " + i);
  }

  private static void assertZero(ByteBuffer pages, int from, int to) {
    for (int i = from; i < to; i++) assertEquals(0, pages.get(i), "byte " + i + " was written");
  }

  @Test
  void shouldLandAPayloadThatArrivesOverSeveralPollsAndGoOnWithTheNextFrame() throws Exception {
    ByteBuffer pages = ByteBuffer.allocateDirect(2 * PAYLOAD + 64);
    pages.position(64);
    FetchTarget target = new FetchTarget(pages, Runnable::run);
    handler.target = target;
    try (RawTcpPeer peer = connect()) {
      writeInPieces(peer, data(PAYLOAD, PAYLOAD, 5, false), 20, Frames.DATA_HEADER_BYTES + 1000, Frames.DATA_HEADER_BYTES + 150_000);
      peer.write(data(0, PAYLOAD, 5, false));
      peer.write(keepAlive(9));
      Awaits.until(() -> handler.frames.size() == 1, WAIT, "the frame after the payloads arrives");
    }
    assertEquals(List.of(true, true), handler.landed, "both payloads landed and checked");
    assertEquals(2L * PAYLOAD, wire.landedBytes());
    assertEquals(9, new UnsafeBuffer(handler.frames.get(0)).getLong(Frames.TRANSFER_ID_OFFSET), "only the keep-alive came whole");
    assertEquals(2 * PAYLOAD, (int) onWire(target::verifiedBytes));
    assertPages(pages, 64, 0, 2 * PAYLOAD, 5);
    assertZero(pages, 0, 64);
  }

  @Test
  void shouldWriteNothingMoreIntoPagesOnceTheFetchEndedMidPayload() throws Exception {
    ByteBuffer first = ByteBuffer.allocateDirect(PAYLOAD);
    FetchTarget ended = new FetchTarget(first, Runnable::run);
    ByteBuffer second = ByteBuffer.allocateDirect(PAYLOAD);
    FetchTarget next = new FetchTarget(second, Runnable::run);
    handler.target = ended;
    int piece = 60_000;
    try (RawTcpPeer peer = connect()) {
      byte[] frame = data(0, PAYLOAD, 3, false);
      peer.write(frame, 0, Frames.DATA_HEADER_BYTES + piece);
      Awaits.until(() -> onWire(() -> ended.crcAt(0, piece) == Crc32c.of(frame, Frames.DATA_HEADER_BYTES, piece)), WAIT,
          "the first piece is in the pages");
      // The fetch ends (a timeout, a cancel) while its payload is half read: its caller has the pages back.
      onWire(() -> {
        ended.finish(new TfsException(ErrorCode.UNAVAILABLE, "ended by the test"));
        return true;
      });
      handler.target = next;
      peer.write(frame, Frames.DATA_HEADER_BYTES + piece, PAYLOAD - piece);
      peer.write(data(0, PAYLOAD, 4, false));
      Awaits.until(() -> handler.landed.size() == 1, WAIT, "the next frame lands");
    }
    assertEquals(1, handler.dropped.get(), "the rest of the ended fetch's payload was read and dropped");
    assertEquals(List.of(true), handler.landed);
    assertPages(first, 0, 0, piece, 3);
    assertZero(first, piece, PAYLOAD);
    Fetched result = Awaits.await(ended.result, WAIT);
    assertEquals(ErrorCode.UNAVAILABLE, result.failure().code());
    assertPages(second, 0, 0, PAYLOAD, 4);
  }

  @Test
  void shouldCheckALandedPayloadOnThePageAndCountNothingWhenItIsCorrupted() throws Exception {
    ByteBuffer pages = ByteBuffer.allocateDirect(PAYLOAD);
    FetchTarget target = new FetchTarget(pages, Runnable::run);
    handler.target = target;
    try (RawTcpPeer peer = connect()) {
      writeInPieces(peer, data(0, PAYLOAD, 6, true), Frames.DATA_HEADER_BYTES, Frames.DATA_HEADER_BYTES + 99_999);
      Awaits.until(() -> handler.landed.size() == 1, WAIT, "the payload lands");
    }
    assertEquals(List.of(false), handler.landed, "the CRC32C computed on the page differs from the frame's");
    assertEquals(0, (int) onWire(target::verifiedBytes), "no byte of it counts");
  }

  @Test
  void shouldGiveTheLandingBackWhenTheConnectionIsLostMidPayload() throws Exception {
    ByteBuffer pages = ByteBuffer.allocateDirect(PAYLOAD);
    FetchTarget target = new FetchTarget(pages, Runnable::run);
    handler.target = target;
    CompletableFuture<Boolean> granted = new CompletableFuture<>();
    handler.onGrant = () -> granted.complete(true);
    try (RawTcpPeer peer = connect()) {
      peer.write(data(0, PAYLOAD, 2, false), 0, Frames.DATA_HEADER_BYTES + 1000);
      Awaits.await(granted, WAIT);
    }
    Awaits.until(() -> handler.lost.get() == 1, WAIT, "the wire gives the landing back when the peer closes");
    assertTrue(onWire(() -> target.fits(0, PAYLOAD)), "the payload's place is free again, nothing counted");
    assertEquals(0, (int) onWire(target::verifiedBytes));
    assertEquals(List.of(), handler.landed);
  }
}
