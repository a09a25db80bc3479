package io.tensorfs.bench;

import io.tensorfs.harness.RepoPaths;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code ./tfs bench meta}. Immutable.
 *
 * @param clients       concurrent clients of every load (each its own thread and connection)
 * @param seconds       measured seconds of each load
 * @param warmMinSeconds the warm-up's least length, seconds (C2 compiles the node's hot paths for about 60 s
 *                      on 2 cores); it goes on, in windows, until the create rate of two windows in a row is
 *                      within 10 %, or {@code warmMaxSeconds}
 * @param warmMaxSeconds the warm-up's greatest length, seconds
 * @param warmWindowSeconds one warm-up window, seconds
 * @param readFiles     files of each size the stat and GET loads pick from
 * @param dirEntries    entries of the large directory
 * @param profile       whether to record the node with JFR in the profile phases
 * @param profileSeconds measured seconds of each profile phase (create, stat, GET)
 * @param parts         which parts run: creates, reads, kv, profile, dirs
 * @param dir           where the run keeps Cassandra, the node and the file system peer (one disk)
 * @param nodeOptions   JVM options given to the node ({@code --node-opt -Dtensorfs.sharding.read-lease=0s}, repeatable)
 */
record MetaOptions(int clients, double seconds, double warmMinSeconds, double warmMaxSeconds, double warmWindowSeconds,
    int readFiles, int dirEntries, boolean profile, double profileSeconds, Set<String> parts, Path dir, boolean quick,
    List<String> nodeOptions) {

  static final List<String> PARTS = List.of("creates", "reads", "kv", "profile", "dirs");

  static MetaOptions parse(String[] args) {
    boolean quick = Arrays.asList(args).contains("--quick");
    int clients = 16;
    double seconds = quick ? 2 : 20;
    double warmMin = quick ? 3 : 60;
    double warmMax = quick ? 6 : 180;
    double warmWindow = quick ? 1.5 : 10;
    int readFiles = quick ? 64 : 1000;
    int dirEntries = quick ? 2000 : 1_000_000;
    boolean profile = false;
    double profileSeconds = quick ? 2 : 20;
    Set<String> parts = Set.copyOf(PARTS);
    Path dir = RepoPaths.root().resolve("test/target/bench-meta");
    List<String> nodeOptions = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> { }
        case "--profile" -> profile = true;
        default -> {
          if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
          String v = args[++i];
          switch (a) {
            case "--clients" -> clients = positive(a, Integer.parseInt(v));
            case "--seconds" -> seconds = positive(a, Double.parseDouble(v));
            case "--warm-seconds" -> {
              warmMin = Double.parseDouble(v);
              warmMax = Math.max(warmMax, warmMin);
            }
            case "--warm-max-seconds" -> warmMax = Double.parseDouble(v);
            case "--read-files" -> readFiles = positive(a, Integer.parseInt(v));
            case "--dir-entries" -> dirEntries = positive(a, Integer.parseInt(v));
            case "--profile-seconds" -> profileSeconds = positive(a, Double.parseDouble(v));
            case "--only" -> {
              parts = Set.copyOf(Arrays.asList(v.split(",")));
              for (String p : parts) {
                if (!PARTS.contains(p)) throw new IllegalArgumentException("--only takes some of " + PARTS + ", not " + p);
              }
            }
            case "--dir" -> dir = Path.of(v).toAbsolutePath();
            case "--node-opt" -> nodeOptions.add(v);
            default -> throw new IllegalArgumentException("unknown option " + a);
          }
        }
      }
    }
    return new MetaOptions(clients, seconds, warmMin, Math.max(warmMin, warmMax), warmWindow, readFiles, dirEntries,
        profile, profileSeconds, parts, dir, quick, List.copyOf(nodeOptions));
  }

  boolean runs(String part) {
    return parts.contains(part);
  }

  static String usage() {
    return "meta [--quick] [--clients 16] [--seconds 20] [--warm-seconds 60] [--warm-max-seconds 180] [--read-files 1000]"
        + " [--dir-entries 1000000] [--profile] [--profile-seconds 20] [--only " + String.join(",", PARTS) + "] [--dir DIR]"
        + " [--node-opt -Dkey=value]...";
  }

  private static <T extends Number> T positive(String option, T value) {
    if (value.doubleValue() <= 0) throw new IllegalArgumentException(option + " must be positive");
    return value;
  }
}
