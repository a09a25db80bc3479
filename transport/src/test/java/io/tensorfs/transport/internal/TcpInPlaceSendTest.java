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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;
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
  private final List<WireThread> running = new ArrayList<>();

  TcpInPlaceSendTest() {
    for (int i = 0; i < pool.capacity(); i++) pool.put(i, (byte) (i * 13 + (i >>> 12)));
  }

  /** A wire polled by its own thread while not paused; tasks run on that thread. */
  private final class WireThread implements FrameHandler {
    final TcpWire wire;
    final List<byte[]> frames = new CopyOnWriteArrayList<>();
    final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    final Thread thread;
    volatile boolean paused;
    volatile boolean stop;

    WireThread(MemoryRegions inPlace) throws IOException {
      wire = new TcpWire("127.0.0.1", 0, "127.0.0.1", 2, PAYLOAD, SOCKET_BUFFER, TimeUnit.SECONDS.toNanos(5), KEY, inPlace);
      thread = new Thread(() -> {
        while (!stop) {
          for (Runnable r; (r = tasks.poll()) != null; ) r.run();
          if (!paused) wire.poll(this, System.nanoTime());
          Thread.onSpinWait();
        }
        wire.close();
      }, "tcp-in-place-test");
      thread.start();
      running.add(this);
    }

    <T> T on(Supplier<T> task) {
      CompletableFuture<T> f = new CompletableFuture<>();
      tasks.add(() -> f.complete(task.get()));
      return Awaits.await(f, WAIT);
    }

    @Override
    public void onFrame(DirectBuffer buffer, int offset, int length) {
      byte[] f = new byte[length];
      buffer.getBytes(offset, f);
      frames.add(f);
    }

    @Override
    public void onPeerLost(String endpoint, String reason) {}
  }

  @AfterEach
  void stopWires() throws InterruptedException {
    for (WireThread w : running) w.stop = true;
    for (WireThread w : running) w.thread.join(5_000);
  }

  /** A run whose release is recorded, and fails the test when it happens twice. */
  private static final class Run implements PageRun {
    final ByteBuffer bytes;
    final AtomicBoolean released = new AtomicBoolean();

    Run(ByteBuffer bytes) {
      this.bytes = bytes;
    }

    @Override
    public ByteBuffer bytes() {
      return bytes;
    }

    @Override
    public void release() {
      assertTrue(released.compareAndSet(false, true), "released twice");
    }
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
    receiver.paused = true;

    UnsafeBuffer pages = new UnsafeBuffer(pool);
    Run first = new Run(pool.duplicate().limit(PAYLOAD));
    Run second = new Run(pool.duplicate().position(PAYLOAD));
    AtomicBoolean afterBoth = new AtomicBoolean();
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, pages, 0, PAYLOAD, first)));
    assertTrue(sender.on(() -> link.offer(1, header(PAYLOAD, PAYLOAD), Frames.DATA_HEADER_BYTES, pages, PAYLOAD, PAYLOAD, second)));
    sender.on(() -> {
      link.afterSent(() -> afterBoth.set(true));
      return true;
    });
    Thread.sleep(300); // the sender polls on; its sockets stay full
    assertFalse(first.released.get(), "a run went back while its payload was still being written from its pages");
    assertFalse(second.released.get());
    assertFalse(afterBoth.get(), "an action after the sends ran before them");

    receiver.paused = false;
    Awaits.until(() -> receiver.frames.size() == 2, WAIT, "both frames arrive");
    Awaits.until(() -> first.released.get() && second.released.get() && afterBoth.get(), WAIT, "the runs go back once written");
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
    receiver.paused = true;

    ByteBuffer elsewhere = ByteBuffer.allocateDirect(PAYLOAD);
    elsewhere.put(pool.duplicate().limit(PAYLOAD)).clear();
    Run run = new Run(elsewhere);
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, new UnsafeBuffer(elsewhere), 0, PAYLOAD, run)));
    assertTrue(run.released.get(), "a copied payload's run goes back as soon as the link took it");

    receiver.paused = false;
    Awaits.until(() -> receiver.frames.size() == 1, WAIT, "the frame arrives");
    assertPayload(receiver.frames.get(0), 0);
    assertEquals(0, sender.wire.sentInPlaceBytes());
  }

  @Test
  void shouldGiveRunsBackWhenTheLinkClosesMidWrite() throws Exception {
    WireThread sender = new WireThread(new MemoryRegions(List.of(pool)));
    WireThread receiver = new WireThread(MemoryRegions.NONE);
    Link link = connected(sender, receiver);
    receiver.paused = true;

    Run run = new Run(pool.duplicate().limit(PAYLOAD));
    assertTrue(sender.on(() -> link.offer(0, header(0, PAYLOAD), Frames.DATA_HEADER_BYTES, new UnsafeBuffer(pool), 0, PAYLOAD, run)));
    Thread.sleep(100);
    assertFalse(run.released.get());
    sender.on(() -> {
      link.close();
      return true;
    });
    assertTrue(run.released.get(), "nothing is written from the pages once the link closed: the run goes back");
  }
}
