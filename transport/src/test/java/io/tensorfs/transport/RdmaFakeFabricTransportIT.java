package io.tensorfs.transport;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.transport.internal.rdma.FakeFabric;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/**
 * The transport contract over the RDMA wire with its verbs behind an in-memory fabric: the handshake over
 * real TCP, the rings, credit and the engine as they run on a device; only the queue pairs are fakes
 * (no RDMA device here). The serving side lends its runs from a page pool that its transport registered,
 * as a node does, so fetches send pages as the SEND's second scatter/gather entry (the fabric gathers
 * them from memory); pushes and runs too large for a page are copied. Checks after each test that no SEND
 * ever found its peer without a posted receive, nor named memory outside what was registered under its key.
 */
class RdmaFakeFabricTransportIT extends TransportContract {
  /** The serving side's page pool: taken once, as a node's is, and never freed. */
  private static final PagePool POOL = PagePool.allocate(PagePoolSettings.regular(64 * MIB, (int) (2 * MIB)));

  final FakeFabric fabric = new FakeFabric();

  @Override
  void startPair() throws Exception {
    served.pool = POOL;
    server = start(served, SECRET, new MemoryRegions(POOL.regions()));
    client = start(clientService, SECRET, MemoryRegions.NONE);
  }

  private RdmaTransport start(ChunkService service, ClusterSecret secret, MemoryRegions registrable) throws Exception {
    return start(service, secret, registrable, 32);
  }

  private RdmaTransport start(ChunkService service, ClusterSecret secret, MemoryRegions registrable, int memlockReserveRings) throws Exception {
    TransportSettings settings = TransportSettings.from(base("tensorfs.transport { kind = rdma, rdma { ring-slots = 8, frame-bytes = 256 KiB,"
        + " memlock-reserve-rings = " + memlockReserveRings + " } }"));
    return new RdmaTransport(fabric.wire(settings.rdma(), "127.0.0.1", settings.engine().connectTimeoutNs(), secret.key(), registrable.regions()),
        service, materializer, settings, secret);
  }

  /** One ring of the pair's settings: 8 slots of 256 KiB. */
  private static final long RING_BYTES = 8 * 256 * 1024;

  /** Starts the pair again on nics that may each register at most {@code budget} bytes (a memlock limit). */
  private void restartUnderMemlock(long budget, int reserveRings) throws Exception {
    client.close();
    server.close();
    fabric.memlockBudget(budget);
    server = start(served, SECRET, new MemoryRegions(POOL.regions()), reserveRings);
    client = start(clientService, SECRET, MemoryRegions.NONE, reserveRings);
  }

  @Override
  void startIntruder(ClusterSecret secret) throws Exception {
    intruder = start(new FakeChunkService(1024), secret, MemoryRegions.NONE);
  }

  @Override
  void cleanUp() {
    org.junit.jupiter.api.Assertions.assertEquals(0, fabric.receiverNotReady(), "a SEND found no posted receive");
    org.junit.jupiter.api.Assertions.assertEquals(0, fabric.tooLong(), "a SEND was longer than its receive");
    org.junit.jupiter.api.Assertions.assertEquals(0, fabric.badKey(), "a SEND named memory outside what was registered under its key");
    fabric.holdSendCompletions(false);
  }

  @Override
  String expectedKind() {
    return "rdma";
  }

  /**
   * A fetch served from registered pages: each DATA frame is one SEND of its header (in the ring) and its
   * page (where it lies), no payload byte is copied into the ring, the bytes arrive exact, and while the
   * device has not completed the SENDs no page goes back to the pool, though the reader has every byte.
   */
  @Test
  void shouldSendPagesWithoutCopyingThemAndHoldThemUntilTheSendsComplete() throws Exception {
    int bytes = (int) (512 * 1024);
    served.elementBytes = 128 * 1024; // one run per frame: 4 frames and the END fit the 8 slots while nothing completes
    served.held.put(chunk(40), (long) bytes);
    RdmaTransport sender = (RdmaTransport) server;
    long copied = sender.copiedPayloadBytes();
    long fromPages = sender.framesSentFromPages();
    long gathered = fabric.gatheredSends();
    long lent = served.lentRuns.get();
    long pooled = served.lentFromPool.get();
    long released = served.releasedRuns.get();
    ByteBuffer target = ByteBuffer.allocateDirect(bytes);

    fabric.holdSendCompletions(true);
    Fetched fetched = await(client.fetchInto(server.localEndpoint(), chunk(40), 0, target));
    assertEquals(new Fetched(bytes, null), fetched);
    assertEquals(-1, firstWrong(target, 0, 0, bytes), "the bytes fetched");
    assertEquals(4, served.lentRuns.get() - lent, "runs lent");
    assertEquals(4, served.lentFromPool.get() - pooled, "every run lent from the registered pool");
    assertEquals(4, sender.framesSentFromPages() - fromPages, "DATA frames sent from their pages");
    assertEquals(4, fabric.gatheredSends() - gathered, "SENDs of two entries");
    assertEquals(0, sender.copiedPayloadBytes() - copied, "payload bytes copied into the ring");
    Thread.sleep(200);
    assertEquals(released, served.releasedRuns.get(), "a page went back to the pool before its SEND completed");

    fabric.holdSendCompletions(false);
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(10), "every run released once its SEND completed");
    assertEquals(0, served.releasedTwice.get(), "runs released twice");
  }

  /** Runs outside registered memory (fresh direct buffers here, heap bytes of a push) are copied into the ring as before. */
  @Test
  void shouldCopyPayloadsThatLieOutsideRegisteredMemory() throws Exception {
    int bytes = (int) (2 * MIB);
    served.pool = null;
    served.held.put(chunk(41), (long) bytes);
    RdmaTransport sender = (RdmaTransport) server;
    long copied = sender.copiedPayloadBytes();
    long fromPages = sender.framesSentFromPages();
    ByteBuffer target = ByteBuffer.allocateDirect(bytes);
    assertEquals(new Fetched(bytes, null), await(client.fetchInto(server.localEndpoint(), chunk(41), 0, target)));
    assertEquals(-1, firstWrong(target, 0, 0, bytes), "the bytes fetched");
    assertEquals(bytes, sender.copiedPayloadBytes() - copied, "payload bytes copied into the ring");
    assertEquals(0, sender.framesSentFromPages() - fromPages, "frames sent from pages");
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(10), "every run released");
  }

  /**
   * A fetch the reader cancels while the device has not completed the SENDs of its first frames: the
   * serving side ends the transfer, but gives none of its pages back (neither those sent nor those not
   * yet sent) until the SENDs posted before the end completed; then each exactly once.
   */
  @Test
  void shouldKeepThePagesOfACancelledFetchUntilItsSendsComplete() throws Exception {
    served.elementBytes = 128 * 1024;
    long total = 8 * MIB;
    served.held.put(chunk(42), total);
    long released = served.releasedRuns.get();
    long fromPages = ((RdmaTransport) server).framesSentFromPages();

    fabric.holdSendCompletions(true);
    await(client.fetch(server.localEndpoint(), chunk(42), 0, total).take(1).runWith(Sink.ignore(), materializer));
    Thread.sleep(500); // the server fills its ring; the reader's CANCEL arrives and ends the transfer there
    long sent = ((RdmaTransport) server).framesSentFromPages() - fromPages;
    assertTrue(sent > 0 && sent <= 8, sent + " frames sent from pages: some, and no more than the ring's slots");
    assertEquals(released, served.releasedRuns.get(), "a page of the cancelled fetch went back before its SEND completed");

    fabric.holdSendCompletions(false);
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(10), "every run released");
    assertEquals(0, served.releasedTwice.get(), "runs released twice");
  }

  /**
   * A memlock limit that holds the pool and one ring but not the two rings each side registers (one to
   * send, one to receive): the pool is left unregistered to keep the rings' reserve, so both links connect
   * and a fetch of pool pages arrives byte-exact, every payload copied into the ring. Registering the pool
   * first would leave the second ring over the limit and the link that needs it unable to connect.
   */
  @Test
  void shouldConnectAndCopyThePoolsPagesWhenTheMemlockLimitLeavesNoRoomForThePoolBesideTheRings() throws Exception {
    restartUnderMemlock(POOL.capacityBytes() + RING_BYTES, 4);
    int bytes = (int) (4 * MIB);
    served.held.put(chunk(43), (long) bytes);
    RdmaTransport sender = (RdmaTransport) server;
    long pooled = served.lentFromPool.get();
    ByteBuffer target = ByteBuffer.allocateDirect(bytes);
    assertEquals(new Fetched(bytes, null), await(client.fetchInto(server.localEndpoint(), chunk(43), 0, target)));
    assertEquals(-1, firstWrong(target, 0, 0, bytes), "the bytes fetched");
    assertTrue(served.lentFromPool.get() > pooled, "runs lent from the pool");
    assertEquals(0, sender.framesSentFromPages(), "frames sent from pages of an unregistered pool");
    assertEquals(bytes, sender.copiedPayloadBytes(), "payload bytes copied into the ring");
    assertEquals(0, fabric.overBudget(), "a registration went past the memlock limit");
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(10), "every run released");
  }

  /** A memlock limit that covers the pool and the rings' reserve: the pool is registered and its pages are sent without a copy. */
  @Test
  void shouldSendThePoolsPagesWhenTheMemlockLimitCoversThePoolAndTheRings() throws Exception {
    restartUnderMemlock(POOL.capacityBytes() + 4 * RING_BYTES, 4);
    int bytes = (int) (4 * MIB);
    served.held.put(chunk(44), (long) bytes);
    RdmaTransport sender = (RdmaTransport) server;
    ByteBuffer target = ByteBuffer.allocateDirect(bytes);
    assertEquals(new Fetched(bytes, null), await(client.fetchInto(server.localEndpoint(), chunk(44), 0, target)));
    assertEquals(-1, firstWrong(target, 0, 0, bytes), "the bytes fetched");
    assertTrue(sender.framesSentFromPages() > 0, "frames sent from pages");
    assertEquals(0, sender.copiedPayloadBytes(), "payload bytes copied into the ring");
    assertEquals(0, fabric.overBudget(), "a registration went past the memlock limit");
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(10), "every run released");
  }

  /**
   * Frames dropped by fault injection (a muted sender) while the SENDs of earlier frames, some of the same
   * runs, are not complete: their runs go back only after those SENDs complete, as a sent frame's would.
   */
  @Test
  void shouldKeepTheRunsOfMutedFramesUntilTheSendsPostedBeforeThemComplete() throws Exception {
    served.elementBytes = 512 * 1024; // a run spans three frames: the ring fills in the middle of one
    long total = 16 * MIB;
    served.held.put(chunk(45), total);
    long released = served.releasedRuns.get();
    long lent = served.lentRuns.get();
    long fromPages = ((RdmaTransport) server).framesSentFromPages();

    fabric.holdSendCompletions(true);
    CompletionStage<?> done = client.fetch(server.localEndpoint(), chunk(45), 0, total).runWith(Sink.ignore(), materializer);
    Awaits.until(() -> ((RdmaTransport) server).framesSentFromPages() - fromPages >= 4, Duration.ofSeconds(10), "frames posted");
    Thread.sleep(200); // the ring fills with frames whose SENDs stay incomplete
    server.faults().mute(true);
    // Muted, the sender drops frames up to the reader's window: many more runs are lent (and dropped).
    Awaits.until(() -> served.lentRuns.get() - lent >= 8, Duration.ofSeconds(4), "runs of muted frames");
    Thread.sleep(200);
    assertEquals(released, served.releasedRuns.get(), "a run went back while SENDs posted before its end were not complete");

    fabric.holdSendCompletions(false);
    // The reader gives up on the silent sender, which then ends the transfer: every run goes back.
    assertEquals(ErrorCode.UNAVAILABLE, failure(done, IDLE_TIMEOUT.plusSeconds(8)).code());
    Awaits.until(() -> served.releasedRuns.get() == served.lentRuns.get(), Duration.ofSeconds(20), "every run released");
    assertEquals(0, served.releasedTwice.get(), "runs released twice");
  }
}
