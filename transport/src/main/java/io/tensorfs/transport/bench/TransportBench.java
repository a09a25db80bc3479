package io.tensorfs.transport.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.aeron.driver.MediaDriver;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.Fetched;
import io.tensorfs.transport.MemoryRegions;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import io.tensorfs.transport.TransportSettings;
import io.tensorfs.transport.Transports;
import io.tensorfs.transport.internal.AeronDrivers;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Fetch throughput of each transport kind between two JVMs on this machine, beside a raw loopback
 * TCP copy (Java NIO, direct buffers) measured in the same run. Each kind is measured twice: {@code fetch}
 * (the heap stream of ByteStrings) and {@code fetchInto} (frames written straight into a direct buffer,
 * as into cache pages, in {@value #SEGMENT_MIB} MiB fetches one after another).
 *
 * <pre>
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... io.tensorfs.transport.bench.TransportBench [MiB] [kinds]
 * </pre>
 *
 * MiB defaults to 1024, kinds to {@code aeron-ipc,aeron-udp,tcp}. For each kind the bench starts a
 * serving JVM (the same classpath) whose chunk service lends one constant 4 MiB direct buffer as its
 * pages (as the cache lends resident chunks), fetches one warm-up pass and then the measured pass of each
 * way, every byte checked, and prints a table. IPC needs one media driver for both
 * JVMs: this process starts it and the server JVM uses it.
 */
public final class TransportBench {
  private static final long MIB = 1024 * 1024;
  private static final ChunkId CHUNK = new ChunkId(new FileId("0123456789abcdef0123456789abcdef"), 0);
  /** The size of each fetchInto: a chunk's worth. */
  private static final int SEGMENT_MIB = 64;
  /** The 4 MiB the server serves over and over: a chunk's byte at offset {@code i} is this one's at {@code i % 4 MiB}. */
  private static final ByteBuffer PATTERN = pattern();

  private TransportBench() {}

  public static void main(String[] args) {
    int code = 0;
    try {
      if (args.length > 0 && args[0].equals("--serve")) serve(args[1], args[2]);
      else run(args.length > 0 ? Long.parseLong(args[0]) : 1024, args.length > 1 ? args[1] : "aeron-ipc,aeron-udp,tcp");
    } catch (Throwable e) {
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  /** The settings of one kind; {@code dir} is the Aeron directory. */
  private static Config config(String kind, String dir, boolean embedded) {
    String t = switch (kind) {
      case "tcp" -> "kind = tcp";
      case "aeron-ipc" -> "kind = aeron, aeron { mode = ipc, embedded-driver = " + (embedded ? "on" : "off") + ", dir = \"" + dir + "\" }";
      case "aeron-udp" -> "kind = aeron, aeron { mode = udp, embedded-driver = on, dir = \"" + dir + "\" }";
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    };
    // Local actor systems that leave the JVM alone when they stop: on a node's whole classpath (scripts/gpu-check
    // transport) the node's configuration asks for a cluster and exits the JVM at shutdown.
    return ConfigFactory.parseString("tensorfs.transport { " + t + ", rdma.probe = off }\npekko.actor.provider = local"
            + "\npekko.coordinated-shutdown.exit-jvm = off\npekko.loglevel = WARNING"
            + "\npekko.stdout-loglevel = WARNING")
        .withFallback(ConfigFactory.load());
  }

  // ---- the serving JVM ----

  private static void serve(String kind, String dir) throws Exception {
    Config config = config(kind, dir, false);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench-server", config);
    // The parent's cluster key arrives as the first line on stdin (never on the command line).
    ClusterSecret secret = ClusterSecret.ofKey(HexFormat.of().parseHex(readLine(System.in)));
    ConstantChunks chunks = new ConstantChunks();
    // Its one page stands for the node's page pool: the TCP and RDMA wires send from it in place.
    try (Transport transport = Transports.create(config, system, chunks, secret, new MemoryRegions(List.of(chunks.memory)))) {
      System.out.println("ENDPOINT " + transport.localEndpoint());
      System.out.flush();
      // serve until the parent closes our stdin
      while (System.in.read() >= 0) {
        // nothing to read; the parent never writes
      }
    } finally {
      system.terminate();
    }
  }

  private static String readLine(java.io.InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) >= 0 && c != '\n'; ) line.append((char) c);
    return line.toString().trim();
  }

  /**
   * Serves any chunk as repetitions of one 4 MiB buffer, so the server spends nothing on making bytes:
   * {@link #read} as heap ByteStrings, {@link #readPages} lending the same bytes in a direct buffer.
   */
  private static final class ConstantChunks implements ChunkService {
    private final ByteString block;
    private final ByteBuffer memory;
    private final ByteBuffer page;

    ConstantChunks() {
      byte[] b = new byte[PATTERN.capacity()];
      PATTERN.duplicate().get(b);
      block = ByteString.fromArrayUnsafe(b);
      memory = ByteBuffer.allocateDirect(b.length);
      page = memory.put(b).flip().asReadOnlyBuffer();
    }

    @Override
    public Source<PageRun, NotUsed> readPages(ChunkId chunk, long offset, long length) {
      long blocks = length / page.capacity();
      int rest = (int) (length % page.capacity());
      Source<PageRun, NotUsed> whole = Source.repeat(page).take(blocks).map(PageRun::unheld);
      return rest == 0 ? whole : whole.concat(Source.single(PageRun.unheld(page.duplicate().limit(rest))));
    }

    @Override
    public Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length) {
      long blocks = length / block.length();
      int rest = (int) (length % block.length());
      Source<ByteString, NotUsed> whole = Source.repeat(block).take(blocks);
      return rest == 0 ? whole : whole.concat(Source.single(block.take(rest)));
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> write(PushRequest request) {
      return Sink.<ByteString>cancelled().mapMaterializedValue(n ->
          CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST, "the bench server takes no pushes")));
    }
  }

  // ---- the measuring JVM ----

  private static void run(long mib, String kinds) throws Exception {
    System.out.printf(Locale.ROOT, "transport bench: fetch %d MiB from a second JVM, %d cores%n", mib, Runtime.getRuntime().availableProcessors());
    double loopback = loopbackTcp(mib * MIB);
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"loopback TCP (NIO, direct, 1 stream)", fmt(loopback), "1.00"});
    for (String kind : kinds.split(",")) {
      double[] mbps = fetchFromChild(kind.trim(), mib * MIB);
      rows.add(new String[] {kind.trim() + " fetch (heap stream)", fmt(mbps[0]), String.format(Locale.ROOT, "%.2f", mbps[0] / loopback)});
      rows.add(new String[] {kind.trim() + " fetchInto (into pages)", fmt(mbps[1]), String.format(Locale.ROOT, "%.2f", mbps[1] / loopback)});
    }
    System.out.printf("%n%-40s %12s %18s%n", "path", "MB/s", "ratio to loopback");
    for (String[] r : rows) System.out.printf("%-40s %12s %18s%n", r[0], r[1], r[2]);
  }

  private static String fmt(double mbps) {
    return String.format(Locale.ROOT, "%.0f", mbps);
  }

  /** MB/s of fetch, then of fetchInto, from a serving JVM. */
  private static double[] fetchFromChild(String kind, long bytes) throws Exception {
    String dir = new File(TransportSettings.defaultAeronDir() + "-bench-" + UUID.randomUUID()).getPath();
    String serverDir = kind.equals("aeron-udp") ? dir + "-server" : dir;
    Config config = config(kind, dir, true);
    MediaDriver sharedDriver = kind.equals("aeron-ipc") ? MediaDriver.launch(AeronDrivers.context(TransportSettings.from(config).aeron())) : null;
    ClusterSecret secret = ClusterSecret.randomKey();
    Process child = startChild(kind, serverDir);
    child.getOutputStream().write((HexFormat.of().formatHex(secret.key()) + "\n").getBytes(StandardCharsets.US_ASCII));
    child.getOutputStream().flush();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench-client", config(kind, dir, false));
    try {
      String endpoint = awaitEndpoint(child);
      try (Transport transport = Transports.create(config(kind, dir, false), system, new ConstantChunks(), secret)) {
        Materializer m = Materializer.matFromSystem(system);
        fetch(transport, endpoint, Math.min(bytes, 256 * MIB), m); // warm-up
        long start = System.nanoTime();
        long got = fetch(transport, endpoint, bytes, m);
        double streamSeconds = (System.nanoTime() - start) / 1e9;
        if (got != bytes) throw new IllegalStateException(kind + ": fetched " + got + " of " + bytes + " bytes");

        ByteBuffer pages = ByteBuffer.allocateDirect((int) (SEGMENT_MIB * MIB));
        fetchInto(transport, endpoint, Math.min(bytes, 256 * MIB), pages); // warm-up
        double intoSeconds = fetchInto(transport, endpoint, bytes, pages);
        return new double[] {bytes / streamSeconds / 1e6, bytes / intoSeconds / 1e6};
      }
    } finally {
      child.getOutputStream().close();
      if (!child.waitFor(20, TimeUnit.SECONDS)) child.destroyForcibly();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
      if (sharedDriver != null) sharedDriver.close();
    }
  }

  /** Fetches through the heap stream, each piece checked against the served bytes as it arrives (timed with it). */
  private static long fetch(Transport transport, String endpoint, long bytes, Materializer m) throws Exception {
    String kind = transport.kind();
    return transport.fetch(endpoint, CHUNK, 0, bytes).runFold(0L, (n, b) -> {
      for (ByteBuffer part : b.getByteBuffers()) n = check(kind, part, n);
      return n;
    }, m).toCompletableFuture().get(10, TimeUnit.MINUTES);
  }

  /**
   * Fetches {@code bytes} into {@code pages}, a segment at a time, checking every byte of each segment after
   * its fetch; returns the seconds the fetches took, the checks left out (the fetches run one after another).
   */
  private static double fetchInto(Transport transport, String endpoint, long bytes, ByteBuffer pages) throws Exception {
    long fetching = 0;
    for (long at = 0; at < bytes; ) {
      ByteBuffer target = pages.duplicate().clear().limit((int) Math.min(pages.capacity(), bytes - at));
      long t0 = System.nanoTime();
      Fetched f = transport.fetchInto(endpoint, CHUNK, at, target).toCompletableFuture().get(10, TimeUnit.MINUTES);
      fetching += System.nanoTime() - t0;
      if (!f.complete() || f.bytes() != target.remaining()) {
        throw new IllegalStateException(transport.kind() + ": fetchInto at " + at + " got " + f.bytes() + " of " + target.remaining()
            + " bytes" + (f.failure() == null ? "" : ": " + f.failure().getMessage()));
      }
      at = check(transport.kind(), pages.duplicate().clear().limit((int) f.bytes()), at);
    }
    return fetching / 1e9;
  }

  /**
   * Checks {@code got} against the bytes the server serves at chunk offset {@code at} (its 4 MiB block over
   * and over) and returns the offset after it; throws at the first byte that differs.
   */
  private static long check(String kind, ByteBuffer got, long at) {
    ByteBuffer rest = got.duplicate();
    while (rest.hasRemaining()) {
      int inBlock = (int) (at % PATTERN.capacity());
      int n = Math.min(rest.remaining(), PATTERN.capacity() - inBlock);
      ByteBuffer part = rest.duplicate().limit(rest.position() + n);
      int differs = part.mismatch(PATTERN.duplicate().position(inBlock).limit(inBlock + n));
      if (differs >= 0) throw new IllegalStateException(kind + ": wrong byte at chunk offset " + (at + differs));
      rest.position(rest.position() + n);
      at += n;
    }
    return at;
  }

  private static ByteBuffer pattern() {
    ByteBuffer b = ByteBuffer.allocateDirect((int) (4 * MIB));
    for (int i = 0; i < b.capacity(); i++) b.put(i, (byte) (i * 31 + (i >>> 11)));
    return b.asReadOnlyBuffer();
  }

  private static Process startChild(String kind, String dir) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = List.of(java, "-Xmx1g", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
        TransportBench.class.getName(), "--serve", kind, dir);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static String awaitEndpoint(Process child) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("ENDPOINT ")) return line.substring("ENDPOINT ".length()).trim();
    }
    throw new IllegalStateException("the server JVM ended before it named its endpoint");
  }

  /** One NIO connection on loopback, 4 MiB direct buffers both sides: the socket limit of this machine. */
  private static double loopbackTcp(long bytes) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
        try (SocketChannel in = server.accept()) {
          ByteBuffer buf = ByteBuffer.allocateDirect((int) (4 * MIB));
          long n = 0;
          for (int r; (r = in.read(buf)) >= 0; buf.clear()) n += r;
          return n;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      ByteBuffer buf = ByteBuffer.allocateDirect((int) (4 * MIB));
      try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
        long warm = Math.min(bytes, 256 * MIB);
        write(out, buf, warm);
        long start = System.nanoTime();
        write(out, buf, bytes);
        out.shutdownOutput();
        long got = reader.get(10, TimeUnit.MINUTES) - warm;
        double seconds = (System.nanoTime() - start) / 1e9;
        return got / seconds / 1e6;
      }
    }
  }

  private static void write(SocketChannel out, ByteBuffer buf, long bytes) throws IOException {
    for (long left = bytes; left > 0; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), left));
      while (buf.hasRemaining()) left -= out.write(buf);
    }
  }
}
