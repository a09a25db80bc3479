package io.tensorfs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JDK Flight Recorder recording of a running node process, started and stopped with {@code jcmd} (the JDK's,
 * beside the benchmark's {@code java}) with the {@code profile} settings, and read back as CPU samples per
 * {@link CpuArea}. One recording at a time per process; the calling thread blocks while jcmd runs.
 */
final class NodeJfr {
  private static final String NAME = "tfs-bench-meta";
  private final long pid;

  NodeJfr(long pid) {
    this.pid = pid;
  }

  /** Whether this JDK has {@code jcmd} (a jlinked runtime may not). */
  static boolean available() {
    return Files.isExecutable(jcmd());
  }

  void start() throws IOException, InterruptedException {
    jcmd("JFR.start", "name=" + NAME, "settings=profile");
  }

  /** Stops the recording, writes it to {@code file} and returns its Java execution samples by area. */
  Map<CpuArea, Long> stop(Path file) throws IOException, InterruptedException {
    Map<CpuArea, Long> samples = new EnumMap<>(CpuArea.class);
    for (RecordedEvent e : RecordingFile.readAllEvents(save(file))) {
      if (e.getEventType().getName().equals("jdk.ExecutionSample")) {
        samples.merge(CpuArea.of(e.getStackTrace()), 1L, Long::sum);
      }
    }
    return samples;
  }

  /** Stops the recording and writes it to {@code file}. */
  Path save(Path file) throws IOException, InterruptedException {
    Files.deleteIfExists(file);
    jcmd("JFR.stop", "name=" + NAME, "filename=" + file.toAbsolutePath());
    return file;
  }

  /**
   * The Java names of a process's threads by their native ids ({@code jcmd Thread.print}), which
   * {@code /proc} cuts to 15 characters; empty where there is no jcmd or the process does not answer.
   */
  static Map<Long, String> threadNames(long pid) {
    Map<Long, String> names = new java.util.HashMap<>();
    if (!available()) return names;
    try {
      Process p = new ProcessBuilder(jcmd().toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS)) return names;
      // A thread's header: "name" #id ... nid=0x1f2e ...
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\"(.*)\" .*\\bnid=0x([0-9a-f]+)", java.util.regex.Pattern.MULTILINE)
          .matcher(out);
      while (m.find()) names.put(Long.parseLong(m.group(2), 16), m.group(1));
    } catch (IOException e) {
      return names;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return names;
  }

  private void jcmd(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(jcmd().toString(), Long.toString(pid)));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.contains("Could not")) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }

  private static Path jcmd() {
    return Path.of(System.getProperty("java.home"), "bin", "jcmd");
  }
}
