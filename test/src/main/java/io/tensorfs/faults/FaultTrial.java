package io.tensorfs.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One trial: a cluster of fresh node processes, several {@link WriterClient}s writing, one fault
 * injected at a random moment (a node or Cassandra killed with SIGKILL, then started again), the
 * writers stopped a little after the faulty part is back; then every path is read from every node and
 * the {@link History} judged by the {@link HistoryChecker}, and every file must return to 3 CLEAN
 * replicas on distinct nodes. Every random choice comes from the seed, so a failed trial can be run
 * again with it. Runs on the calling thread (the writers on threads of their own).
 */
public final class FaultTrial {
  private static final int REPLICAS = 3;
  /** Writes acknowledged before the fault's random moment starts to count. */
  private static final int MIN_ACKNOWLEDGED_BEFORE = 3;
  /** How long the cluster may take, once the faulty part is back, to acknowledge writes again. */
  private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(120);

  private final TrialSettings settings;
  private final MetadataStore metadata;
  /** Set once the writers are to stop; they read it between requests. */
  private final AtomicBoolean stop = new AtomicBoolean();

  public FaultTrial(TrialSettings settings, MetadataStore metadata) {
    this.settings = settings;
    this.metadata = metadata;
  }

  public TrialResult run(int trial, long seed, Fault fault) throws Exception {
    long t0 = System.nanoTime();
    Random random = new Random(seed);
    Path dir = settings.dir().resolve("trial-" + trial);
    SharedCassandra.deleteTree(dir);
    String keyspace = "faults_t" + trial + "_" + Long.toUnsignedString(seed % 100_000);
    History history = new History();
    List<String> violations = new ArrayList<>();
    String victim;
    Map<String, WriterClient> owners = new HashMap<>();
    Path log = settings.dir().resolve("trial-" + trial + ".history");
    try (FaultCluster cluster = FaultCluster.of(settings.nodes(), dir, metadata.contactPoint(), keyspace,
        settings.nodeProperties())) {
      cluster.start(Duration.ofMinutes(4));
      history.event("STARTED", 0, settings.nodes() + " nodes, seed " + seed + ", " + fault);
      stop.set(false);
      List<Thread> threads = new ArrayList<>();
      for (int c = 1; c <= settings.clients(); c++) {
        String name = "c" + c;
        WriterClient client = new WriterClient(name, "/faults/t" + trial + "/" + name, settings.pathsPerClient(),
            seed * 31 + c, cluster, history, settings.requestTimeout(), stop::get);
        Thread t = new Thread(client, "writer-" + name);
        threads.add(t);
        owners.put(name, client);
        t.start();
      }
      long killAtMillis = random.nextInt(6_000);
      long downMillis = random.nextInt(5_000);
      // A few writes acknowledged first, so that the fault has something to lose; then the random moment.
      awaitAcknowledged(history, 0, MIN_ACKNOWLEDGED_BEFORE);
      TimeUnit.MILLISECONDS.sleep(killAtMillis);
      victim = inject(fault, random, cluster, history, downMillis);
      long healedAt = history.now();
      if (!awaitAcknowledged(history, healedAt, settings.clients())) {
        violations.add("fewer than " + settings.clients() + " writes acknowledged within "
            + RECOVERY_DEADLINE.toSeconds() + " s after " + victim + " came back");
      }
      TimeUnit.MILLISECONDS.sleep(settings.writeAfterHeal().toMillis()); // writes after the part is back
      stop.set(true);
      for (Thread t : threads) t.join(settings.requestTimeout().toMillis() + 60_000);
      for (Thread t : threads) {
        if (t.isAlive()) violations.add(t.getName() + " never finished its last request");
      }
      history.event("WRITERS_STOPPED", 0, "");
      finalReads(cluster, history, owners);
      for (String path : history.paths()) {
        violations.addAll(HistoryChecker.check(path, history.of(path)).violations());
      }
      for (Op op : history.ops()) {
        if (op.kind().equals("PUT") && op.note() != null && op.note().startsWith("crc32c")) {
          violations.add(op.path() + ": the 201 reported another CRC32C than the body's: " + op);
        }
      }
      violations.addAll(awaitReplicas(cluster, history));
    } finally {
      history.writeTo(log);
    }
    TrialResult result = tally(trial, seed, fault, victim, history, violations, (System.nanoTime() - t0) / 1e9, log);
    metadata.dropKeyspaces(keyspace);
    if (result.passed()) {
      SharedCassandra.deleteTree(dir); // a failed trial keeps its node logs
    } else {
      System.out.println("trial " + trial + " FAILED; replay with seed " + seed + " (" + fault + "); node logs under "
          + dir + "; violations:");
      violations.forEach(v -> System.out.println("  " + v));
      System.out.println("history of trial " + trial + ":");
      System.out.print(history.render());
    }
    return result;
  }

  /**
   * Waits until {@code count} writes that started at or after {@code sinceMillis} were acknowledged;
   * false if that did not happen within {@link #RECOVERY_DEADLINE}.
   */
  private static boolean awaitAcknowledged(History history, long sinceMillis, int count) throws InterruptedException {
    long until = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
    while (System.nanoTime() < until) {
      long acked = history.ops().stream()
          .filter(o -> o.outcome() == Outcome.ACKNOWLEDGED && o.startMillis() >= sinceMillis).count();
      if (acked >= count) {
        history.event("ACKNOWLEDGED", 0, acked + " writes acknowledged since " + sinceMillis + " ms");
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling the writers' progress
    }
    history.event("NOT_ACKNOWLEDGED", 0, "fewer than " + count + " writes acknowledged since " + sinceMillis + " ms");
    return false;
  }

  /** Kills the faulty part, waits {@code downMillis}, starts it again; returns what was killed. */
  private String inject(Fault fault, Random random, FaultCluster cluster, History history, long downMillis)
      throws Exception {
    switch (fault) {
      case NODE_KILL -> {
        int victim = 1 + random.nextInt(cluster.size());
        cluster.kill(victim);
        history.event("KILL", victim, "SIGKILL node-" + victim + ", down for " + downMillis + " ms");
        TimeUnit.MILLISECONDS.sleep(downMillis); // the chosen down time
        history.event("RESTARTING", victim, "");
        cluster.restart(victim, Duration.ofMinutes(4));
        history.event("RESTARTED", victim, "healthy");
        return "node-" + victim;
      }
      case CASSANDRA_KILL -> {
        metadata.kill();
        history.event("KILL", 0, "SIGKILL Cassandra, down for " + downMillis + " ms");
        TimeUnit.MILLISECONDS.sleep(downMillis); // the chosen down time
        history.event("RESTARTING", 0, "Cassandra");
        metadata.restart();
        history.event("RESTARTED", 0, "Cassandra answers CQL");
        return "cassandra";
      }
      default -> throw new IllegalArgumentException(fault.toString());
    }
  }

  /** Reads every path from every node, asking again while the answer is 503 or none, until the deadline. */
  private void finalReads(FaultCluster cluster, History history, Map<String, WriterClient> owners)
      throws InterruptedException {
    long until = System.nanoTime() + settings.healDeadline().toNanos();
    FaultHttp http = new FaultHttp(settings.requestTimeout(), cluster.adminToken());
    for (String path : history.paths()) {
      WriterClient owner = owners.get(path.split("/")[3]);
      for (int node = 1; node <= cluster.size(); node++) {
        while (true) {
          Op read = WriterClient.read(http, cluster.baseUri(node), node, "final", path, owner.attempts(path), history);
          if (read.status() == 200 || read.status() == 404 || System.nanoTime() > until) {
            history.add(read);
            break;
          }
          TimeUnit.MILLISECONDS.sleep(500); // the cluster heals: ask again
        }
      }
    }
  }

  /**
   * Waits until every file that stands has {@link #REPLICAS} CLEAN replicas of every chunk, on distinct
   * nodes; a violation per file that does not by the deadline.
   */
  private List<String> awaitReplicas(FaultCluster cluster, History history) throws InterruptedException {
    long until = System.nanoTime() + settings.healDeadline().toNanos();
    FaultHttp http = new FaultHttp(settings.requestTimeout(), cluster.adminToken());
    Set<String> pending = new HashSet<>(history.paths());
    int via = 0;
    Map<String, String> last = new HashMap<>();
    while (!pending.isEmpty() && System.nanoTime() < until) {
      for (String path : List.copyOf(pending)) {
        try {
          FaultHttp.Answer a = http.stat(cluster.baseUri(1 + via++ % cluster.size()), path);
          if (a.status() == 404) {
            pending.remove(path);
          } else if (a.status() == 200) {
            String replicas = cleanReplicas(a.json());
            last.put(path, replicas);
            if (replicas.isEmpty()) pending.remove(path);
          }
        } catch (ConnectException | java.net.http.HttpTimeoutException notNow) {
          // a node starting or busy
        } catch (IOException notNow) {
          // likewise
        }
      }
      if (!pending.isEmpty()) TimeUnit.MILLISECONDS.sleep(1_000); // repair runs every few seconds
    }
    history.event("REPLICAS", 0, pending.isEmpty() ? "every chunk has " + REPLICAS + " CLEAN replicas"
        : pending.size() + " files short of " + REPLICAS + " CLEAN replicas");
    List<String> out = new ArrayList<>();
    for (String path : pending) {
      out.add(path + ": not back to " + REPLICAS + " CLEAN replicas on distinct nodes within "
          + settings.healDeadline().toSeconds() + " s; " + last.getOrDefault(path, "no stat answered"));
    }
    return out;
  }

  /** Empty when every chunk has exactly 3 CLEAN replicas on distinct nodes; else which chunks do not. */
  static String cleanReplicas(JsonNode stat) {
    StringBuilder s = new StringBuilder();
    int i = 0;
    for (JsonNode chunk : stat.path("chunks")) {
      Set<String> nodes = new HashSet<>();
      List<String> all = new ArrayList<>();
      for (JsonNode r : chunk.path("replicas")) {
        all.add(r.path("node").asText() + ":" + r.path("state").asText());
        if (r.path("state").asText().equals("CLEAN")) nodes.add(r.path("node").asText());
      }
      if (nodes.size() != REPLICAS) s.append("chunk ").append(i).append(' ').append(all).append("; ");
      i++;
    }
    return s.toString();
  }

  private static TrialResult tally(int trial, long seed, Fault fault, String victim, History history,
      List<String> violations, double seconds, Path log) {
    int acked = 0;
    int rejected = 0;
    int unknown = 0;
    int finals = 0;
    Set<String> seen = new HashSet<>();
    for (Op op : history.ops()) {
      if (op.kind().equals("READ") && op.status() == 200 && op.body() != null) seen.add(op.body().id());
      if (op.kind().equals("READ") && "final".equals(op.client())) finals++;
      if (op.outcome() == Outcome.ACKNOWLEDGED) acked++;
      if (op.outcome() == Outcome.REJECTED) rejected++;
      if (op.outcome() == Outcome.UNKNOWN) unknown++;
    }
    int puts = 0;
    int readBack = 0;
    for (Op op : history.ops()) {
      if (!op.kind().equals("PUT") || op.outcome() != Outcome.ACKNOWLEDGED) continue;
      puts++;
      if (seen.contains(op.body().id())) readBack++;
    }
    return new TrialResult(trial, seed, fault, victim, acked, puts, readBack, finals, rejected, unknown, seconds,
        List.copyOf(violations), log);
  }
}
