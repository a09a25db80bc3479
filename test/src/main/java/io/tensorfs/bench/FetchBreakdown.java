package io.tensorfs.bench;

import io.tensorfs.harness.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where a cross-node GET's time went, from the nodes' own metrics: scraped before and after it, the
 * differences per node. A holder: bytes its stores read, its disk reads for other nodes' fetches (count,
 * mean time with the store's queue, mean time lent to the transport after), the store's blocking work
 * (mean time without the queue), how long its transport took from a fetch's request to the first and to the
 * last frame sent, and how many of each were under way on average over the GET. The reader:
 * its fetches (count, mean wait for a place in the per-node window, mean time). Needs nodes started with a
 * short {@code tensorfs.metrics.tick-interval} ({@link #TICK_PROPERTY}).
 */
final class FetchBreakdown {
  /** The nodes' metrics tick: each scrape waits for two, so a record made just before it shows. */
  static final String TICK_PROPERTY = "-Dtensorfs.metrics.tick-interval=250ms";
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  /** Every node's series summed by name (labels dropped), once the sums that matter stopped moving. */
  record Snapshot(Map<String, Map<String, Double>> byNode) {}

  private FetchBreakdown() {}

  static Snapshot take(List<NodeProcess> nodes) throws Exception {
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (NodeProcess n : nodes) {
      URI endpoint = endpointOf(n.dataDir());
      Map<String, Double> a = scrape(endpoint);
      for (int i = 0; i < 40; i++) {
        TimeUnit.MILLISECONDS.sleep(600); // over two ticks: a record still on its way would show
        Map<String, Double> b = scrape(endpoint);
        boolean same = a.equals(b) || List.of("tensorfs_store_read_bytes_total", "tensorfs_transport_serve_latency_seconds_count",
                "tensorfs_replication_serve_lent_seconds_count", "tensorfs_replication_fetch_latency_seconds_count")
            .stream().allMatch(k -> a.getOrDefault(k, 0.0).equals(b.getOrDefault(k, 0.0)));
        a.clear();
        a.putAll(b);
        if (same) break;
      }
      out.put(n.nodeId(), a);
    }
    return new Snapshot(out);
  }

  /** One line per node that took part between {@code before} and {@code after}, over a GET of {@code seconds}. */
  static List<String> describe(Snapshot before, Snapshot after, double seconds) {
    List<String> lines = new ArrayList<>();
    for (var e : after.byNode().entrySet()) {
      Map<String, Double> b = before.byNode().getOrDefault(e.getKey(), Map.of());
      Map<String, Double> a = e.getValue();
      Delta d = (name) -> a.getOrDefault(name, 0.0) - b.getOrDefault(name, 0.0);
      StringBuilder line = new StringBuilder();
      double reads = d.of("tensorfs_replication_serve_read_latency_seconds_count");
      if (reads > 0) {
        double readSum = d.of("tensorfs_replication_serve_read_latency_seconds_sum");
        double ioCount = d.of("tensorfs_store_io_latency_seconds_count");
        double ioSum = d.of("tensorfs_store_io_latency_seconds_sum");
        double lentSum = d.of("tensorfs_replication_serve_lent_seconds_sum");
        double lent = d.of("tensorfs_replication_serve_lent_seconds_count");
        line.append(String.format("served %.0f MiB read from its stores in %.0f reads of %.1f ms with the queue"
                + " (%.1f at once), store work %.1f ms each without it, the wait of a read opened for its turn at the disk"
                + " included (%.0f ops, %.1f at once), lent %.1f ms each (%.1f at once)",
            d.of("tensorfs_store_read_bytes_total") / (1 << 20), reads, 1e3 * readSum / reads, readSum / seconds,
            ioCount > 0 ? 1e3 * ioSum / ioCount : 0, ioCount, ioSum / seconds,
            lent > 0 ? 1e3 * lentSum / lent : 0, lentSum / seconds));
        double outside = d.of("tensorfs_replication_serve_outside_region_total");
        if (outside > 0) line.append(String.format(", %.0f reads into buffers outside the serve region", outside));
      }
      double served = d.of("tensorfs_transport_serve_latency_seconds_count");
      if (served > 0) {
        if (line.length() > 0) line.append("; ");
        line.append(String.format("answered %.0f fetches: first frame sent %.1f ms after the request, the last %.1f ms (%.1f at once)",
            served, 1e3 * d.of("tensorfs_transport_serve_first_frame_seconds_sum") / served,
            1e3 * d.of("tensorfs_transport_serve_latency_seconds_sum") / served,
            d.of("tensorfs_transport_serve_latency_seconds_sum") / seconds));
      }
      double fetches = d.of("tensorfs_replication_fetch_latency_seconds_count");
      if (fetches > 0) {
        double waitSum = d.of("tensorfs_replication_fetch_wait_seconds_sum");
        double fetchSum = d.of("tensorfs_replication_fetch_latency_seconds_sum");
        if (line.length() > 0) line.append("; ");
        line.append(String.format("fetched %.0f times: %.1f ms waiting for a place, then %.1f ms each (%.1f at once)",
            fetches, 1e3 * waitSum / fetches, 1e3 * fetchSum / fetches, fetchSum / seconds));
      }
      if (line.length() > 0) lines.add(e.getKey() + " " + line);
    }
    return lines;
  }

  private interface Delta {
    double of(String name);
  }

  private static Map<String, Double> scrape(URI endpoint) throws IOException, InterruptedException {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IOException("GET " + endpoint + ": " + r.statusCode());
    Map<String, Double> sums = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int name = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
      double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      if (!Double.isNaN(value)) sums.merge(line.substring(0, name), value, Double::sum);
    }
    return sums;
  }

  private static URI endpointOf(Path dataDir) throws IOException {
    Path file = dataDir.resolve("metrics.port");
    if (!Files.exists(file)) throw new IOException("no " + file + ": the node serves no metrics");
    return URI.create("http://127.0.0.1:" + Files.readString(file).trim() + "/metrics");
  }
}
