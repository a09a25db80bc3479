package io.tensorfs.test;

import static io.tensorfs.test.CheckpointIT.API;
import static io.tensorfs.test.CheckpointIT.MIB;
import static io.tensorfs.test.CheckpointIT.begin;
import static io.tensorfs.test.CheckpointIT.ok;
import static io.tensorfs.test.CheckpointIT.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code kill -9} of the node in the middle of a checkpoint's save, then a restart on the same data. */
class CheckpointCrashIT {
  private static final long STALL_AT = 10L * MIB;
  private static final int ITEM = 16 * MIB;

  @Test
  void shouldKeepPreviousIntactAndResumeNewOneWhenNodeIsKilledDuringSave() throws Exception {
    var cassandra = SharedCassandra.get();
    Path dir = RepoPaths.scratch("ckpt-crash");
    SharedCassandra.deleteTree(dir);
    byte[] previous = SingleNodeIT.random(9 * MIB + 11, 31);
    byte[] rank0 = SingleNodeIT.random(5 * MIB, 32);
    byte[] rank1 = new byte[ITEM]; // the bytes StallingStream sends: byte i is (byte) i
    for (int i = 0; i < ITEM; i++) rank1[i] = (byte) i;
    long acknowledged;

    NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_ckpt_crash",
        CheckpointIT.nodeProps()).start(Duration.ofMinutes(3));
    try {
      TfsHttp http = new TfsHttp(node);
      begin(http, "/t/crash/s1", 1, "");
      ok(http.put(API + "/t/crash/s1/0/w", previous), 200);
      ok(post(http, API + "/t/crash/s1/0?op=done"), 200);
      ok(post(http, API + "/t/crash/s1?op=commit"), 200);

      begin(http, "/t/crash/s2", 2, "");
      ok(http.put(API + "/t/crash/s2/0/w", rank0), 200);
      ok(post(http, API + "/t/crash/s2/0?op=done"), 200);
      CountDownLatch hold = new CountDownLatch(1);
      var stalled = http.client().sendAsync(HttpRequest.newBuilder(URI.create(node.baseUri() + API + "/t/crash/s2/1/w"))
              .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                  () -> new StallingStream(STALL_AT, hold)), ITEM))
              .build(),
          HttpResponse.BodyHandlers.ofByteArray());
      awaitAcknowledged(http, 8L * MIB);
      node.kill();
      hold.countDown();
      assertTrue(stalled.handle((r, e) -> e != null || r.statusCode() >= 400).get(60, TimeUnit.SECONDS),
          "the cut-off save is never acknowledged whole");
    } finally {
      node.close();
    }

    NodeProcess restarted = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_ckpt_crash",
        CheckpointIT.nodeProps()).start(Duration.ofMinutes(3));
    try {
      TfsHttp http = new TfsHttp(restarted);
      assertArrayEquals(previous, http.get(API + "/t/crash/s1/0/w").body(), "the previous checkpoint is intact");
      assertEquals("/t/crash/s1", TfsHttp.json(http.get(API + "/t/crash?latest")).get("name").asText(),
          "the cut-off checkpoint is not visible");
      JsonNode manifest = TfsHttp.json(http.get(API + "/t/crash/s2?manifest"));
      assertEquals("open", manifest.get("state").asText());
      acknowledged = item(manifest, 1).get("acknowledged").asLong();
      assertTrue(acknowledged >= 8L * MIB && acknowledged <= STALL_AT && acknowledged % (4 * MIB) == 0,
          "acknowledged " + acknowledged + " survives the crash, at a part boundary");

      var resumed = http.put(API + "/t/crash/s2/1/w?offset=" + acknowledged,
          Arrays.copyOfRange(rank1, (int) acknowledged, ITEM));
      ok(resumed, 200);
      assertEquals(ITEM, TfsHttp.json(resumed).get("acknowledged").asLong());
      ok(post(http, API + "/t/crash/s2/1?op=done"), 200);
      ok(post(http, API + "/t/crash/s2?op=commit"), 200);
      assertArrayEquals(rank0, http.get(API + "/t/crash/s2/0/w").body());
      assertArrayEquals(rank1, http.get(API + "/t/crash/s2/1/w").body());
      assertArrayEquals(previous, http.get(API + "/t/crash/s1/0/w").body());
    } finally {
      restarted.close();
    }
  }

  private static JsonNode item(JsonNode manifest, int rank) {
    for (JsonNode i : manifest.get("manifest")) if (i.get("rank").asInt() == rank) return i;
    throw new AssertionError("no item of rank " + rank + " in " + manifest);
  }

  private static void awaitAcknowledged(TfsHttp http, long atLeast) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      JsonNode manifest = TfsHttp.json(http.get(API + "/t/crash/s2?manifest"));
      for (JsonNode i : manifest.get("manifest")) {
        if (i.get("rank").asInt() == 1 && i.get("acknowledged").asLong() >= atLeast) return;
      }
      TimeUnit.MILLISECONDS.sleep(50); // polling another process's state
    }
    throw new AssertionError("rank 1 never reached " + atLeast + " acknowledged bytes");
  }
}
