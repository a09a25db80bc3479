package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.TfsClient;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rename keeps a file's bytes where they are (no copy): after renames, a replaced target, a SIGKILL and a
 * restart, the stores' start-up scan (which asks the path the bytes were written under, with an orphan grace
 * short enough to remove anything it disowns) keeps the moved bytes and removes the replaced ones, and
 * every name reads back exactly. An explicit directory survives the restart.
 */
class RenameIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldKeepRenamedBytesThroughARestartAndTheStoresScan() throws Exception {
    var cassandra = SharedCassandra.get();
    Path dir = RepoPaths.scratch("rename");
    SharedCassandra.deleteTree(dir);
    List<String> props = List.of("-Dtensorfs.gateway.chunk-size=4MiB", "-Dtensorfs.store.reconcile.orphan-grace=1s");
    byte[] a = SingleNodeIT.random(9 * MIB + 5, 31);
    byte[] oldB = SingleNodeIT.random(3 * MIB, 32);
    byte[] c = SingleNodeIT.random(MIB + 7, 33);
    String aId;
    String oldBId;
    String cId;

    NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_rename", props)
        .start(Duration.ofMinutes(3));
    TfsClient client = connect(node);
    try {
      TfsHttp http = new TfsHttp(node);
      client.write("/ren/a.bin", "", a).toCompletableFuture().get(60, TimeUnit.SECONDS);
      client.write("/ren/b.bin", "", oldB).toCompletableFuture().get(60, TimeUnit.SECONDS);
      client.write("/ren/src/c.bin", "", c).toCompletableFuture().get(60, TimeUnit.SECONDS);
      aId = fileId(http, "/v1/stat/ren/a.bin");
      oldBId = fileId(http, "/v1/stat/ren/b.bin");
      cId = fileId(http, "/v1/stat/ren/src/c.bin");
      client.mkdir("/ren/kept").toCompletableFuture().get(60, TimeUnit.SECONDS);

      client.rename("/ren/a.bin", "/ren/b.bin").toCompletableFuture().get(60, TimeUnit.SECONDS); // replaces b
      client.rename("/ren/src/c.bin", "/ren/mid/c.bin").toCompletableFuture().get(60, TimeUnit.SECONDS);
      client.rename("/ren/mid/c.bin", "/ren/e.bin").toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertEquals(aId, fileId(http, "/v1/stat/ren/b.bin"), "the target names the source's bytes: no copy");
      assertEquals(cId, fileId(http, "/v1/stat/ren/e.bin"));
      assertArrayEquals(a, client.readBytes("/ren/b.bin", 0, 0).toCompletableFuture().get(60, TimeUnit.SECONDS));
      node.kill();
    } finally {
      client.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
      node.close();
    }

    NodeProcess restarted = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_rename",
        props).start(Duration.ofMinutes(3));
    client = connect(restarted);
    try {
      TfsHttp http = new TfsHttp(restarted);
      assertArrayEquals(a, http.get("/v1/files/ren/b.bin").body(), "the renamed file reads back exactly");
      assertArrayEquals(c, http.get("/v1/files/ren/e.bin").body(), "so does one renamed twice");
      assertEquals(404, http.get("/v1/files/ren/a.bin").statusCode());
      assertTrue(client.stat("/ren/kept").toCompletableFuture().get(60, TimeUnit.SECONDS).getIsDir(),
          "the empty explicit directory is still there");
      assertEquals(List.of("b.bin", "e.bin", "kept"), client.list("/ren").toCompletableFuture()
          .get(60, TimeUnit.SECONDS).stream().map(e -> e.getName()).toList(), "the emptied implicit ones were pruned");
      // The scan at start kept the moved bytes (asked under their first names) and the replaced version is gone.
      awaitOnDisk(restarted.dataDir(), Set.of(aId, cId), Duration.ofSeconds(60));
      assertTrue(!versionsOnDisk(restarted.dataDir()).contains(oldBId));
    } finally {
      client.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
      restarted.close();
    }
  }

  private static TfsClient connect(NodeProcess node) {
    String[] hostPort = node.grpcAddress().split(":");
    return TfsClient.connect(hostPort[0], Integer.parseInt(hostPort[1]), AdminToken.of(node));
  }

  private static String fileId(TfsHttp http, String stat) throws Exception {
    return TfsHttp.json(http.get(stat)).get("fileId").asText();
  }

  private static void awaitOnDisk(Path nodeDir, Set<String> expected, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    Set<String> seen = versionsOnDisk(nodeDir);
    while (!seen.equals(expected) && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(200); // polling another process's disk
      seen = versionsOnDisk(nodeDir);
    }
    assertEquals(expected, seen, "exactly the live versions' bytes are on disk");
  }

  private static Set<String> versionsOnDisk(Path nodeDir) throws IOException {
    try (Stream<Path> s = Files.list(nodeDir.resolve("store0/chunks"))) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
