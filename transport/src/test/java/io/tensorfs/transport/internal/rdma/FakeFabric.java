package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An in-memory RDMA fabric for tests: nics whose reliable-connected queue pairs gather a SEND's
 * scatter/gather entries (reading memory at their addresses, as a device does) into the peer's oldest
 * posted receive and complete both sides. A SEND that finds no posted receive (a receiver-not-ready a real
 * device would retry), a receive too small, or an entry outside the memory registered on its nic under
 * its lkey fails and is counted, so a test can assert none happened. Completions of data SENDs can be
 * held back ({@link #holdSendCompletions}) as a slow device would, in order. Each nic can be given a memlock
 * budget ({@link #memlockBudget}): registrations past it fail, as ibv_reg_mr past RLIMIT_MEMLOCK does.
 * Allocates nothing per post or
 * poll (the transport contract counts the agents' allocations). Thread-safe.
 */
public final class FakeFabric {
  private final Map<Integer, FakeQueuePair> pairs = new ConcurrentHashMap<>();
  private final AtomicInteger nextQp = new AtomicInteger(100);
  private final AtomicLong receiverNotReady = new AtomicLong();
  private final AtomicLong tooLong = new AtomicLong();
  private final AtomicLong badKey = new AtomicLong();
  private final AtomicLong gatheredSends = new AtomicLong();
  private volatile boolean holding;
  private volatile long refusedAddress = -1;
  private volatile long memlockBudget = MemlockLimit.UNLIMITED;
  private final AtomicLong overBudget = new AtomicLong();

  /** SENDs that found no posted receive. */
  public long receiverNotReady() {
    return receiverNotReady.get();
  }

  /** SENDs longer than the receive they landed in. */
  public long tooLong() {
    return tooLong.get();
  }

  /** SENDs with an entry outside the memory registered under its lkey. */
  public long badKey() {
    return badKey.get();
  }

  /** SENDs posted with two scatter/gather entries (header, then payload where it lies). */
  public long gatheredSends() {
    return gatheredSends.get();
  }

  /**
   * While on, the completions of SENDs that carry data are held back (the data itself is delivered); off
   * hands every held one over, in order.
   */
  public void holdSendCompletions(boolean hold) {
    holding = hold;
    if (!hold) for (FakeQueuePair qp : pairs.values()) qp.releaseHeld();
  }

  /** Every nic refuses to register memory that starts at {@code address} (as ibv_reg_mr failing). */
  public void refuseRegistrationAt(long address) {
    refusedAddress = address;
  }

  /**
   * Every nic may hold at most {@code bytes} registered at once (as a process under RLIMIT_MEMLOCK) and
   * reports it as its {@link Nic#lockableBytes}; {@link MemlockLimit#UNLIMITED} lifts it.
   */
  public void memlockBudget(long bytes) {
    memlockBudget = bytes;
  }

  /** Registrations refused because they went past a nic's memlock budget. */
  public long overBudget() {
    return overBudget.get();
  }

  /** A wire on this fabric, listening for handshakes on {@code host} (a free port). */
  public RdmaWire wire(RdmaSettings settings, String host, long connectTimeoutNs, byte[] key) throws IOException {
    return wire(settings, host, connectTimeoutNs, key, List.of());
  }

  /** A wire on this fabric that registers {@code registrable} at start. */
  public RdmaWire wire(RdmaSettings settings, String host, long connectTimeoutNs, byte[] key, List<ByteBuffer> registrable) throws IOException {
    return new RdmaWire(nic(), settings, host, 0, host, connectTimeoutNs, key, registrable);
  }

  Nic nic() {
    return new FakeNic();
  }

  FakeQueuePair queuePair(FakeNic nic) {
    FakeQueuePair qp = new FakeQueuePair(nextQp.getAndIncrement(), nic);
    pairs.put(qp.number, qp);
    return qp;
  }

  final class FakeNic implements Nic {
    private final AtomicInteger keys = new AtomicInteger(1);
    /** Registered memory: start, end, lkey of each, in {@code count} entries. */
    private long[] starts = new long[8];
    private long[] ends = new long[8];
    private int[] lkeys = new int[8];
    private int count;
    private long registeredBytes;

    /** Whether {@code length} bytes at {@code address} lie in memory registered under {@code lkey}. */
    synchronized boolean covers(long address, int length, int lkey) {
      for (int i = 0; i < count; i++) {
        if (lkeys[i] == lkey && starts[i] <= address && address + length <= ends[i]) return true;
      }
      return false;
    }

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
    public long lockableBytes() {
      return memlockBudget;
    }

    @Override
    public synchronized int register(ByteBuffer memory) {
      if (!memory.isDirect()) throw new IllegalArgumentException("not direct");
      long at = new UnsafeBuffer(memory).addressOffset();
      if (at == refusedAddress) throw new IllegalStateException("RDMA: ibv_reg_mr of " + memory.capacity() + " bytes failed on fake0");
      if (memory.capacity() > memlockBudget - registeredBytes) {
        overBudget.incrementAndGet();
        throw new IllegalStateException("RDMA: ibv_reg_mr of " + memory.capacity() + " bytes failed on fake0 (memlock)");
      }
      registeredBytes += memory.capacity();
      if (count == starts.length) {
        starts = Arrays.copyOf(starts, count * 2);
        ends = Arrays.copyOf(ends, count * 2);
        lkeys = Arrays.copyOf(lkeys, count * 2);
      }
      starts[count] = at;
      ends[count] = at + memory.capacity();
      lkeys[count] = keys.getAndIncrement();
      return lkeys[count++];
    }

    @Override
    public synchronized void deregister(ByteBuffer memory) {
      long at = new UnsafeBuffer(memory).addressOffset();
      for (int i = 0; i < count; i++) {
        if (starts[i] == at) {
          registeredBytes -= ends[i] - starts[i];
          count--;
          starts[i] = starts[count];
          ends[i] = ends[count];
          lkeys[i] = lkeys[count];
          return;
        }
      }
    }

    @Override
    public QueuePair queuePair(int sendDepth, int receiveDepth) {
      return FakeFabric.this.queuePair(this);
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

    synchronized boolean isEmpty() {
      return head == tail;
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
    private final FakeNic nic;
    private volatile FakeQueuePair peer;
    private volatile boolean closed;
    private final Records receives = new Records(4096);
    private final Records completions = new Records(4096);
    /** Send completions held back while the fabric holds them; guarded by this. */
    private final Records held = new Records(4096);
    private final long[] receive = new long[4];
    private final long[] completion = new long[4];
    private final long[] moving = new long[4];

    FakeQueuePair(int number, FakeNic nic) {
      this.number = number;
      this.nic = nic;
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
      send(wrId, address, length, lkey, 0, 0, 0, immediate);
    }

    @Override
    public void postSend(long wrId, long address, int length, int lkey, long address2, int length2, int lkey2) {
      gatheredSends.incrementAndGet();
      send(wrId, address, length, lkey, address2, length2, lkey2, -1);
    }

    /** One SEND of the entries {@code (address, length)} then {@code (address2, length2)} (none when 0). */
    private synchronized void send(long wrId, long address, int length, int lkey, long address2, int length2, int lkey2, int immediate) {
      FakeQueuePair p = peer;
      if (closed || p == null) throw new IllegalStateException("queue pair not connected");
      if (p.closed) {
        completions.add(2, wrId, 0, 0);
        return;
      }
      if ((length > 0 && !nic.covers(address, length, lkey)) || (length2 > 0 && !nic.covers(address2, length2, lkey2))) {
        badKey.incrementAndGet();
        completions.add(2, wrId, 0, 0);
        return;
      }
      if (!p.receives.poll(receive)) {
        receiverNotReady.incrementAndGet();
        completions.add(2, wrId, 0, 0);
        return;
      }
      int total = length + length2;
      if (total > receive[2]) {
        tooLong.incrementAndGet();
        completions.add(2, wrId, 0, 0);
        return;
      }
      if (length > 0) UnsafeApi.copyMemory(address, receive[1], length);
      if (length2 > 0) UnsafeApi.copyMemory(address2, receive[1] + length, length2);
      p.completions.add(1, receive[0], total, immediate);
      (total > 0 && (holding || !held.isEmpty()) ? held : completions).add(0, wrId, 0, 0);
    }

    /** Hands the held send completions over, in order. */
    synchronized void releaseHeld() {
      while (held.poll(moving)) completions.add(moving[0], moving[1], moving[2], moving[3]);
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
