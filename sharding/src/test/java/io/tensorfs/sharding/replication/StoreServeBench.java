package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.FileChunkStore;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.Fetched;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.TcpTransport;
import io.tensorfs.transport.Transport;
import io.tensorfs.transport.TransportSettings;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The serving half of a GET from another node's disk, alone: a node whose chunks are on its store and not
 * in its cache serves them over TCP to a reader that fetches as a cold read does (every 4 MiB page of
 * {@code read-ahead} chunks at once with {@code fetchInto}), once through the chunk service's heap stream
 * of the store ({@code ChunkStore.source}: ByteStrings, the way a chunk on disk was served before) and once
 * through {@link NodeChunkService#readPages} (O_DIRECT into direct buffers lent to the transport), and from
 * chunks resident in the serving side's cache (pages lent), in turns, beside an O_DIRECT read of the same chunks. Not part of the suite (no name ending in Test): run it with
 * {@code mvn -pl sharding test -Dtest=StoreServeBench -Dtfs.test.heap=4g -Dtensorfs.serve-bench.mib=512
 * -Dtensorfs.serve-bench.read-ahead=4} (its direct memory is the heap's size).
 */
class StoreServeBench {
  private static final int CHUNK_BYTES = 64 << 20;
  private static final int PAGE_BYTES = 4 << 20;
  private static final TfsPath OWNER = TfsPath.parse("/tenant/bench/f");

  @Test
  void serveChunksFromTheStore() throws Exception {
    long mib = Long.getLong("tensorfs.serve-bench.mib", 256);
    int readAhead = Integer.getInteger("tensorfs.serve-bench.read-ahead", 4);
    int passes = Integer.getInteger("tensorfs.serve-bench.passes", 3);
    int chunks = (int) Math.max(1, (mib << 20) / CHUNK_BYTES);
    // The suite's other JVM (StalledReadTest's) caps direct memory far below what the pages here take.
    assumeTrue(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .noneMatch(arg -> arg.startsWith("-XX:MaxDirectMemorySize")), "runs with the JVM's default direct memory");
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("tensorfs.serve-bench.dir", "target")), "serve-bench");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "serve-bench");
    ExecutorService io = Executors.newFixedThreadPool(8);
    Materializer materializer = Materializer.matFromSystem(system);
    try {
      FileChunkStore store = new FileChunkStore("d0", dir, StoreSettings.defaults(List.of(dir)).withReservedBytes(0), io);
      FileId file = new FileId("00112233445566778899aabbccddeeff");
      byte[] bytes = new byte[CHUNK_BYTES];
      new Random(7).nextBytes(bytes);
      for (int c = 0; c < chunks; c++) {
        ChunkWriter w = store.openWriter(new ChunkId(file, c), OWNER, false);
        for (int at = 0; at < CHUNK_BYTES; at += 1 << 20) w.append(ByteString.fromArray(bytes, at, 1 << 20)).toCompletableFuture().get();
        w.finish().toCompletableFuture().get();
      }
      CacheSettings cacheSettings = CacheSettings.small(2);
      ChunkCache cache = new ChunkCache(PagePool.allocate(cacheSettings.poolSettings()), cacheSettings, id -> store, c -> {});
      NodeChunkService direct = new NodeChunkService(List.of(store), cache, null, new ReadLeases());
      ChunkService heap = new HeapStream(direct);
      TransportSettings settings = TransportSettings.from(ConfigFactory.parseString(
          "tensorfs.transport { kind = tcp, tcp.streams = 4, rdma.probe = off }").withFallback(ConfigFactory.load()));
      ClusterSecret secret = ClusterSecret.randomKey();
      Transport reader = TcpTransport.start(settings, materializer, new HeapStream(direct), secret);
      Transport viaHeap = TcpTransport.start(settings, materializer, heap, secret);
      Transport viaPages = TcpTransport.start(settings, materializer, direct, secret);
      CacheSettings residentSettings = CacheSettings.small(chunks * (CHUNK_BYTES / cacheSettings.pageBytes()));
      ChunkCache residentCache = new ChunkCache(PagePool.allocate(residentSettings.poolSettings()), residentSettings, id -> store, c -> {});
      for (int c = 0; c < chunks; c++) {
        residentCache.load(new ChunkId(file, c), CHUNK_BYTES, OWNER, List.of(store)).toCompletableFuture().get().release();
      }
      Transport viaCache = TcpTransport.start(settings, materializer,
          new NodeChunkService(List.of(store), residentCache, null, new ReadLeases()), secret);
      List<ByteBuffer> pages = new ArrayList<>();
      for (int i = 0; i < readAhead * (CHUNK_BYTES / PAGE_BYTES); i++) pages.add(ByteBuffer.allocateDirect(PAGE_BYTES));
      long size = (long) chunks * CHUNK_BYTES;
      System.out.printf("serve bench: %d chunks of 64 MiB from the store over TCP, %d chunks' pages fetched at once, %d cores%n",
          chunks, readAhead, Runtime.getRuntime().availableProcessors());
      read(reader, viaHeap, file, chunks, readAhead, pages); // warm up both
      read(reader, viaPages, file, chunks, readAhead, pages);
      read(reader, viaCache, file, chunks, readAhead, pages);
      for (int pass = 1; pass <= passes; pass++) {
        double odirect = directRead(store, file, chunks, pages);
        double h = read(reader, viaHeap, file, chunks, readAhead, pages);
        double p = read(reader, viaPages, file, chunks, readAhead, pages);
        double m = read(reader, viaCache, file, chunks, readAhead, pages);
        String line = String.format("pass %d: O_DIRECT read %.0f MB/s; served from disk as a heap stream %.0f MB/s (%.2f), from disk"
                + " through direct buffers %.0f MB/s (%.2f); from cache pages %.0f MB/s%n",
            pass, size / odirect / 1e6, size / h / 1e6, odirect / h, size / p / 1e6, odirect / p, size / m / 1e6);
        System.out.print(line);
        Files.writeString(Path.of("target/serve-bench.txt"), line, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      }
      reader.close();
      viaHeap.close();
      viaPages.close();
      viaCache.close();
      cache.close();
      residentCache.close();
    } finally {
      io.shutdownNow();
      ActorTestKit.shutdown(system, Duration.ofSeconds(10));
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Seconds to fetch every chunk, {@code readAhead} chunks' pages at once, as a cold read through the cache does. */
  private static double read(Transport reader, Transport from, FileId file, int chunks, int readAhead, List<ByteBuffer> pages)
      throws Exception {
    int perChunk = CHUNK_BYTES / PAGE_BYTES;
    long t0 = System.nanoTime();
    for (int first = 0; first < chunks; first += readAhead) {
      List<CompletableFuture<Fetched>> fetches = new ArrayList<>();
      for (int c = first; c < Math.min(chunks, first + readAhead); c++) {
        for (int p = 0; p < perChunk; p++) {
          ByteBuffer page = pages.get((c - first) * perChunk + p).clear();
          fetches.add(reader.fetchInto(from.localEndpoint(), new ChunkId(file, c), (long) p * PAGE_BYTES, page).toCompletableFuture());
        }
      }
      for (CompletableFuture<Fetched> f : fetches) assertEquals(new Fetched(PAGE_BYTES, null), f.get(2, TimeUnit.MINUTES));
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double directRead(ChunkStore store, FileId file, int chunks, List<ByteBuffer> pages) throws Exception {
    int perChunk = CHUNK_BYTES / PAGE_BYTES;
    long t0 = System.nanoTime();
    for (int c = 0; c < chunks; c++) {
      List<CompletableFuture<Integer>> reads = new ArrayList<>();
      for (int p = 0; p < perChunk; p++) {
        reads.add(store.readInto(new ChunkId(file, c), (long) p * PAGE_BYTES, pages.get(p).clear()).toCompletableFuture());
      }
      for (CompletableFuture<Integer> r : reads) assertEquals(PAGE_BYTES, r.get(2, TimeUnit.MINUTES));
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A chunk service serving through its heap stream ({@code read}), as a chunk on disk was served before. */
  private record HeapStream(ChunkService service) implements ChunkService {
    @Override
    public Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length) {
      return service.read(chunk, offset, length);
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> write(PushRequest request) {
      return service.write(request);
    }
  }
}
