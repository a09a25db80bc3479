package io.tensorfs.test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a node's Prometheus endpoint, parsed: series by name and labels. Immutable. */
record Scrape(String text, List<Series> series) {
  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)\\})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  record Series(String name, Map<String, String> labels, double value) {}

  static Scrape parse(String text) {
    List<Series> out = new java.util.ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line);
      if (!m.find()) throw new AssertionError("not a Prometheus sample line: " + line);
      Map<String, String> labels = new HashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      out.add(new Series(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return new Scrape(text, List.copyOf(out));
  }

  static Scrape of(URI endpoint) throws IOException, InterruptedException {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new AssertionError("GET " + endpoint + ": " + r.statusCode() + " " + r.body());
    return parse(r.body());
  }

  /** The node's metrics endpoint, once it has written {@code metrics.port} into its data directory. */
  static URI endpointOf(Path dataDir, Duration deadline) throws IOException, InterruptedException {
    Path file = dataDir.resolve("metrics.port");
    long until = System.nanoTime() + deadline.toNanos();
    while (!Files.exists(file) || Files.readString(file).isBlank()) {
      if (System.nanoTime() > until) throw new AssertionError("no " + file + " within " + deadline);
      TimeUnit.MILLISECONDS.sleep(100); // polling a file another process writes
    }
    return URI.create("http://127.0.0.1:" + Files.readString(file).trim() + "/metrics");
  }

  /** Scrapes until {@code condition} holds, or fails with the last scrape. */
  static Scrape await(URI endpoint, Predicate<Scrape> condition, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    Scrape last = of(endpoint);
    while (!condition.test(last)) {
      if (System.nanoTime() > until) throw new AssertionError("metrics never matched; last scrape:\n" + last.text());
      TimeUnit.MILLISECONDS.sleep(100); // the node publishes a snapshot per tick
      last = of(endpoint);
    }
    return last;
  }

  /**
   * A scrape whose {@code watched} sums no longer move: equal in two scrapes {@code quiet} apart (longer than
   * the node's tick, so a change still on its way would show).
   */
  static Scrape settled(URI endpoint, Duration quiet, List<Predicate<Series>> watched, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    Scrape a = of(endpoint);
    while (true) {
      TimeUnit.MILLISECONDS.sleep(quiet.toMillis()); // the node publishes a snapshot per tick
      Scrape b = of(endpoint);
      boolean same = true;
      for (Predicate<Series> w : watched) same &= a.sum(w) == b.sum(w);
      if (same) return b;
      if (System.nanoTime() > until) throw new AssertionError("metrics never settled; last scrape:\n" + b.text());
      a = b;
    }
  }

  /** The sum of the series that match. */
  double sum(Predicate<Series> which) {
    return series.stream().filter(which).mapToDouble(Series::value).sum();
  }

  static Predicate<Series> named(String name, String... labels) {
    Map<String, String> want = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) want.put(labels[i], labels[i + 1]);
    return s -> s.name().equals(name) && want.entrySet().stream().allMatch(e -> e.getValue().equals(s.labels().get(e.getKey())));
  }

  /** The names of every series (histograms as their _bucket, _sum and _count series). */
  Set<String> names() {
    Set<String> out = new TreeSet<>();
    for (Series s : series) out.add(s.name());
    return out;
  }
}
