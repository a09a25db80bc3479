package io.tensorfs.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small ext4 file system in a file, mounted through a loop device: a disk that fills up quickly.
 * Needs root and a kernel that lends loop devices; {@link #mount} says why not where it cannot.
 * Owned by the thread that mounted it.
 */
public final class LoopMount implements AutoCloseable {
  private final Path image;
  private final Path mountPoint;

  private LoopMount(Path image, Path mountPoint) {
    this.image = image;
    this.mountPoint = mountPoint;
  }

  /** What {@link #mount} gives: the mount, or why there is none. */
  public record Attempt(LoopMount mount, String whyNot) {}

  /** Makes a {@code sizeBytes} ext4 image at {@code image} and mounts it on {@code mountPoint}. */
  public static Attempt mount(Path image, Path mountPoint, long sizeBytes) throws IOException, InterruptedException {
    if (!"root".equals(System.getProperty("user.name"))) return new Attempt(null, "loop mounts need root");
    if (!Files.exists(Path.of("/dev/loop-control")) && !Files.exists(Path.of("/dev/loop0"))) {
      return new Attempt(null, "no loop devices (/dev/loop-control) on this machine");
    }
    Files.createDirectories(mountPoint);
    Files.deleteIfExists(image);
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(sizeBytes);
    }
    String mkfs = run(List.of("mkfs.ext4", "-q", "-F", image.toString()));
    if (mkfs != null) return new Attempt(null, "mkfs.ext4 failed: " + mkfs);
    String mount = run(List.of("mount", "-o", "loop", image.toString(), mountPoint.toString()));
    if (mount != null) {
      Files.deleteIfExists(image);
      return new Attempt(null, "mount -o loop failed (a container without loop devices?): " + mount);
    }
    return new Attempt(new LoopMount(image, mountPoint), null);
  }

  public Path path() {
    return mountPoint;
  }

  /** Unmounts (lazily if busy) and removes the image. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (run(List.of("umount", mountPoint.toString())) != null) run(List.of("umount", "-l", mountPoint.toString()));
    Files.deleteIfExists(image);
  }

  /** Runs a command; null when it exits 0, else its output. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException notInstalled) {
      return command.get(0) + " cannot be run: " + notInstalled.getMessage();
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return command.get(0) + " did not finish in 60 s";
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + output;
  }
}
