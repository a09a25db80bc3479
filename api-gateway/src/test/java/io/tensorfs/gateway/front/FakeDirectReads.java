package io.tensorfs.gateway.front;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link DirectReads} over files held in direct buffers. Pieces come from another thread in three shapes
 * (one buffer of 1 MiB; three buffers; two buffers and a one-byte one), so gathering writes and piece
 * boundaries are exercised. Names it knows besides stored files:
 * {@code endless-*} (1 GiB of a repeated 1 MiB pattern, for clients that leave early) and
 * {@code failing-after-<k>-*} (8 MiB of the pattern whose source fails after k pieces).
 * Every misuse of the contract (a piece released twice, next() after close or end, two next() at once)
 * is recorded in {@link #errors}.
 */
final class FakeDirectReads implements DirectReads {
  static final int PATTERN_BYTES = 1 << 20;
  static final long ENDLESS_BYTES = 1L << 30;
  static final long FAILING_BYTES = 8L << 20;
  private static final int[][] SHAPES = {{1 << 20}, {7_000, 300_001, 123_457}, {65_536, 1, 500_000}};

  final List<FakeSource> sources = new CopyOnWriteArrayList<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  final AtomicInteger opens = new AtomicInteger();
  volatile Map<String, String> lastHeaders = Map.of();
  private final Map<String, ByteBuffer> files = new ConcurrentHashMap<>();
  private final ByteBuffer pattern;
  private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "fake-direct-reads");
    t.setDaemon(true);
    return t;
  });

  FakeDirectReads() {
    pattern = ByteBuffer.allocateDirect(PATTERN_BYTES);
    for (int i = 0; i < PATTERN_BYTES; i++) pattern.put(i, patternByte(i));
  }

  static byte patternByte(long position) {
    long p = position % PATTERN_BYTES;
    return (byte) (p * 31 + (p >>> 9));
  }

  void put(String name, byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).flip();
    files.put(name, b);
  }

  /** The sources opened for {@code name}, in order. */
  List<FakeSource> sourcesOf(String name) {
    return sources.stream().filter(s -> s.name.equals(name)).toList();
  }

  @Override
  public CompletionStage<Optional<DirectResponse>> open(String method, String rawTarget, Map<String, String> headers) {
    opens.incrementAndGet();
    lastHeaders = headers;
    String name = rawTarget.substring(RequestHead.FILES_PREFIX.length());
    ByteBuffer stored = files.get(name);
    long length;
    int failAfter = -1;
    if (stored != null) {
      length = stored.capacity();
    } else if (name.startsWith("endless-")) {
      length = ENDLESS_BYTES;
    } else if (name.startsWith("failing-after-")) {
      length = FAILING_BYTES;
      failAfter = Integer.parseInt(name.split("-")[2]);
    } else {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    FakeSource source = new FakeSource(name, stored, length, failAfter);
    sources.add(source);
    DirectResponse response = new FakeResponse(length, source);
    return CompletableFuture.supplyAsync(() -> Optional.of(response), executor);
  }

  private record FakeResponse(long contentLength, BodySource body) implements DirectResponse {
    @Override
    public int status() {
      return 200;
    }

    @Override
    public List<Map.Entry<String, String>> headers() {
      return List.of(Map.entry("Content-Type", "application/octet-stream"), Map.entry("ETag", "\"v1\""),
          Map.entry("X-Tfs-Cache", "hit"));
    }
  }

  final class FakeSource implements BodySource {
    final String name;
    final AtomicInteger handed = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    private final ByteBuffer stored;
    private final long length;
    private final int failAfter;
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile long offset;
    private volatile boolean ended;

    FakeSource(String name, ByteBuffer stored, long length, int failAfter) {
      this.name = name;
      this.stored = stored;
      this.length = length;
      this.failAfter = failAfter;
    }

    boolean closed() {
      return closes.get() > 0;
    }

    @Override
    public CompletionStage<BodyPiece> next() {
      if (closed()) errors.add(name + ": next() after close()");
      if (ended) errors.add(name + ": next() after the end");
      if (!asking.compareAndSet(false, true)) errors.add(name + ": two next() at once");
      return CompletableFuture.supplyAsync(() -> {
        try {
          return piece();
        } finally {
          asking.set(false);
        }
      }, executor);
    }

    private BodyPiece piece() {
      int index = handed.get();
      if (failAfter >= 0 && index >= failAfter) throw new IllegalStateException("the page went away");
      if (offset >= length) {
        ended = true;
        return null;
      }
      List<ByteBuffer> buffers = new ArrayList<>();
      for (int size : SHAPES[index % SHAPES.length]) {
        int left = size;
        while (left > 0 && offset < length) {
          ByteBuffer b = slice(offset, (int) Math.min(left, length - offset));
          buffers.add(b);
          offset += b.remaining();
          left -= b.remaining();
        }
      }
      handed.incrementAndGet();
      return new FakePiece(this, buffers.toArray(ByteBuffer[]::new));
    }

    private ByteBuffer slice(long at, int max) {
      if (stored != null) return stored.slice((int) at, max);
      int inPattern = (int) (at % PATTERN_BYTES);
      return pattern.slice(inPattern, Math.min(max, PATTERN_BYTES - inPattern));
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  private final class FakePiece implements BodyPiece {
    private final FakeSource source;
    private final ByteBuffer[] buffers;
    private final AtomicBoolean released = new AtomicBoolean();

    FakePiece(FakeSource source, ByteBuffer[] buffers) {
      this.source = source;
      this.buffers = buffers;
    }

    @Override
    public ByteBuffer[] buffers() {
      return buffers;
    }

    @Override
    public void release() {
      if (released.compareAndSet(false, true)) source.released.incrementAndGet();
      else errors.add(source.name + ": a piece released twice");
    }
  }
}
