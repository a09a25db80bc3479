package io.tensorfs.gpu.check;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tries cuFile reads of one file in child processes, each under one documented setting: as installed,
 * with a buffered fd, with {@code CUFILE_FORCE_COMPAT_MODE=true}, with compatibility forced through
 * cuFileSetParameterBool before the driver opens, and with a generated cufile.json
 * ({@code CUFILE_ENV_PATH_JSON}). Each child logs to a cufile.log of its own, whose errors are printed.
 * Reports a row per try and which worked, with the best rate.
 */
final class CufileAttempts {
  private static final long CHILD_TIMEOUT_S = 300;
  private static final int LOG_LINES = 12;

  record Attempt(String name, Map<String, String> env, List<String> flags) {}

  /** The best passing rate in GB/s, or 0 when none passed. */
  record Outcome(String firstWorking, double bestGbs) {}

  private CufileAttempts() {}

  static List<Attempt> attempts(Path dir) throws IOException {
    Path json = dir.resolve("cufile.json");
    Files.writeString(json, CufileConfig.json(dir, true));
    return List.of(
        new Attempt("as installed", Map.of(), List.of()),
        new Attempt("buffered fd", Map.of(), List.of("--cufile-buffered")),
        new Attempt("CUFILE_FORCE_COMPAT_MODE=true", Map.of("CUFILE_FORCE_COMPAT_MODE", "true"), List.of()),
        new Attempt("cuFileSetParameterBool(force_compat_mode)", Map.of(), List.of("--cufile-force-compat")),
        new Attempt("CUFILE_ENV_PATH_JSON (allow+force compat)", Map.of("CUFILE_ENV_PATH_JSON", json.toString()),
            List.of()));
  }

  static Outcome run(Args args, Path file, Path dir, CheckTable table) throws IOException, InterruptedException {
    String firstWorking = null;
    double best = 0;
    List<Attempt> attempts = attempts(dir);
    for (int i = 0; i < attempts.size(); i++) {
      Attempt a = attempts.get(i);
      Path log = dir.resolve("cufile-" + i + ".log");
      List<String> output = child(args, file, a, log);
      System.out.println("cuFile try \"" + a.name() + "\":");
      output.forEach(line -> System.out.println("    " + line));
      errorsOf(log).forEach(line -> System.out.println("    cufile.log: " + line));
      String result = output.stream().filter(l -> l.startsWith(CufileAttempt.RESULT)).reduce((x, y) -> y)
          .map(l -> l.substring(CufileAttempt.RESULT.length())).orElse("fail no result (see the output above)");
      if (result.startsWith("pass ")) {
        String[] f = result.split(" ");
        double gbs = Double.parseDouble(f[1]);
        best = Math.max(best, gbs);
        if (firstWorking == null) firstWorking = a.name();
        table.pass("cuFile: " + a.name(), String.format("%.1f GB/s", gbs), "bytes verified, " + f[2] + " fd");
      } else {
        table.info("cuFile: " + a.name(), "refused", result.substring(Math.min(5, result.length())));
      }
    }
    return new Outcome(firstWorking, best);
  }

  private static List<String> child(Args args, Path file, Attempt a, Path log) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String jvmArg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!jvmArg.startsWith("-agentlib") && !jvmArg.startsWith("-javaagent")) cmd.add(jvmArg);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), GpuCheck.class.getName(),
        "--cufile-attempt", a.name(), "--cufile-file", file.toString(), "--bytes", Long.toString(args.bytes),
        "--repeat", Integer.toString(Math.min(args.repeat, 3)), "--device", Integer.toString(args.device)));
    if (!args.cufileLibrary.isEmpty()) cmd.addAll(List.of("--cufile-lib", args.cufileLibrary));
    cmd.addAll(a.flags());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("CUFILE_LOGFILE_PATH", log.toString());
    pb.environment().put("CUFILE_LOGGING_LEVEL", "INFO");
    pb.environment().putAll(a.env());
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) lines.add(line);
    }
    if (!p.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      lines.add(CufileAttempt.RESULT + "fail no answer in " + CHILD_TIMEOUT_S + " s");
    } else if (p.exitValue() != 0 && lines.stream().noneMatch(l -> l.startsWith(CufileAttempt.RESULT))) {
      lines.add(CufileAttempt.RESULT + "fail the try exited with " + p.exitValue());
    }
    return lines;
  }

  /** The last error, warning and notice lines of a cufile.log: where libcufile says why it refused. */
  static List<String> errorsOf(Path log) {
    List<String> all;
    try {
      all = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of("unreadable: " + e.getMessage());
    }
    List<String> picked = all.stream()
        .filter(l -> l.contains("ERROR") || l.contains("WARN") || l.contains("NOTICE")).toList();
    return picked.subList(Math.max(0, picked.size() - LOG_LINES), picked.size());
  }
}
