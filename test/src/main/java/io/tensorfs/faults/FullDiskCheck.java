package io.tensorfs.faults;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A node whose only store is a small loop-mounted ext4 file system, written until it is full: PUTs
 * (with a declared length and chunked) answer 507 NO_SPACE and nothing else, every acknowledged file
 * reads back byte-exact and no refused one is visible; after DELETEs a new PUT succeeds; after a
 * SIGKILL and a restart on the full disk, every file still reads back. Runs on the calling thread.
 */
public final class FullDiskCheck {
  /** The file system's size: about 51 MiB of it is free for files. */
  public static final long DISK_BYTES = 64L << 20;
  private static final int MIB = 1 << 20;
  private static final Duration SPACE_FREED_DEADLINE = Duration.ofSeconds(90);

  /** What the check found; {@code skipped} says why it could not run (no loop mounts), else null. */
  public record Result(String skipped, int acknowledged, int refused, double seconds, List<String> violations,
      History history) {
    public boolean passed() {
      return violations.isEmpty();
    }

    public String line() {
      if (skipped != null) return "full disk: SKIPPED, " + skipped;
      return String.format("full disk: %s; %d files acknowledged until the disk was full, %d PUTs answered 507,"
              + " space freed after DELETE, every file intact after a SIGKILL and restart; %.0f s",
          passed() ? "ok" : violations.size() + " VIOLATIONS", acknowledged, refused, seconds);
    }
  }

  private final Path dir;
  private final MetadataStore metadata;
  private final List<String> nodeProperties;

  public FullDiskCheck(Path dir, MetadataStore metadata, List<String> nodeProperties) {
    this.dir = dir;
    this.metadata = metadata;
    this.nodeProperties = List.copyOf(nodeProperties);
  }

  public Result run(long seed) throws Exception {
    long t0 = System.nanoTime();
    SharedCassandra.deleteTree(dir);
    LoopMount.Attempt attempt = LoopMount.mount(dir.resolve("disk.img"), dir.resolve("disk"), DISK_BYTES);
    History history = new History();
    if (attempt.mount() == null) return new Result(attempt.whyNot(), 0, 0, 0, List.of(), history);
    String keyspace = "faults_disk_" + Long.toUnsignedString(seed % 100_000);
    List<String> violations = new ArrayList<>();
    Map<String, Body> acked = new LinkedHashMap<>();
    int refused = 0;
    try (LoopMount disk = attempt.mount()) {
      int clusterPort = NodeProcess.freePort();
      List<String> props = new ArrayList<>(nodeProperties);
      props.add("-Dtensorfs.store.reserved-bytes=1MiB");
      NodeProcess node = node(disk, props, keyspace, clusterPort).start(Duration.ofMinutes(3));
      try {
        refused = fill(node.baseUri(), new Random(seed), acked, violations, history);
        checkAll(node.baseUri(), acked, violations, history, "full");
        freeAndWrite(node.baseUri(), acked, violations, history, seed);
        node.kill();
        history.event("KILL", 1, "SIGKILL of the node on the full disk");
        node = node(disk, props, keyspace, clusterPort).start(Duration.ofMinutes(3));
        history.event("RESTARTED", 1, "");
        checkAll(node.baseUri(), acked, violations, history, "after restart");
      } finally {
        node.close();
      }
    }
    metadata.dropKeyspaces(keyspace);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (!violations.isEmpty()) {
      System.out.println("full disk check FAILED (seed " + seed + "); node log under " + dir + "; violations:");
      violations.forEach(v -> System.out.println("  " + v));
      System.out.print(history.render());
    } else {
      SharedCassandra.deleteTree(dir);
    }
    return new Result(null, acked.size(), refused, seconds, List.copyOf(violations), history);
  }

  /** A client with the node's admin token, which it wrote when it first started. */
  private FaultHttp http() {
    return new FaultHttp(Duration.ofSeconds(60), AdminToken.read(NodeProcess.adminTokenFile(dir.resolve("node-1"))));
  }

  private NodeProcess node(LoopMount disk, List<String> props, String keyspace, int clusterPort) {
    return new NodeProcess("node-1", dir.resolve("node-1"), metadata.contactPoint(), keyspace, props, clusterPort,
        List.of("--store", disk.path().toString()), List.of());
  }

  /**
   * PUTs files of 3 to 7 MiB, alternately with a declared length and chunked, until both kinds have been
   * refused with 507; returns how many were.
   */
  private int fill(URI node, Random random, Map<String, Body> acked, List<String> violations, History history)
      throws InterruptedException {
    FaultHttp http = http();
    boolean declaredRefused = false;
    boolean chunkedRefused = false;
    int refused = 0;
    for (int i = 0; i < 40 && !(declaredRefused && chunkedRefused); i++) {
      boolean chunked = i % 2 == 1;
      String path = "/faults/disk/f" + i;
      Body body = new Body("d" + i, random.nextLong(), 3 * MIB + random.nextInt(4 * MIB));
      long start = history.now();
      try {
        FaultHttp.Answer a = chunked ? http.putChunked(node, path, body.bytes()) : http.put(node, path, body.bytes());
        history.add(new Op(start, history.now(), "disk", "PUT", path, body, 1, a.status(), -1,
            a.status() == 201 ? Outcome.ACKNOWLEDGED : Outcome.REJECTED, (chunked ? "chunked " : "declared ")
                + (a.status() == 201 ? "" : a.text())));
        if (a.status() == 201) {
          acked.put(path, body);
        } else if (a.status() == 507 && a.json().path("error").asText().equals("NO_SPACE")) {
          refused++;
          if (chunked) chunkedRefused = true;
          else declaredRefused = true;
          if (http.get(node, path).status() != 404) violations.add(path + ": a PUT refused with 507 is visible");
        } else {
          violations.add(path + ": a PUT on a full disk answered " + a.status() + ", not 507 NO_SPACE: " + a.text());
        }
      } catch (IOException e) {
        violations.add(path + ": a PUT on a filling disk got no answer: " + WriterClient.describe(e));
        history.add(new Op(start, history.now(), "disk", "PUT", path, body, 1, -1, -1, Outcome.UNKNOWN,
            (chunked ? "chunked " : "declared ") + WriterClient.describe(e)));
        Op read = WriterClient.read(http, node, 1, "check", path, List.of(body), history);
        history.add(read);
        if (read.status() == 200) violations.add(path + ": a PUT that got no answer on a full disk is visible: " + read);
      }
    }
    if (!declaredRefused || !chunkedRefused) {
      violations.add("the disk never refused a " + (declaredRefused ? "chunked" : "declared-length") + " PUT with 507");
    }
    return refused;
  }

  private void checkAll(URI node, Map<String, Body> acked, List<String> violations, History history, String when)
      throws InterruptedException {
    FaultHttp http = http();
    for (Map.Entry<String, Body> e : acked.entrySet()) {
      Op read = WriterClient.read(http, node, 1, "check", e.getKey(), List.of(e.getValue()), history);
      history.add(read);
      if (read.status() != 200 || read.body() == null) {
        violations.add(e.getKey() + ": acknowledged, but " + when + " it reads as " + read);
      }
    }
  }

  /** Deletes the two largest files, then PUTs a new one, asking again while the bytes are being collected. */
  private void freeAndWrite(URI node, Map<String, Body> acked, List<String> violations, History history, long seed)
      throws Exception {
    FaultHttp http = http();
    List<String> largest = acked.entrySet().stream()
        .sorted((a, b) -> Integer.compare(b.getValue().sizeBytes(), a.getValue().sizeBytes()))
        .limit(2).map(Map.Entry::getKey).toList();
    for (String path : largest) {
      FaultHttp.Answer a = http.delete(node, path);
      history.add(new Op(history.now(), history.now(), "disk", "DELETE", path, null, 1, a.status(), -1,
          a.status() == 204 ? Outcome.ACKNOWLEDGED : Outcome.REJECTED, ""));
      if (a.status() != 204) violations.add(path + ": DELETE answered " + a.status() + ": " + a.text());
      acked.remove(path);
    }
    Body fresh = new Body("after-delete", seed, 5 * MIB);
    String path = "/faults/disk/after-delete";
    long until = System.nanoTime() + SPACE_FREED_DEADLINE.toNanos();
    int status = 0;
    while (System.nanoTime() < until) {
      FaultHttp.Answer a = http.put(node, path, fresh.bytes());
      status = a.status();
      history.add(new Op(history.now(), history.now(), "disk", "PUT", path, fresh, 1, status, -1,
          status == 201 ? Outcome.ACKNOWLEDGED : Outcome.REJECTED, status == 201 ? "" : a.text()));
      if (status == 201) {
        acked.put(path, fresh);
        return;
      }
      if (status != 507) break;
      TimeUnit.MILLISECONDS.sleep(1_000); // the deleted versions' bytes are collected in the background
    }
    violations.add("no space freed after DELETE of " + largest + ": a 5 MiB PUT still answers " + status
        + " after " + SPACE_FREED_DEADLINE.toSeconds() + " s");
  }
}
