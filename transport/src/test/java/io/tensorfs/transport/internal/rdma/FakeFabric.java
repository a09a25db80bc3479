package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An in-memory RDMA fabric for tests: nics whose reliable-connected queue pairs copy a SEND into the
 * peer's oldest posted receive and complete both sides, as a device would. A SEND that finds no posted
 * receive (a receiver-not-ready a real device would retry) or a receive too small fails and is counted,
 * so a test can assert the rings' credit never let one happen. Thread-safe.
 */
public final class FakeFabric {
  private final Map<Integer, FakeQueuePair> pairs = new ConcurrentHashMap<>();
  private final AtomicInteger nextQp = new AtomicInteger(100);
  private final AtomicLong receiverNotReady = new AtomicLong();
  private final AtomicLong tooLong = new AtomicLong();

  /** SENDs that found no posted receive. */
  public long receiverNotReady() {
    return receiverNotReady.get();
  }

  /** SENDs longer than the receive they landed in. */
  public long tooLong() {
    return tooLong.get();
  }

  /** A wire on this fabric, listening for handshakes on {@code host} (a free port). */
  public RdmaWire wire(RdmaSettings settings, String host, long connectTimeoutNs, byte[] key) throws IOException {
    return new RdmaWire(nic(), settings, host, 0, host, connectTimeoutNs, key);
  }

  Nic nic() {
    return new FakeNic();
  }

  FakeQueuePair queuePair() {
    FakeQueuePair qp = new FakeQueuePair(nextQp.getAndIncrement());
    pairs.put(qp.number, qp);
    return qp;
  }

  final class FakeNic implements Nic {
    private final AtomicInteger keys = new AtomicInteger(1);

    @Override
    public String device() {
      return "fake0";
    }

    @Override
    public short lid() {
      return 1;
    }

    @Override
    public byte[] gid() {
      return new byte[16];
    }

    @Override
    public int register(ByteBuffer memory) {
      if (!memory.isDirect()) throw new IllegalArgumentException("not direct");
      return keys.getAndIncrement();
    }

    @Override
    public void deregister(ByteBuffer memory) {}

    @Override
    public QueuePair queuePair(int sendDepth, int receiveDepth) {
      return FakeFabric.this.queuePair();
    }

    @Override
    public void close() {}
  }

  /** Completions are {kind, wrId, bytes, immediate}; kinds: 0 sent, 1 received, 2 failed. */
  final class FakeQueuePair implements QueuePair {
    final int number;
    private volatile FakeQueuePair peer;
    private volatile boolean closed;
    private final ConcurrentLinkedQueue<long[]> receives = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<long[]> completions = new ConcurrentLinkedQueue<>();

    FakeQueuePair(int number) {
      this.number = number;
    }

    @Override
    public int number() {
      return number;
    }

    @Override
    public void connect(ConnectInfo remote, int psn) {
      FakeQueuePair p = pairs.get(remote.qpNumber());
      if (p == null) throw new IllegalStateException("no queue pair " + remote.qpNumber());
      peer = p;
    }

    @Override
    public void postSend(long wrId, long address, int length, int lkey, int immediate) {
      FakeQueuePair p = peer;
      if (closed || p == null) throw new IllegalStateException("queue pair not connected");
      if (p.closed) {
        completions.add(new long[] {2, wrId, 0, 0});
        return;
      }
      long[] r = p.receives.poll();
      if (r == null) {
        receiverNotReady.incrementAndGet();
        completions.add(new long[] {2, wrId, 0, 0});
        return;
      }
      if (length > r[2]) {
        tooLong.incrementAndGet();
        completions.add(new long[] {2, wrId, 0, 0});
        return;
      }
      if (length > 0) new UnsafeBuffer(r[1], length).putBytes(0, new UnsafeBuffer(address, length), 0, length);
      p.completions.add(new long[] {1, r[0], length, immediate});
      completions.add(new long[] {0, wrId, 0, 0});
    }

    @Override
    public void postReceive(long wrId, long address, int length, int lkey) {
      if (closed) throw new IllegalStateException("queue pair closed");
      receives.add(new long[] {wrId, address, length});
    }

    @Override
    public int poll(WorkCompletions to) {
      int n = 0;
      long[] c;
      while (n < 16 && (c = completions.poll()) != null) {
        n++;
        if (c[0] == 0) to.sent(c[1]);
        else if (c[0] == 1) to.received(c[1], (int) c[2], (int) c[3]);
        else to.failed(c[1], "fake remote error");
      }
      return n;
    }

    @Override
    public void close() {
      closed = true;
      pairs.remove(number);
    }
  }
}
