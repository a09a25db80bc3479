package io.tensorfs.bench;

import com.sun.nio.file.ExtendedOpenOption;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.DiskTurn;
import io.tensorfs.store.FileChunkStore;
import io.tensorfs.store.StoreSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/**
 * One store on one disk, without a node: where a 4 MiB read of a replica spends its time. Writes
 * {@code --size-mib} of replicas of 64 MiB through a {@link FileChunkStore} (as a node's PUT does), then
 * reads every replica in 4 MiB pieces, at each depth of {@code --depths} (that many reads at once, each on
 * its own thread), seven ways that take turns: an O_DIRECT read with one open per file (the limit); the same
 * with the checksum table read and the data file opened for every read (what the store does); one open per
 * file with each 64 KiB block's CRC32C checked (what the store verifies); the store's own {@code readInto}
 * on an I/O pool of that many threads; the same as a node serves fetches, that many at the disk in turns
 * and one more opening beside them (one thread more), each checked after its turn; and the first and the
 * fourth again with a loopback TCP copy running
 * beside them, as a node's transport runs beside its disk reads (where the disk shares the host's CPUs or
 * memory bandwidth with the socket, the limit itself drops). Every read's bytes are checked (the first 8
 * bytes of each 4 KiB page against the pattern written). Prints MB/s, the mean milliseconds of one read and
 * each way ÷ the limit, per depth, for {@code --passes} passes. On a file system without O_DIRECT every way
 * reads through the page cache, as the store then does.
 *
 * <p>{@code ./tfs bench store [--dir DIR] [--size-mib N] [--depths 1,2,4,8] [--passes N]}
 */
public final class StoreBench {
  private static final int CHUNK_BYTES = 64 << 20;
  private static final int READ_BYTES = 4 << 20;
  private static final int BLOCK_BYTES = 64 << 10;
  private static final int PAGE = 4096;

  private final FileChunkStore store;
  private final FileId file = FileId.random();
  private final int chunks;
  private final ByteBuffer pattern;
  /** The CRC32C of each 64 KiB block of the pattern (a replica's blocks repeat them). */
  private final int[] blockCrcs = new int[Pattern.BYTES / BLOCK_BYTES];
  /** Each replica's data file, once written. */
  private final Path[] dataFiles;
  /** O_DIRECT where the store reads that way (a file system without it, e.g. tmpfs: the page cache, as the store). */
  private final OpenOption[] readOptions;

  private StoreBench(FileChunkStore store, int chunks, ByteBuffer pattern) {
    this.store = store;
    this.chunks = chunks;
    this.pattern = pattern;
    this.dataFiles = new Path[chunks];
    this.readOptions = store.directIo()
        ? new OpenOption[] {StandardOpenOption.READ, ExtendedOpenOption.DIRECT}
        : new OpenOption[] {StandardOpenOption.READ};
    CRC32C crc = new CRC32C();
    for (int b = 0; b < blockCrcs.length; b++) {
      crc.reset();
      crc.update(pattern.duplicate().position(b * BLOCK_BYTES).limit((b + 1) * BLOCK_BYTES));
      blockCrcs[b] = (int) crc.getValue();
    }
  }

  /** The ways a piece is read; each returns the bytes read into {@code into} from its position 0. */
  private enum Way {
    DIRECT("O_DIRECT, one open per file (limit)"),
    OPEN_EACH("O_DIRECT, table read and file opened per read"),
    CRC("O_DIRECT, one open per file, CRC32C per block"),
    STORE("store readInto (open, read, verify, close)"),
    /**
     * As a node serves other nodes' fetches: the store's readInto with {@code depth} reads at the disk at once
     * (a {@link DiskTurn} each) and one more under way opening its replica, the check after the turn.
     */
    STORE_TURNS("store readInto in turns, one more opening beside"),
    DIRECT_BESIDE("O_DIRECT, a loopback copy running beside", true),
    STORE_BESIDE("store readInto, a loopback copy running beside", true);

    final String label;
    /** Whether a loopback TCP copy runs while this way reads: a node's disk reads share the host with its transport. */
    final boolean beside;

    Way(String label) {
      this(label, false);
    }

    Way(String label, boolean beside) {
      this.label = label;
      this.beside = beside;
    }

    /** The plain read this way's figure is measured against. */
    Way base() {
      return this == DIRECT_BESIDE ? DIRECT : this == STORE_BESIDE ? STORE : this;
    }
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  public static void run(String[] args) throws Exception {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tensorfs-store-bench");
    long sizeMib = 1024;
    int[] depths = {1, 2, 4, 8};
    int passes = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir" -> dir = Path.of(args[++i]);
        case "--size-mib" -> sizeMib = Long.parseLong(args[++i]);
        case "--depths" -> depths = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--passes" -> passes = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("usage: tfs bench store [--dir DIR] [--size-mib N]"
            + " [--depths 1,2,4,8] [--passes N]; not " + args[i]);
      }
    }
    if (sizeMib < 64 || sizeMib % 64 != 0) throw new IllegalArgumentException("--size-mib: a multiple of 64");
    Path storeDir = dir.resolve("d0");
    deleteTree(storeDir);
    Pattern bytes = new Pattern(42);
    int maxDepth = Arrays.stream(depths).max().orElse(1);
    ExecutorService io = Executors.newFixedThreadPool(maxDepth + 1, daemon("store-bench-io"));
    try {
      FileChunkStore store = new FileChunkStore("d0", storeDir, StoreSettings.defaults(List.of(storeDir)), io);
      if (!store.directIo()) System.out.println("note: no O_DIRECT on this file system; every way reads through the page cache");
      StoreBench bench = new StoreBench(store, (int) (sizeMib / 64), bytes.buffer());
      long t0 = System.nanoTime();
      bench.write();
      System.out.printf("wrote %d MiB as %d replicas of 64 MiB in %s: %.0f MB/s%n", sizeMib, bench.chunks, storeDir,
          HttpBench.mbps(sizeMib << 20, (System.nanoTime() - t0) / 1e9));
      // Fresh JVM: each way reads the first replica once, untimed, so the first timed way is not the one compiled.
      for (Way way : Way.values()) {
        if (!way.beside) bench.timed(way, 1, CHUNK_BYTES / READ_BYTES, new long[1]);
      }
      for (int pass = 1; pass <= passes; pass++) {
        for (int depth : depths) bench.depth(pass, depth);
      }
    } finally {
      io.shutdownNow();
      deleteTree(storeDir);
    }
  }

  private void write() throws Exception {
    for (int c = 0; c < chunks; c++) {
      ChunkWriter writer = store.openWriter(new ChunkId(file, c), TfsPath.parse("/bench/store"), true);
      for (int at = 0; at < CHUNK_BYTES; at += READ_BYTES) {
        ByteBuffer piece = pattern.duplicate().position(at % Pattern.BYTES).limit(at % Pattern.BYTES + READ_BYTES);
        writer.append(ByteString.fromByteBuffer(piece)).toCompletableFuture().get();
      }
      writer.finish().toCompletableFuture().get();
      dataFiles[c] = store.dataFile(new ChunkId(file, c)).orElseThrow();
    }
  }

  private void depth(int pass, int depth) throws Exception {
    double limit = 0;
    for (Way way : Way.values()) {
      long[] nanos = new long[1];
      long size = (long) chunks * CHUNK_BYTES;
      double seconds;
      if (way.beside) {
        try (LoopbackLoad load = LoopbackLoad.start(pattern)) {
          seconds = timed(way.base(), depth, chunks * (CHUNK_BYTES / READ_BYTES), nanos);
          System.out.printf("pass %d, depth %d, the loopback copy beside the next line: %.0f MB/s%n", pass, depth,
              load.mbps());
        }
      } else {
        seconds = timed(way, depth, chunks * (CHUNK_BYTES / READ_BYTES), nanos);
      }
      int reads = (int) (size / READ_BYTES);
      if (way == Way.DIRECT) limit = seconds;
      System.out.printf("pass %d, depth %d, %-48s %6.0f MB/s, %6.2f ms per read, %.2f of the limit%n", pass, depth,
          way.label + ":", HttpBench.mbps(size, seconds), nanos[0] / 1e6 / reads, limit / seconds);
    }
  }

  /**
   * Seconds to read the first {@code pieces} 4 MiB pieces of the replicas the given way, {@code depth} reads
   * at once; puts the sum of the reads' own nanos in {@code readNanos[0]}.
   */
  private double timed(Way way, int depth, int pieces, long[] readNanos) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicLong busy = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    Exception[] failure = new Exception[1];
    Semaphore disk = new Semaphore(depth, true);
    long t0 = System.nanoTime();
    for (int t = 0; t < (way == Way.STORE_TURNS ? depth + 1 : depth); t++) {
      Thread thread = new Thread(() -> {
        ByteBuffer into = Limits.readBuffer(2 * READ_BYTES); // room past the read for the store's alignment
        FileChannel[] open = new FileChannel[chunks];
        CRC32C crc = new CRC32C();
        try {
          for (int p; (p = next.getAndIncrement()) < pieces; ) {
            int chunk = p / (CHUNK_BYTES / READ_BYTES);
            long offset = (long) (p % (CHUNK_BYTES / READ_BYTES)) * READ_BYTES;
            long start = System.nanoTime();
            into.clear().limit(READ_BYTES);
            read(way, chunk, offset, into, open, crc, disk);
            busy.addAndGet(System.nanoTime() - start);
            check(chunk, offset, into);
          }
        } catch (Exception e) {
          synchronized (failure) {
            failure[0] = e;
          }
        } finally {
          for (FileChannel ch : open) closeQuietly(ch);
        }
      }, "store-bench-" + t);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) thread.join();
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (failure[0] != null) throw failure[0];
    readNanos[0] = busy.get();
    return seconds;
  }

  private void read(Way way, int chunk, long offset, ByteBuffer into, FileChannel[] open, CRC32C crc, Semaphore disk)
      throws Exception {
    ChunkId id = new ChunkId(file, chunk);
    Path data = dataFiles[chunk];
    switch (way) {
      case DIRECT_BESIDE, STORE_BESIDE -> throw new IllegalArgumentException(way + " reads as " + way.base());
      case DIRECT, CRC -> {
        if (open[chunk] == null) open[chunk] = FileChannel.open(data, readOptions);
        fill(open[chunk], offset, into);
        if (way == Way.CRC) verifyBlocks(chunk, offset, into, crc);
      }
      case OPEN_EACH -> {
        Files.readAllBytes(data.resolveSibling(chunk + ".crc"));
        try (FileChannel ch = FileChannel.open(data, readOptions)) {
          ch.size();
          fill(ch, offset, into);
        }
      }
      case STORE, STORE_TURNS -> {
        DiskTurn turn = way == Way.STORE ? DiskTurn.NONE : new DiskTurn() {
          @Override
          public void enter() throws InterruptedException {
            disk.acquire();
          }

          @Override
          public void leave() {
            disk.release();
          }
        };
        int n = store.readInto(id, offset, into, turn).toCompletableFuture().get();
        if (n != READ_BYTES) throw new IllegalStateException("store read " + n + " bytes of " + READ_BYTES);
        into.flip();
      }
    }
  }

  /** Each 64 KiB block's CRC32C against the pattern's, as the store checks a block against its table. */
  private void verifyBlocks(int chunk, long offset, ByteBuffer piece, CRC32C crc) {
    for (int at = 0; at < READ_BYTES; at += BLOCK_BYTES) {
      crc.reset();
      crc.update(piece.duplicate().position(at).limit(at + BLOCK_BYTES));
      if ((int) crc.getValue() != blockCrcs[(int) ((offset + at) % Pattern.BYTES) / BLOCK_BYTES]) {
        throw new IllegalStateException("chunk " + chunk + " at " + (offset + at) + ": a block fails its CRC32C");
      }
    }
  }

  private static void fill(FileChannel ch, long offset, ByteBuffer into) throws IOException {
    while (into.hasRemaining()) {
      if (ch.read(into, offset + into.position()) < 0) throw new IOException("replica ends early");
    }
    into.flip();
  }

  private void check(int chunk, long offset, ByteBuffer piece) {
    check(pattern, chunk, offset, piece);
  }

  /** The first 8 bytes of every 4 KiB page of a 4 MiB piece against the pattern written there. */
  static void check(ByteBuffer pattern, int chunk, long offset, ByteBuffer piece) {
    if (piece.remaining() != READ_BYTES) throw new IllegalStateException("read " + piece.remaining() + " bytes");
    for (int at = 0; at < READ_BYTES; at += PAGE) {
      int inPattern = (int) ((offset + at) % Pattern.BYTES);
      if (piece.getLong(at) != pattern.getLong(inPattern)) {
        throw new IllegalStateException("chunk " + chunk + " at " + (offset + at) + ": other bytes than were written");
      }
    }
  }

  /** One loopback TCP copy running until closed, a writer and a reader thread; counts the bytes copied. */
  private static final class LoopbackLoad implements AutoCloseable {
    private final ServerSocketChannel server;
    private final AtomicLong copied = new AtomicLong();
    private final Thread writer;
    private final Thread reader;
    private volatile boolean stop;
    /** Where the rate counts from: once the copy is running. */
    private long t0;
    private long fromBytes;

    private LoopbackLoad(ByteBuffer pattern) throws IOException {
      server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      SocketAddress address = server.getLocalAddress();
      reader = new Thread(() -> {
        try (SocketChannel ch = server.accept()) {
          ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
          for (int n; (n = ch.read(buf.clear())) >= 0; ) copied.addAndGet(n);
        } catch (IOException e) {
          if (!stop) throw new IllegalStateException(e);
        }
      }, "store-bench-loopback-reader");
      writer = new Thread(() -> {
        try (SocketChannel ch = SocketChannel.open(address)) {
          ByteBuffer from = ByteBuffer.allocateDirect(pattern.capacity()).put(pattern.duplicate().clear());
          while (!stop) {
            from.clear();
            while (from.hasRemaining() && !stop) ch.write(from);
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, "store-bench-loopback-writer");
      reader.start();
      writer.start();
    }

    /** Starts the copy and returns once its first bytes have crossed (at most 5 s), so the reads beside it are timed with it running. */
    static LoopbackLoad start(ByteBuffer pattern) throws IOException, InterruptedException {
      LoopbackLoad load = new LoopbackLoad(pattern);
      for (long deadline = System.nanoTime() + 5_000_000_000L; load.copied.get() == 0 && System.nanoTime() < deadline; ) {
        Thread.sleep(1);
      }
      load.fromBytes = load.copied.get();
      load.t0 = System.nanoTime();
      return load;
    }

    /** The rate of the copy from when {@link #start} returned to now. */
    double mbps() {
      return HttpBench.mbps(copied.get() - fromBytes, (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public void close() throws IOException {
      stop = true;
      try {
        writer.join();
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        server.close();
      }
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // a read-only channel; nothing was written through it
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted((a, b) -> b.compareTo(a)).toList()) Files.delete(p);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
