package io.tensorfs.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The POSIX mount (clients/fuse) as a separate process, as {@code ./tfs mount} starts it: on {@code dir}, against one
 * node's gRPC address, with a token. {@link #close} unmounts it whatever state it is in. Owned by one test thread.
 */
public final class MountProcess implements AutoCloseable {
  private final Path dir;
  private final Path log;
  private final List<String> command;
  private final String token;
  private Process process;

  /** A mount of {@code tenant}'s namespace (empty: the whole namespace) on {@code dir}; JVM {@code properties} as -D. */
  public MountProcess(Path dir, String grpcAddress, String token, String tenant, Path log, List<String> properties) {
    this.dir = dir.toAbsolutePath();
    this.log = log;
    this.token = token;
    List<String> c = new ArrayList<>(List.of(javaBin(), "-Xmx512m"));
    c.addAll(properties);
    c.addAll(List.of("-cp", classpath(), "io.tensorfs.fuse.TensorfsMount", this.dir.toString(), "--grpc", grpcAddress));
    if (!tenant.isEmpty()) c.addAll(List.of("--tenant", tenant));
    this.command = List.copyOf(c);
  }

  /** The mount's jar and its runtime libraries, as the build leaves them under clients/fuse/target. */
  static String classpath() {
    Path target = RepoPaths.root().resolve("clients/fuse/target");
    try (Stream<Path> jars = Files.list(target)) {
      Path jar = jars.filter(p -> p.getFileName().toString().matches("tensorfs-fuse-.*\\.jar")
          && !p.getFileName().toString().contains("-sources") && !p.getFileName().toString().contains("-tests"))
          .findFirst().orElseThrow(() -> new IllegalStateException("no tensorfs-fuse jar under " + target + ": mvn install first"));
      return jar + ":" + target.resolve("lib") + "/*";
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + target, e);
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public Path dir() {
    return dir;
  }

  /** Starts the process and waits until the kernel lists the mount. */
  public MountProcess start(Duration deadline) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(AdminToken.ENV, token);
    process = pb.start();
    long until = System.nanoTime() + deadline.toNanos();
    while (!mounted(dir)) {
      if (!process.isAlive()) throw new IllegalStateException("the mount process ended (" + process.exitValue() + "):\n" + logTail());
      if (System.nanoTime() > until) throw new IllegalStateException("not mounted within " + deadline + ":\n" + logTail());
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return this;
  }

  /** Whether {@code /proc/mounts} lists {@code dir} as a mount point. */
  public static boolean mounted(Path dir) throws IOException {
    String d = dir.toAbsolutePath().toString();
    for (String line : Files.readAllLines(Path.of("/proc/mounts"), StandardCharsets.UTF_8)) {
      String[] f = line.split(" ");
      if (f.length > 1 && f[1].equals(d)) return true;
    }
    return false;
  }

  /** {@code umount DIR} as {@code ./tfs umount} runs it; returns the process's exit code once it ended. */
  public int unmount(Duration deadline) throws IOException, InterruptedException {
    Process u = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
    if (!u.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      u.destroyForcibly();
      throw new IllegalStateException("umount " + dir + " did not return within " + deadline);
    }
    String out = new String(u.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (u.exitValue() != 0) throw new IllegalStateException("umount " + dir + " failed: " + out);
    if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("the mount process did not end within " + deadline + " of umount:\n" + logTail());
    }
    return process.exitValue();
  }

  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (mounted(dir)) new ProcessBuilder("umount", "-l", dir.toString()).start().waitFor(20, TimeUnit.SECONDS);
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
