package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.testing.Awaits;
import io.tensorfs.transport.MemoryRegions;
import io.tensorfs.transport.PageRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DATA payloads that lie in the page pool are written by the TCP wire from their pages (a gathering write
 * of the header and the page), and their runs go back only once written: checked against a receiving wire
 * that stops reading, so that the sender's sockets fill and a payload stays half written.
 */
class TcpInPlaceSendTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] KEY = new byte[32];
  private static final int PAYLOAD = 4 * 1024 * 1024;
  /** Small socket buffers: a 4 MiB payload cannot be written whole while the receiver does not read. */
  private static final int SOCKET_BUFFER = 128 * 1024;

  private final ByteBuffer pool = ByteBuffer.allocateDirect(2 * PAYLOAD);
  private final List<PolledWire> running = new ArrayList<>();

  TcpInPlaceSendTest() {
    for (int i = 0; i < pool.capacity(); i++) pool.put(i, (byte) (i * 13 + (i >>> 12)));
  }

  /** A wire polled by its own thread while not paused, keeping every frame it reads. */
  private final class WireThread {
    final PolledWire.FrameLog log = new PolledWire.FrameLog();
    final List<byte[]> frames = log.frames;
    final TcpWire wire;
    final PolledWire polled;

    WireThread(MemoryRegions inPlace) throws IOException {
      wire = new TcpWire("127.0.0.1", 0, "127.0.0.1", 2, PAYLOAD, SOCKET_BUFFER, TimeUnit.SECONDS.toNanos(5), KEY, inPlace);
      polled = new PolledWire(wire, log);
      running.add(polled);
    }

    <T> T on(Supplier<T> task) {
      return polled.on(task);
    }

    void pause(boolean paused) {
      polled.paused = paused;
    }
  }

  @AfterEach
  void stopWires() throws InterruptedException {
    for (PolledWire w : running) w.close();
  }

  private static UnsafeBuffer header(int position, int length) {
    UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocateDirect(Frames.DATA_HEADER_BYTES));
    Frames.dataHeader(h, (byte) 0, 5, 1, 2, 0, 0, position, length);
    return h;
  }

  /** Links {@code from} to {@code to} and waits until a control frame goes through. */
  private static Link connected(WireThread from, WireThread to) {
    Link link = from.on(() -> from.wire.link(to.wire.localEndpoint()));
    UnsafeBuffer keepAlive = new UnsafeBuffer(new byte[Frames.HEADER_BYTES]);
    Frames.header(keepAlive, Frames.KEEPALIVE, (byte) 0, 1, 0);
    Awaits.until(() -> from.on(() -> link.offer(0, keepAlive, Frames.HEADER_BYTES, new UnsafeBuffer(new byte[0]), 0, 0)), WAIT,
        "the link connects");
    Awaits.until(() -> to.frames.size() == 1, WAIT, "the keep-alive arrives");
    to.frames.clear();
    return link;
  }

  private void assertPayload(byte[] frame, int poolOffset) {
    byte[] expected = new byte[PAYLOAD];
    pool.duplicate().position(poolOffset).get(expected);
    assertArrayEquals(expected, Arrays.copyOfRange(frame, Frames.DATA_HEADER_BYTES, frame.length));
  }

  @Test
  void shouldWritePoolPagesInPlaceAndGiveTheirRunsBackOnlyOnceWritten() throws Exception {
    WireThread sender = new WireThread(new MemoryRegions(List.of(pool)));
    WireThread receiver = new WireThread(MemoryRegions.NONE);
    Link link = connected(sender, receiver);
    receiver.pause(true);

    UnsafeBuffer pages = new UnsafeBuffer(pool);
    CountingRun first = new CountingRun(pool.duplicate().limit(PAYLOAD));
    CountingRun second = new CountingRun(pool.duplicate().position(PAYLOAD));
    AtomicBoolean afterBoth = new AtomicBoolean();
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, pages, 0, PAYLOAD, first)));
    assertTrue(sender.on(() -> link.offer(1, header(PAYLOAD, PAYLOAD), Frames.DATA_HEADER_BYTES, pages, PAYLOAD, PAYLOAD, second)));
    sender.on(() -> {
      link.afterSent(() -> afterBoth.set(true));
      return true;
    });
    Thread.sleep(300); // the sender polls on; its sockets stay full
    assertEquals(0, first.released.get(), "a run went back while its payload was still being written from its pages");
    assertEquals(0, second.released.get());
    assertFalse(afterBoth.get(), "an action after the sends ran before them");

    receiver.pause(false);
    Awaits.until(() -> receiver.frames.size() == 2, WAIT, "both frames arrive");
    Awaits.until(() -> first.released.get() == 1 && second.released.get() == 1 && afterBoth.get(), WAIT, "the runs go back once written");
    Thread.sleep(100);
    assertEquals(1, first.released.get(), "each run goes back exactly once");
    assertEquals(1, second.released.get());
    byte[] a = receiver.frames.get(0);
    byte[] b = receiver.frames.get(1);
    boolean inOrder = new UnsafeBuffer(a).getLong(Frames.CHUNK_OFFSET_OFFSET) == 0;
    assertPayload(inOrder ? a : b, 0);
    assertPayload(inOrder ? b : a, PAYLOAD);
    assertEquals(2L * PAYLOAD, sender.wire.sentInPlaceBytes());
  }

  @Test
  void shouldCopyAPayloadOutsideThePoolAndGiveItsRunBackWhenTaken() throws Exception {
    WireThread sender = new WireThread(new MemoryRegions(List.of(pool)));
    WireThread receiver = new WireThread(MemoryRegions.NONE);
    Link link = connected(sender, receiver);
    receiver.pause(true);

    ByteBuffer elsewhere = ByteBuffer.allocateDirect(PAYLOAD);
    elsewhere.put(pool.duplicate().limit(PAYLOAD)).clear();
    CountingRun run = new CountingRun(elsewhere);
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, new UnsafeBuffer(elsewhere), 0, PAYLOAD, run)));
    assertEquals(1, run.released.get(), "a copied payload's run goes back as soon as the link took it");

    receiver.pause(false);
    Awaits.until(() -> receiver.frames.size() == 1, WAIT, "the frame arrives");
    assertPayload(receiver.frames.get(0), 0);
    assertEquals(0, sender.wire.sentInPlaceBytes());
  }

  @Test
  void shouldGiveRunsBackWhenTheLinkClosesMidWrite() throws Exception {
    WireThread sender = new WireThread(new MemoryRegions(List.of(pool)));
    WireThread receiver = new WireThread(MemoryRegions.NONE);
    Link link = connected(sender, receiver);
    receiver.pause(true);

    CountingRun run = new CountingRun(pool.duplicate().limit(PAYLOAD));
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, new UnsafeBuffer(pool), 0, PAYLOAD, run)));
    Thread.sleep(100);
    assertEquals(0, run.released.get());
    sender.on(() -> {
      link.close();
      return true;
    });
    assertEquals(1, run.released.get(), "nothing is written from the pages once the link closed: the run goes back");
  }
}
