package io.tensorfs.gpu.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CUDA in memory, for tests: "device memory" is heap buffers at made-up addresses, copies happen when
 * queued, and events report done unless completions are held. Thread safe.
 */
public final class FakeCudaRuntime implements CudaRuntime {
  public static final int INVALID_VALUE = 1;
  public static final int INVALID_HANDLE = 400;
  public static final int LAUNCH_FAILURE = 719;

  private final int devices;
  private final ConcurrentSkipListMap<Long, ByteBuffer> memory = new ConcurrentSkipListMap<>();
  private final Map<IpcKey, Long> exported = new ConcurrentHashMap<>();
  private final Map<ByteBuffer, Long> hostAddresses = new IdentityHashMap<>();
  private final List<ByteBuffer> registered = new CopyOnWriteArrayList<>();
  private final AtomicInteger opens = new AtomicInteger();
  private final AtomicInteger closes = new AtomicInteger();
  private final Map<Long, Integer> openMappings = new ConcurrentHashMap<>();
  private volatile boolean holdCompletions;
  private volatile int eventError;
  private long nextBase = 1L << 40;
  private long nextHost = 1L << 20;

  public FakeCudaRuntime(int devices) {
    this.devices = devices;
  }

  /** A new allocation of {@code bytes}; returns its IPC handle. */
  public synchronized byte[] allocate(long bytes) {
    long base = nextBase;
    nextBase += 1L << 32;
    memory.put(base, ByteBuffer.allocate((int) bytes));
    byte[] handle = new byte[64];
    new Random(base).nextBytes(handle);
    exported.put(new IpcKey(handle), base);
    return handle;
  }

  /** A copy of the bytes of the allocation named by {@code handle}. */
  public byte[] contents(byte[] handle) {
    ByteBuffer m = memory.get(exported.get(new IpcKey(handle))).duplicate();
    byte[] out = new byte[m.capacity()];
    m.get(0, out);
    return out;
  }

  public void holdCompletions(boolean hold) {
    holdCompletions = hold;
  }

  /** Makes every event query fail with {@code code} (0: stop failing). */
  public void failEvents(int code) {
    eventError = code;
  }

  public int opens() {
    return opens.get();
  }

  public int closes() {
    return closes.get();
  }

  /** Whether the allocation of {@code handle} is mapped now. */
  public boolean isOpen(byte[] handle) {
    Long base = exported.get(new IpcKey(handle));
    return base != null && openMappings.getOrDefault(base, 0) > 0;
  }

  public List<ByteBuffer> registered() {
    return registered;
  }

  @Override
  public Probe probe() {
    return devices == 0 ? Probe.none("no GPU: fake") : new Probe(devices, "", devices + " fake GPUs");
  }

  @Override
  public String errorName(int code) {
    return "fakeError" + code;
  }

  @Override
  public synchronized int hostRegister(ByteBuffer region) {
    registered.add(region);
    hostAddresses.put(region, nextHost);
    nextHost += region.capacity() + 4096L;
    return SUCCESS;
  }

  @Override
  public synchronized long hostAddress(ByteBuffer direct) {
    return hostAddresses.getOrDefault(direct, 0L);
  }

  @Override
  public DeviceApi device(int ordinal) {
    return new Device(ordinal);
  }

  private ByteBuffer at(long address, long bytes) {
    Map.Entry<Long, ByteBuffer> e = memory.floorEntry(address);
    if (e == null || address - e.getKey() + bytes > e.getValue().capacity()) return null;
    return e.getValue().duplicate().position((int) (address - e.getKey())).limit((int) (address - e.getKey() + bytes));
  }

  private final class Device implements DeviceApi {
    private final int ordinal;
    private final List<Boolean> events = new CopyOnWriteArrayList<>();
    private int streams;

    Device(int ordinal) {
      this.ordinal = ordinal;
    }

    @Override
    public int ordinal() {
      return ordinal;
    }

    @Override
    public int bindThread() {
      return SUCCESS;
    }

    @Override
    public int createStreams(int count) {
      streams = count;
      return SUCCESS;
    }

    @Override
    public synchronized int createEvent() {
      events.add(Boolean.TRUE);
      return events.size() - 1;
    }

    @Override
    public int openIpc(byte[] handle, long[] out) {
      Long base = exported.get(new IpcKey(handle));
      if (base == null) return INVALID_HANDLE;
      // The mapping first, then the counter tests wait on: a test that sees the count sees the mapping.
      openMappings.merge(base, 1, Integer::sum);
      opens.incrementAndGet();
      out[0] = base;
      return SUCCESS;
    }

    @Override
    public long allocationBytes(long base) {
      ByteBuffer m = memory.get(base);
      return m == null ? -1 : m.capacity();
    }

    @Override
    public int closeIpc(long base) {
      openMappings.merge(base, -1, Integer::sum);
      closes.incrementAndGet();
      return SUCCESS;
    }

    @Override
    public int copyToDevice(long deviceAddress, ByteBuffer host, long hostIndex, long bytes, int stream) {
      ByteBuffer target = at(deviceAddress, bytes);
      if (target == null || stream >= streams) return INVALID_VALUE;
      target.put(host.duplicate().limit((int) (hostIndex + bytes)).position((int) hostIndex));
      return SUCCESS;
    }

    @Override
    public int copyToHost(ByteBuffer host, long hostIndex, long deviceAddress, long bytes, int stream) {
      ByteBuffer source = at(deviceAddress, bytes);
      if (source == null || stream >= streams) return INVALID_VALUE;
      host.duplicate().limit((int) (hostIndex + bytes)).position((int) hostIndex).put(source);
      return SUCCESS;
    }

    @Override
    public int recordEvent(int event, int stream) {
      return stream < streams ? SUCCESS : INVALID_VALUE;
    }

    @Override
    public int queryEvent(int event) {
      if (eventError != 0) return eventError;
      return holdCompletions ? NOT_READY : SUCCESS;
    }

    @Override
    public int synchronize() {
      return SUCCESS;
    }

    @Override
    public void close() {
      events.clear();
    }
  }

  /** Random bytes for tests. */
  public static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Direct buffers holding {@code bytes} cut at {@code cuts}, each with {@code lead} unused bytes before its position. */
  public static List<ByteBuffer> directPieces(byte[] bytes, int[] cuts, int lead) {
    List<ByteBuffer> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      ByteBuffer b = ByteBuffer.allocateDirect(lead + (to - from) + 7);
      b.position(lead);
      b.put(bytes, from, to - from);
      b.limit(b.position()).position(lead);
      out.add(b);
      from = to;
    }
    return out;
  }
}
