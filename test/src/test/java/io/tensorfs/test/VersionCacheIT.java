package io.tensorfs.test;

import static io.tensorfs.test.Scrape.named;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Three node processes whose reads are answered from each node's version cache: once a replace or a delete
 * is acknowledged, no node serves the old bytes to a read that starts after it, whichever node wrote and
 * whichever read (the file's entity is on one of the three, so each round has writers and readers both on
 * it and elsewhere); and a node killed while it holds a version costs a replace at most its lease.
 */
class VersionCacheIT {
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration TICK = Duration.ofMillis(500);
  private static final int NODES = 3;
  private static final int ROUNDS = 3;

  @Test
  void shouldServeOnlyTheNewBytesOnEveryNodeOnceAReplaceOrDeleteIsAcknowledged() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    // TCP: node-3 is killed, and with Aeron it would take the host's shared media driver with it.
    props.add("-Dtensorfs.transport.kind=tcp");
    props.add("-Dtensorfs.sharding.read-lease=" + LEASE.toMillis() + "ms");
    props.add("-Dtensorfs.metrics.tick-interval=" + TICK.toMillis() + "ms");
    try (LocalCluster cluster = new LocalCluster("vcache", NODES, props).start()) {
      int seed = 100;
      for (int writer = 1; writer <= NODES; writer++) {
        String path = "/v1/files/vc/f" + writer;
        byte[] bytes = SingleNodeIT.random(1000 + writer, seed++);
        long version = etag(put(cluster, writer, path, bytes));
        for (int round = 0; round < ROUNDS; round++) {
          // Every node reads it twice: the first read fills its version cache, the second is answered from it.
          for (int reader = 1; reader <= NODES; reader++) {
            for (int i = 0; i < 2; i++) expectBytes(cluster, reader, path, bytes, version, "before the replace");
          }
          bytes = SingleNodeIT.random(2000 + round, seed++);
          version = etag(put(cluster, writer, path, bytes));
          for (int reader = 1; reader <= NODES; reader++) {
            expectBytes(cluster, reader, path, bytes, version,
                "right after the replace through node-" + writer + " was acknowledged (round " + round + ")");
            var head = cluster.http(reader).head(path);
            assertEquals(200, head.statusCode());
            assertEquals("\"" + version + "\"", head.headers().firstValue("ETag").orElse(""));
          }
        }
        for (int reader = 1; reader <= NODES; reader++) expectBytes(cluster, reader, path, bytes, version, "again");
        assertEquals(204, cluster.http(writer).delete(path).statusCode());
        for (int reader = 1; reader <= NODES; reader++) {
          assertEquals(404, cluster.http(reader).get(path).statusCode(),
              "node-" + reader + " right after the delete through node-" + writer);
          assertEquals(404, cluster.http(reader).head(path).statusCode());
        }
      }
      everyNodeUsedItsCache(cluster);
      replaceWhileAHolderIsDead(cluster);
    }
  }

  /** Every node answered reads from its version cache and was told of replaced versions. */
  private static void everyNodeUsedItsCache(LocalCluster cluster) throws Exception {
    for (int n = 1; n <= NODES; n++) {
      URI endpoint = Scrape.endpointOf(cluster.node(n).dataDir(), Duration.ofSeconds(30));
      Scrape s = Scrape.await(endpoint, scrape -> scrape.sum(named("tensorfs_versions_hits_total")) > 0
          && scrape.sum(named("tensorfs_versions_invalidations_total")) > 0, Duration.ofSeconds(30));
      assertTrue(s.sum(named("tensorfs_versions_hits_total")) >= NODES * ROUNDS,
          "node-" + n + " answered reads from its cache: " + s.sum(named("tensorfs_versions_hits_total")));
    }
  }

  /**
   * Node-3 holds the version when it is killed: the replace through node-1 waits for its lease (not
   * for ever), and the survivors serve the new bytes.
   */
  private static void replaceWhileAHolderIsDead(LocalCluster cluster) throws Exception {
    String path = "/v1/files/vc/killed";
    byte[] old = SingleNodeIT.random(3000, 7);
    long oldVersion = etag(put(cluster, 1, path, old));
    for (int reader = 1; reader <= NODES; reader++) expectBytes(cluster, reader, path, old, oldVersion, "before the kill");
    cluster.node(3).kill();
    awaitMembers(cluster, 1, NODES - 1);

    byte[] fresh = SingleNodeIT.random(4000, 8);
    long start = System.nanoTime();
    var put = cluster.http(1).put(path, fresh);
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(201, put.statusCode(), "the replace is acknowledged though a holder is dead: " + new String(put.body()));
    System.out.printf("replace with a dead holder acknowledged after %d ms (lease %d ms)%n", tookMillis, LEASE.toMillis());
    long version = etag(put);
    for (int reader = 1; reader < NODES; reader++) expectBytes(cluster, reader, path, fresh, version, "after the kill");
  }

  private static HttpResponse<byte[]> put(LocalCluster cluster, int via, String path, byte[] bytes) throws Exception {
    var r = cluster.http(via).put(path, bytes);
    assertEquals(201, r.statusCode(), "PUT " + path + " through node-" + via + ": " + new String(r.body()));
    return r;
  }

  private static long etag(HttpResponse<byte[]> r) {
    return Long.parseLong(r.headers().firstValue("ETag").orElseThrow().replace("\"", ""));
  }

  private static void expectBytes(LocalCluster cluster, int via, String path, byte[] bytes, long version, String when)
      throws Exception {
    var r = cluster.http(via).get(path);
    assertEquals(200, r.statusCode(), "GET " + path + " through node-" + via + " " + when);
    assertEquals(version, etag(r), "the version node-" + via + " serves " + when);
    assertArrayEquals(bytes, r.body(), "the bytes node-" + via + " serves " + when);
  }

  private static void awaitMembers(LocalCluster cluster, int via, int count) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < until) {
      last = TfsHttp.json(cluster.http(via).get("/v1/health"));
      if (last.get("members").size() == count) return;
      TimeUnit.MILLISECONDS.sleep(500); // polling the cluster's membership
    }
    throw new AssertionError("the cluster never had " + count + " members; last: " + last);
  }
}
