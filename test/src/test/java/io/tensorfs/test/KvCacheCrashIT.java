package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Write-back {@code kvcache} files and SIGKILL: an acknowledged KV block reads back intact or is absent
 * (404, a miss), never corrupt; {@code persistent} files written beside them are never lost.
 */
class KvCacheCrashIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldReadFlushedBlocksIntactAfterAKill() throws Exception {
    Path dir = scratch("kv_flushed");
    List<byte[]> blocks = blocks(6, 100);
    try (NodeProcess node = node(dir, "0s").start(Duration.ofMinutes(3))) {
      TfsHttp http = new TfsHttp(node);
      putAll(http, blocks);
      awaitClean(http, Duration.ofSeconds(60));
      node.kill();
    }
    try (NodeProcess node = node(dir, "0s").start(Duration.ofMinutes(3))) {
      TfsHttp http = new TfsHttp(node);
      for (int i = 0; i < blocks.size(); i++) {
        var r = http.get("/v1/files/kv/b" + i);
        assertEquals(200, r.statusCode(), "a flushed block survives the kill");
        assertArrayEquals(blocks.get(i), r.body());
      }
    }
  }

  @Test
  void shouldAnswerAMissForUnflushedBlocksAfterAKill() throws Exception {
    Path dir = scratch("kv_lost");
    List<byte[]> blocks = blocks(4, 200);
    byte[] checkpoint = SingleNodeIT.random(9 * MIB + 3, 299);
    try (NodeProcess node = node(dir, "1h").start(Duration.ofMinutes(3))) {
      TfsHttp http = new TfsHttp(node);
      putAll(http, blocks);
      assertEquals(201, http.put("/v1/files/ckpt/step-1", checkpoint).statusCode());
      assertTrue(CacheIT.cache(http).get("dirtyBytes").asLong() > 0, "the blocks wait in memory for their flush");
      var r = http.get("/v1/files/kv/b0");
      assertEquals("hit", CacheIT.cacheHeader(r), "an acknowledged kvcache block is served from memory");
      assertArrayEquals(blocks.get(0), r.body());
      node.kill();
    }
    try (NodeProcess node = node(dir, "1h").start(Duration.ofMinutes(3))) {
      TfsHttp http = new TfsHttp(node);
      for (int i = 0; i < blocks.size(); i++) {
        var r = http.get("/v1/files/kv/b" + i);
        if (r.statusCode() == 200) {
          assertArrayEquals(blocks.get(i), r.body(), "never wrong bytes");
        } else {
          assertEquals(404, r.statusCode(), "a lost block is a miss: " + new String(r.body()));
          assertEquals(404, http.head("/v1/files/kv/b" + i).statusCode());
        }
      }
      assertEquals(404, http.get("/v1/files/kv/b0").statusCode(), "never flushed, so lost with the process");
      assertArrayEquals(checkpoint, http.get("/v1/files/ckpt/step-1").body(), "persistent data is never lost");
    }
  }

  private static Path scratch(String name) throws Exception {
    Path dir = RepoPaths.scratch(name);
    SharedCassandra.deleteTree(dir);
    return dir;
  }

  private static NodeProcess node(Path dir, String flushDelay) throws Exception {
    return new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(),
        "it_" + dir.getFileName(), List.of("-Dtensorfs.gateway.chunk-size=4MiB",
            "-Dtensorfs.cache.flush-delay=" + flushDelay));
  }

  private static List<byte[]> blocks(int n, long seed) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(SingleNodeIT.random(i % 2 == 0 ? 256 * 1024 : 5 * MIB + 7, seed + i));
    return out;
  }

  private static void putAll(TfsHttp http, List<byte[]> blocks) throws Exception {
    for (int i = 0; i < blocks.size(); i++) {
      var r = http.put("/v1/files/kv/b" + i + "?policy=kvcache", blocks.get(i));
      assertEquals(201, r.statusCode(), new String(r.body()));
    }
  }

  private static void awaitClean(TfsHttp http, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < until) {
      if (CacheIT.cache(http).get("dirtyBytes").asLong() == 0) return;
      TimeUnit.MILLISECONDS.sleep(100); // polling the node's flusher
    }
    throw new AssertionError("the flusher never caught up: " + CacheIT.cache(http));
  }
}
