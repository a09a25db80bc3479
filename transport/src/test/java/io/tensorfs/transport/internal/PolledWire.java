package io.tensorfs.transport.internal;

import io.tensorfs.core.testing.Awaits;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;

/**
 * A TCP wire polled by a thread of its own, as the engine's agent would, handing what it reads to a
 * handler; tasks given to {@link #on} run on that thread (the wire is the thread's alone), and the polling
 * may pause (the wire then reads nothing, so its peers' sockets fill).
 */
final class PolledWire implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(10);

  final TcpWire wire;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  volatile boolean paused;
  private volatile boolean stop;

  PolledWire(TcpWire wire, FrameHandler handler) {
    this.wire = wire;
    this.thread = new Thread(() -> {
      while (!stop) {
        for (Runnable r; (r = tasks.poll()) != null; ) r.run();
        if (!paused) wire.poll(handler, System.nanoTime());
        Thread.onSpinWait();
      }
      wire.close();
    }, "polled-tcp-wire");
    thread.start();
  }

  /** Runs {@code task} on the wire's thread and answers what it returned. */
  <T> T on(Supplier<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    tasks.add(() -> f.complete(task.get()));
    return Awaits.await(f, WAIT);
  }

  InetSocketAddress address() {
    URI u = URI.create(wire.localEndpoint());
    return new InetSocketAddress(u.getHost(), u.getPort());
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(5_000);
  }

  /** Keeps a copy of every whole frame. */
  static class FrameLog implements FrameHandler {
    final List<byte[]> frames = new CopyOnWriteArrayList<>();

    @Override
    public void onFrame(DirectBuffer buffer, int offset, int length) {
      byte[] f = new byte[length];
      buffer.getBytes(offset, f);
      frames.add(f);
    }

    @Override
    public void onPeerLost(String endpoint, String reason) {}
  }
}
