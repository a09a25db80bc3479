package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Flipped bytes in replica files on disk, on a three-node cluster with files of one chunk and three
 * replicas: a GET gets the right bytes from another replica and the bad one is marked CORRUPT in stat,
 * then re-created (CLEAN again, its bytes on disk right); a range read clear of a bad block is served
 * when every replica has it, and a full GET then answers 500 CHECKSUM_MISMATCH before any byte; the
 * scrubber finds a flipped byte nobody read.
 */
class CorruptionIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldServeMarkAndRepairCorruptReplicasWhenBytesFlipOnDisk() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER.stream()
        .filter(p -> !p.startsWith("-Dtensorfs.gateway.chunk-size=")).toList());
    props.addAll(List.of(
        "-Dtensorfs.transport.kind=tcp",
        "-Dtensorfs.gateway.chunk-size=16MiB", // a 10 MiB file is one chunk: a miss loads it whole
        "-Dtensorfs.sharding.repair.corrupt-delay=15s", // long enough to see CORRUPT in stat,
        "-Dtensorfs.store.scrub.initial-delay=25s",
        "-Dtensorfs.store.scrub.interval=2s",
        "-Dtensorfs.store.scrub.bytes-per-second=256MiB"));
    try (LocalCluster cluster = new LocalCluster("corruption", 3, props).start()) {
      awaitEveryNodeTakesReplicas(cluster);
      readFailsOverAndTheReplicaIsRepaired(cluster);
      rangeClearOfTheBadBlockIsServedAndAFullGetIsRefused(cluster);
      scrubberFindsAFlippedByteNobodyRead(cluster);
    }
  }

  private static void readFailsOverAndTheReplicaIsRepaired(LocalCluster cluster) throws Exception {
    byte[] bytes = SingleNodeIT.random(10 * MIB + 5, 41);
    assertEquals(201, cluster.http(1).put("/v1/files/c/read", bytes).statusCode());
    JsonNode stat = cluster.awaitStat(1, "/c/read", s -> true, Duration.ofSeconds(10));
    assertEquals(List.of(3), LocalCluster.cleanNodes(stat).stream().map(java.util.Set::size).toList(), stat.toString());
    Path onNode1 = replicaFile(cluster, 1, stat);
    flipByte(onNode1, 7L * MIB + 3);

    HttpResponse<byte[]> got = cluster.http(1).get("/v1/files/c/read");
    assertEquals(200, got.statusCode());
    assertArrayEquals(bytes, got.body(), "node-1 reads its own replica first; the bad block comes from another");

    cluster.awaitStat(2, "/c/read", s -> stateOf(s, "node-1").equals("CORRUPT"), Duration.ofSeconds(60));
    JsonNode repaired = cluster.awaitStat(2, "/c/read", CorruptionIT::allClean, Duration.ofSeconds(120));
    assertEquals(3, LocalCluster.cleanNodes(repaired).get(0).size(), repaired.toString());
    assertArrayEquals(bytes, Files.readAllBytes(onNode1), "node-1's replica file holds the right bytes again");
  }

  private static void rangeClearOfTheBadBlockIsServedAndAFullGetIsRefused(LocalCluster cluster) throws Exception {
    byte[] bytes = SingleNodeIT.random(10 * MIB, 42);
    assertEquals(201, cluster.http(1).put("/v1/files/c/range", bytes).statusCode());
    JsonNode stat = cluster.awaitStat(1, "/c/range", s -> true, Duration.ofSeconds(10));
    for (int node = 1; node <= 3; node++) flipByte(replicaFile(cluster, node, stat), 5L * MIB);

    HttpResponse<byte[]> range = cluster.http(2).get("/v1/files/c/range", "Range", "bytes=0-1000");
    assertEquals(206, range.statusCode(), new String(range.body()));
    assertArrayEquals(Arrays.copyOfRange(bytes, 0, 1001), range.body(), "the range needs none of the bad blocks");

    HttpResponse<byte[]> full = cluster.http(2).get("/v1/files/c/range");
    assertEquals(500, full.statusCode(), "every replica is bad at 5 MiB: an error, not a cut-off 200");
    JsonNode error = TfsHttp.json(full);
    assertEquals("CHECKSUM_MISMATCH", error.get("error").asText(), error.toString());

    JsonNode marked = cluster.awaitStat(3, "/c/range",
        s -> Stream.of("node-1", "node-2", "node-3").allMatch(n -> stateOf(s, n).equals("CORRUPT")),
        Duration.ofSeconds(60));
    assertTrue(LocalCluster.cleanNodes(marked).get(0).isEmpty(), "none is shown clean: " + marked);
    HttpResponse<byte[]> again = cluster.http(3).get("/v1/files/c/range", "Range", "bytes=1000-2999");
    assertEquals(206, again.statusCode());
    assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 3000), again.body(), "CORRUPT replicas serve their good blocks");
    assertEquals(204, cluster.http(1).delete("/v1/files/c/range").statusCode());
  }

  private static void scrubberFindsAFlippedByteNobodyRead(LocalCluster cluster) throws Exception {
    byte[] bytes = SingleNodeIT.random(2 * MIB + 11, 43);
    assertEquals(201, cluster.http(1).put("/v1/files/c/scrub", bytes).statusCode());
    JsonNode stat = cluster.awaitStat(1, "/c/scrub", s -> true, Duration.ofSeconds(10));
    Path onNode3 = replicaFile(cluster, 3, stat);
    flipByte(onNode3, MIB + 1);

    cluster.awaitStat(1, "/c/scrub", s -> stateOf(s, "node-3").equals("CORRUPT"), Duration.ofSeconds(120));
    cluster.awaitStat(1, "/c/scrub", CorruptionIT::allClean, Duration.ofSeconds(120));
    assertArrayEquals(bytes, Files.readAllBytes(onNode3), "node-3's replica re-created from a clean one");
    assertArrayEquals(bytes, cluster.http(3).get("/v1/files/c/scrub").body());
  }

  /** Until node-1 knows the other nodes' room (they advertise it every few seconds), it places one replica. */
  private static void awaitEveryNodeTakesReplicas(LocalCluster cluster) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    while (true) {
      assertEquals(201, cluster.http(1).put("/v1/files/c/probe", new byte[] {1}).statusCode());
      JsonNode stat = cluster.awaitStat(1, "/c/probe", s -> true, Duration.ofSeconds(10));
      if (LocalCluster.cleanNodes(stat).get(0).size() == 3) return;
      assertTrue(System.nanoTime() < until, "node-1 never placed 3 replicas: " + stat);
      java.util.concurrent.TimeUnit.MILLISECONDS.sleep(500); // the peers advertise on their own schedule
    }
  }

  /** The state of {@code node}'s replica of chunk 0 as stat lists it, or "" when it has none. */
  private static String stateOf(JsonNode stat, String node) {
    for (JsonNode r : stat.get("chunks").get(0).get("replicas")) {
      if (r.get("node").asText().equals(node)) return r.get("state").asText();
    }
    return "";
  }

  private static boolean allClean(JsonNode stat) {
    for (JsonNode chunk : stat.get("chunks")) {
      if (chunk.get("replicas").size() != 3) return false;
      for (JsonNode r : chunk.get("replicas")) {
        if (!r.get("state").asText().equals("CLEAN")) return false;
      }
    }
    return true;
  }

  /** The data file of chunk 0 of the version {@code stat} shows, under node {@code number}'s data directory. */
  private static Path replicaFile(LocalCluster cluster, int number, JsonNode stat) throws IOException {
    String fileId = stat.get("fileId").asText();
    try (Stream<Path> all = Files.walk(cluster.node(number).dataDir())) {
      List<Path> found = all.filter(p -> p.endsWith(Path.of("chunks", fileId, "0.data"))).toList();
      assertEquals(1, found.size(), "one replica of " + fileId + " on node-" + number + ": " + found);
      return found.get(0);
    }
  }

  private static void flipByte(Path path, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      ch.write(one, position);
    }
  }
}
