package io.tensorfs.faults;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One client of a trial: on its own thread, writes {@code persistent} files of varied sizes (some of
 * several chunks) and now and then deletes one, each through a node picked at random among those
 * alive, until told to stop. Each path belongs to this client alone, so its writes are in order. After
 * every acknowledged PUT it reads the file back from another node. A path whose write got no answer is
 * left alone from then on (its outcome may still land) and a fresh path takes its place.
 *
 * <p>Everything it learns goes to the trial's {@link History}; all choices come from its seed.
 */
public final class WriterClient implements Runnable {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  /** How long a read-back after an acknowledged write keeps trying while the cluster heals. */
  private static final Duration READ_BACK_PATIENCE = Duration.ofSeconds(30);

  private final String name;
  private final String root;
  private final FaultCluster cluster;
  private final History history;
  private final BooleanSupplier stop;
  private final Random random;
  private final SplittableRandom bodySeeds;
  private final FaultHttp http;
  private final List<String> active = new ArrayList<>();
  private final Map<String, List<Body>> attempts = new HashMap<>();
  private final Map<String, Boolean> exists = new HashMap<>();
  private int nextPath;
  private int nextBody;

  /**
   * @param root   the directory this client's paths go under, e.g. {@code /faults/t3/c1}
   * @param paths  how many paths it writes at a time
   */
  public WriterClient(String name, String root, int paths, long seed, FaultCluster cluster, History history,
      Duration requestTimeout, BooleanSupplier stop) {
    this.name = name;
    this.root = root;
    this.cluster = cluster;
    this.history = history;
    this.stop = stop;
    this.random = new Random(seed);
    this.bodySeeds = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.http = new FaultHttp(requestTimeout, cluster.adminToken());
    for (int i = 0; i < paths; i++) active.add(freshPath());
  }

  /** Every body this client attempted on {@code path}, for matching what a read returns. */
  public synchronized List<Body> attempts(String path) {
    return List.copyOf(attempts.getOrDefault(path, List.of()));
  }

  @Override
  public void run() {
    try {
      while (!stop.getAsBoolean()) step();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void step() throws InterruptedException {
    int slot = random.nextInt(active.size());
    String path = active.get(slot);
    boolean delete = exists.getOrDefault(path, false) && random.nextInt(10) == 0;
    int node = pickNode(0);
    if (node == 0) {
      TimeUnit.MILLISECONDS.sleep(200); // every node is down: wait for one to come back
      return;
    }
    Op op = delete ? delete(path, node) : put(path, node, nextBody(path));
    history.add(op);
    if (op.outcome() == Outcome.UNKNOWN) {
      active.set(slot, freshPath()); // its write may still land: leave the path to the final check
      return;
    }
    if (op.outcome() == Outcome.ACKNOWLEDGED) {
      exists.put(path, op.kind().equals("PUT"));
      if (op.kind().equals("PUT")) readBack(path, op.node());
    }
  }

  private Op put(String path, int node, Body body) throws InterruptedException {
    long t0 = history.now();
    URI uri = cluster.baseUri(node);
    try {
      FaultHttp.Answer a = http.put(uri, path, body.bytes());
      if (a.status() == 201) {
        long version = a.json().path("version").asLong(-1);
        String crc = a.json().path("crc32c").asText("");
        String note = crc.equals(String.format("%08x", body.crc32c())) ? "" : "crc32c " + crc + " is not the body's";
        return new Op(t0, history.now(), name, "PUT", path, body, node, 201, version, Outcome.ACKNOWLEDGED, note);
      }
      return new Op(t0, history.now(), name, "PUT", path, body, node, a.status(), -1, Outcome.REJECTED, brief(a));
    } catch (ConnectException refused) {
      return new Op(t0, history.now(), name, "PUT", path, body, node, -1, -1, Outcome.REJECTED, "connection refused");
    } catch (IOException e) {
      return new Op(t0, history.now(), name, "PUT", path, body, node, -1, -1, Outcome.UNKNOWN, describe(e));
    }
  }

  private Op delete(String path, int node) throws InterruptedException {
    long t0 = history.now();
    try {
      FaultHttp.Answer a = http.delete(cluster.baseUri(node), path);
      Outcome o = a.status() == 204 || a.status() == 404 ? Outcome.ACKNOWLEDGED : Outcome.REJECTED;
      return new Op(t0, history.now(), name, "DELETE", path, null, node, a.status(), -1, o, a.status() == 204 ? "" : brief(a));
    } catch (ConnectException refused) {
      return new Op(t0, history.now(), name, "DELETE", path, null, node, -1, -1, Outcome.REJECTED, "connection refused");
    } catch (IOException e) {
      return new Op(t0, history.now(), name, "DELETE", path, null, node, -1, -1, Outcome.UNKNOWN, describe(e));
    }
  }

  /** Reads the file just acknowledged, from another node where one is up, until an answer other than 503. */
  private void readBack(String path, int writer) throws InterruptedException {
    long until = System.nanoTime() + READ_BACK_PATIENCE.toNanos();
    while (System.nanoTime() < until) {
      int node = pickNode(writer);
      if (node == 0) node = pickNode(0);
      if (node == 0) {
        TimeUnit.MILLISECONDS.sleep(200); // every node is down
        continue;
      }
      Op read = read(http, cluster.baseUri(node), node, name, path, attempts(path), history);
      history.add(read);
      if (read.status() == 200 || read.status() == 404) return;
      TimeUnit.MILLISECONDS.sleep(300); // the cluster heals: ask again
    }
  }

  /** A GET of {@code path}, recorded with the attempt its bytes match (or none). */
  static Op read(FaultHttp http, URI uri, int node, String client, String path, List<Body> attempted, History history)
      throws InterruptedException {
    long t0 = history.now();
    try {
      FaultHttp.Answer a = http.get(uri, path);
      if (a.status() != 200) {
        return new Op(t0, history.now(), client, "READ", path, null, node, a.status(), -1, null, a.status() == 404 ? "" : brief(a));
      }
      for (Body b : attempted) {
        if (b.sizeBytes() == a.body().length && Arrays.equals(b.bytes(), a.body())) {
          return new Op(t0, history.now(), client, "READ", path, b, node, 200, a.version(), null, "");
        }
      }
      return new Op(t0, history.now(), client, "READ", path, null, node, 200, a.version(), null,
          a.body().length + " bytes matching no attempt; " + nearest(attempted, a.body()));
    } catch (IOException e) {
      return new Op(t0, history.now(), client, "READ", path, null, node, -1, -1, null, describe(e));
    }
  }

  /** For a read that matches nothing: where it first differs from each attempt of its length. */
  private static String nearest(List<Body> attempted, byte[] seen) {
    StringBuilder s = new StringBuilder();
    for (Body b : attempted) {
      byte[] want = b.bytes();
      int n = Math.min(want.length, seen.length);
      int at = 0;
      while (at < n && want[at] == seen[at]) at++;
      s.append(b.id()).append(" differs at byte ").append(at).append("; ");
    }
    return s.toString();
  }

  /** A node picked at random among those alive, other than {@code avoid}; 0 when none. */
  private int pickNode(int avoid) {
    List<Integer> up = new ArrayList<>();
    for (int n = 1; n <= cluster.size(); n++) if (n != avoid && cluster.alive(n)) up.add(n);
    return up.isEmpty() ? 0 : up.get(random.nextInt(up.size()));
  }

  private synchronized Body nextBody(String path) {
    Body b = new Body(name + "-" + nextBody++, bodySeeds.nextLong(), size());
    attempts.computeIfAbsent(path, p -> new ArrayList<>()).add(b);
    return b;
  }

  /** Mostly small files, some of a few hundred KiB to a few MiB, and some of two or three 4 MiB chunks. */
  private int size() {
    int kind = random.nextInt(20);
    if (kind < 2) return random.nextInt(4 * KIB + 1);
    if (kind < 12) return 4 * KIB + random.nextInt(508 * KIB);
    if (kind < 17) return 512 * KIB + random.nextInt(5 * MIB / 2);
    return 4 * MIB + 1 + random.nextInt(6 * MIB);
  }

  private synchronized String freshPath() {
    String p = root + "/f" + nextPath++;
    attempts.put(p, new ArrayList<>());
    return p;
  }

  private static String brief(FaultHttp.Answer a) {
    String t = a.text();
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }

  static String describe(IOException e) {
    String kind = e instanceof HttpTimeoutException ? "timed out" : e.getClass().getSimpleName();
    return kind + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
