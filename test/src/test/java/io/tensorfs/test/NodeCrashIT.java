package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import org.junit.jupiter.api.Test;

/** SIGKILL of a node in the middle of an upload, then a restart on the same data. */
class NodeCrashIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldShowNoPartialFileAndKeepEarlierFilesWhenKilledDuringUpload() throws Exception {
    var cassandra = SharedCassandra.get();
    Path dir = RepoPaths.scratch("crash");
    SharedCassandra.deleteTree(dir);
    List<String> props = List.of("-Dtensorfs.gateway.chunk-size=4MiB");
    byte[] good = SingleNodeIT.random(9 * MIB + 5, 21);
    byte[] earlier = SingleNodeIT.random(3 * MIB, 22);

    NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_crash", props)
        .start(Duration.ofMinutes(3));
    try {
      TfsHttp http = new TfsHttp(node);
      assertEquals(201, http.put("/v1/files/k/good", good).statusCode());
      assertEquals(201, http.put("/v1/files/k/partial", earlier).statusCode(), "an earlier version of the path");

      CountDownLatch hold = new CountDownLatch(1);
      InputStream body = new StallingStream(20 * MIB, hold);
      var upload = http.client().sendAsync(
          HttpRequest.newBuilder(URI.create(node.baseUri() + "/v1/files/k/partial"))
              .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), 64L * MIB))
              .build(),
          HttpResponse.BodyHandlers.ofByteArray());
      awaitPartFiles(node.dataDir(), Duration.ofSeconds(60));
      node.kill();
      hold.countDown();
      assertTrue(upload.handle((r, e) -> e != null || r.statusCode() >= 400).get(60, TimeUnit.SECONDS),
          "the interrupted upload is never acknowledged");
    } finally {
      node.close();
    }

    // The killed upload's bytes are disowned by the metadata, and removed only once older than the orphan grace
    // (an hour by default, against a seal the metadata lost): a second here, which the restart outlasts.
    List<String> shortGrace = Stream.concat(props.stream(), Stream.of("-Dtensorfs.store.reconcile.orphan-grace=1s"))
        .toList();
    NodeProcess restarted = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_crash",
        shortGrace).start(Duration.ofMinutes(3));
    try {
      TfsHttp http = new TfsHttp(restarted);
      assertArrayEquals(good, http.get("/v1/files/k/good").body());
      assertArrayEquals(earlier, http.get("/v1/files/k/partial").body(), "the version before the crash is intact");
      var listing = TfsHttp.json(http.get("/v1/list/k"));
      assertEquals(2, listing.get("entries").size());
      assertEquals(Set.of(fileId(http, "/v1/stat/k/good"), fileId(http, "/v1/stat/k/partial")),
          versionsOnDisk(restarted.dataDir()), "the killed upload's bytes were removed at start");
    } finally {
      restarted.close();
    }
  }

  private static String fileId(TfsHttp http, String stat) throws Exception {
    return TfsHttp.json(http.get(stat)).get("fileId").asText();
  }

  private static Set<String> versionsOnDisk(Path nodeDir) throws IOException {
    try (Stream<Path> s = Files.list(nodeDir.resolve("store0/chunks"))) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private static void awaitPartFiles(Path nodeDir, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    Path chunks = nodeDir.resolve("store0/chunks");
    while (System.nanoTime() < until) {
      if (Files.exists(chunks)) {
        try (Stream<Path> s = Files.walk(chunks)) {
          if (s.anyMatch(p -> p.getFileName().toString().endsWith(".part"))) return;
        }
      }
      TimeUnit.MILLISECONDS.sleep(50); // polling another process's disk
    }
    throw new AssertionError("the upload never reached the store");
  }
}
