package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Four node processes sharing files. A {@code cache(1,4)} file read by many concurrent readers through
 * every node: its chunks gain in-memory replicas while the reads go on (shown by {@code GET /v1/stat})
 * and fall back to one once the readers stop, while every read returns the file's bytes. A replaced and
 * then deleted file: its old bytes leave every node's disk.
 */
class ElasticReplicasIT {
  private static final int MIB = 1 << 20;
  private static final int READERS = 12;
  private static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.kind=tcp");
    props.add("-Dtensorfs.elastic.report-interval=500ms");
    props.add("-Dtensorfs.elastic.reads-per-replica=5");
    props.add("-Dtensorfs.elastic.cool-after=3s");
    props.add("-Dtensorfs.elastic.lease=2s");
    props.add("-Dtensorfs.operator.remote-collect-delay=1s");
    cluster = new LocalCluster("elastic", 4, props).start();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void shouldRaiseInMemoryReplicasUnderManyReadersAndFallBackWhenIdle() throws Exception {
    byte[] model = SingleNodeIT.random(6 * MIB + 5, 51); // two chunks of 4 MiB
    assertEquals(201, cluster.http(1).put("/v1/files/m/model.bin?policy=cache(1,4)", model).statusCode());
    JsonNode idle = cluster.awaitStat(1, "/m/model.bin", s -> true, Duration.ofSeconds(10));
    assertEquals("cache(1,4)", idle.get("policy").asText());
    for (JsonNode chunk : idle.get("chunks")) {
      assertEquals(1, chunk.get("memory").get("min").asInt());
      assertEquals(4, chunk.get("memory").get("max").asInt());
    }

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(READERS);
    List<Future<?>> readers = new ArrayList<>();
    try {
      for (int i = 0; i < READERS; i++) {
        TfsHttp via = cluster.http(1 + i % 4);
        readers.add(pool.submit(() -> {
          while (!stop.get()) {
            var r = via.get("/v1/files/m/model.bin");
            assertEquals(200, r.statusCode());
            assertTrue(Arrays.equals(model, r.body()), "a read returned other bytes");
            reads.incrementAndGet();
          }
          return null;
        }));
      }
      // Demand is far above 5 reads/s per replica on every chunk: the count rises toward max.
      JsonNode busy = cluster.awaitStat(1, "/m/model.bin", s -> inMemory(s) >= 3, Duration.ofSeconds(60));
      for (JsonNode chunk : busy.get("chunks")) {
        assertTrue(chunk.get("memory").get("wanted").asInt() >= 3, "wanted under load: " + chunk);
        assertTrue(chunk.get("memory").get("readsPerSecond").asDouble() > 0, "demand shown: " + chunk);
      }
    } finally {
      stop.set(true);
      for (Future<?> f : readers) f.get(); // a reader's failure fails the test
      pool.shutdown();
    }
    assertTrue(reads.get() > READERS, "the readers read: " + reads.get());

    // Idle: after the cool-down each chunk is back to min = 1 in-memory replica.
    JsonNode cooled = cluster.awaitStat(1, "/m/model.bin", s -> maxInMemory(s) == 1, Duration.ofSeconds(60));
    for (JsonNode chunk : cooled.get("chunks")) {
      assertEquals(1, chunk.get("memory").get("wanted").asInt(), "wanted back to min: " + chunk);
    }
    for (var clean : LocalCluster.cleanNodes(cooled)) assertEquals(3, clean.size(), "3 durable replicas throughout");
    assertTrue(Arrays.equals(model, cluster.http(4).get("/v1/files/m/model.bin").body()), "reads back after");
  }

  @Test
  void shouldRemoveAReplacedOrDeletedVersionsBytesFromEveryNode() throws Exception {
    byte[] first = SingleNodeIT.random(5 * MIB, 61);
    assertEquals(201, cluster.http(2).put("/v1/files/c/doc", first).statusCode());
    String firstId = cluster.awaitStat(2, "/c/doc", s -> true, Duration.ofSeconds(10)).get("fileId").asText();
    assertEquals(3, nodesHolding(firstId), "3 replicas on disk");

    byte[] second = SingleNodeIT.random(5 * MIB, 62);
    assertEquals(201, cluster.http(3).put("/v1/files/c/doc", second).statusCode());
    String secondId = cluster.awaitStat(3, "/c/doc", s -> true, Duration.ofSeconds(10)).get("fileId").asText();
    awaitHolding(firstId, 0);
    assertEquals(3, nodesHolding(secondId));
    assertTrue(Arrays.equals(second, cluster.http(1).get("/v1/files/c/doc").body()));

    assertEquals(204, cluster.http(4).delete("/v1/files/c/doc").statusCode());
    awaitHolding(secondId, 0);
    assertEquals(404, cluster.http(1).get("/v1/files/c/doc").statusCode());
  }

  /**
   * How many nodes have a directory of the file version on one of their stores ({@code <store>/chunks/<id>};
   * looked up by name, since the nodes delete under a walk).
   */
  private static int nodesHolding(String fileId) throws Exception {
    int n = 0;
    for (int i = 1; i <= 4; i++) {
      try (Stream<Path> stores = Files.list(cluster.node(i).dataDir())) {
        if (stores.anyMatch(store -> Files.isDirectory(store.resolve("chunks").resolve(fileId)))) n++;
      }
    }
    return n;
  }

  private static void awaitHolding(String fileId, int nodes) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (nodesHolding(fileId) != nodes) {
      if (System.nanoTime() > until) {
        throw new AssertionError(fileId + " is on " + nodesHolding(fileId) + " nodes, not " + nodes);
      }
      TimeUnit.MILLISECONDS.sleep(250); // polling other processes' disks
    }
  }

  /** The fewest in-memory replicas any chunk of the file has. */
  private static int inMemory(JsonNode stat) {
    int least = Integer.MAX_VALUE;
    for (JsonNode chunk : stat.get("chunks")) least = Math.min(least, chunk.get("memory").get("nodes").size());
    return least;
  }

  private static int maxInMemory(JsonNode stat) {
    int most = 0;
    for (JsonNode chunk : stat.get("chunks")) most = Math.max(most, chunk.get("memory").get("nodes").size());
    return most;
  }
}
