package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.UnsafeApi;

/**
 * An in-memory RDMA fabric for tests: nics whose reliable-connected queue pairs copy a SEND into the
 * peer's oldest posted receive and complete both sides, as a device would. A SEND that finds no posted
 * receive (a receiver-not-ready a real device would retry) or a receive too small fails and is counted,
 * so a test can assert the rings' credit never let one happen. Allocates nothing per post or poll (the
 * transport contract counts the agents' allocations). Thread-safe.
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

  /** A bounded queue of records of four longs in one preallocated array; overrun is a test failure. */
  static final class Records {
    private final long[] slots;
    private final int capacity;
    private long head;
    private long tail;

    Records(int capacity) {
      this.capacity = capacity;
      this.slots = new long[capacity * 4];
    }

    synchronized void add(long a, long b, long c, long d) {
      if (tail - head == capacity) throw new IllegalStateException("fake queue overrun");
      int i = (int) (tail++ % capacity) * 4;
      slots[i] = a;
      slots[i + 1] = b;
      slots[i + 2] = c;
      slots[i + 3] = d;
    }

    /** Moves the oldest record into {@code out}; false when empty. */
    synchronized boolean poll(long[] out) {
      if (head == tail) return false;
      int i = (int) (head++ % capacity) * 4;
      System.arraycopy(slots, i, out, 0, 4);
      return true;
    }
  }

  /** Receives are {wrId, address, length, 0}; completions {kind, wrId, bytes, immediate} with kinds 0 sent, 1 received, 2 failed. */
  final class FakeQueuePair implements QueuePair {
    final int number;
    private volatile FakeQueuePair peer;
    private volatile boolean closed;
    private final Records receives = new Records(4096);
    private final Records completions = new Records(4096);
    private final long[] receive = new long[4];
    private final long[] completion = new long[4];

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
        completions.add(2, wrId, 0, 0);
        return;
      }
      if (!p.receives.poll(receive)) {
        receiverNotReady.incrementAndGet();
        completions.add(2, wrId, 0, 0);
        return;
      }
      if (length > receive[2]) {
        tooLong.incrementAndGet();
        completions.add(2, wrId, 0, 0);
        return;
      }
      if (length > 0) UnsafeApi.copyMemory(address, receive[1], length);
      p.completions.add(1, receive[0], length, immediate);
      completions.add(0, wrId, 0, 0);
    }

    @Override
    public void postReceive(long wrId, long address, int length, int lkey) {
      if (closed) throw new IllegalStateException("queue pair closed");
      receives.add(wrId, address, length, 0);
    }

    @Override
    public int poll(WorkCompletions to) {
      int n = 0;
      while (n < 16 && completions.poll(completion)) {
        n++;
        long kind = completion[0];
        if (kind == 0) to.sent(completion[1]);
        else if (kind == 1) to.received(completion[1], (int) completion[2], (int) completion[3]);
        else to.failed(completion[1], "fake remote error");
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
