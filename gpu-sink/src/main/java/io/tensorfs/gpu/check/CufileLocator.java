package io.tensorfs.gpu.check;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Looks for libcufile where CUDA toolkits, conda and Python wheels (nvidia-cufile) put it, for a check run
 * on a machine whose loader path does not name it. Only the check program uses this; the node takes
 * {@code tensorfs.gpu.cufile-library}.
 */
final class CufileLocator {
  private static final List<String> PATTERNS = List.of(
      "/usr/local/cuda*/targets/*/lib", "/usr/local/cuda*/lib64", "/opt/conda/lib",
      "/usr/lib/python3*/*-packages/nvidia/cufile/lib", "/usr/local/lib/python3*/*-packages/nvidia/cufile/lib",
      System.getProperty("user.home") + "/.local/lib/python3*/site-packages/nvidia/cufile/lib");

  private CufileLocator() {}

  static Optional<Path> find() {
    for (String pattern : PATTERNS) {
      for (Path dir : expand(pattern)) {
        try (DirectoryStream<Path> libs = Files.newDirectoryStream(dir, "libcufile.so*")) {
          for (Path lib : libs) return Optional.of(lib);
        } catch (IOException e) {
          // not there: try the next place
        }
      }
    }
    return Optional.empty();
  }

  /** The directories matching a path whose parts may hold '*'. */
  private static List<Path> expand(String pattern) {
    List<Path> current = List.of(Path.of("/"));
    for (String part : pattern.substring(1).split("/")) {
      List<Path> next = new ArrayList<>();
      for (Path p : current) {
        if (!part.contains("*")) {
          Path child = p.resolve(part);
          if (Files.isDirectory(child)) next.add(child);
          continue;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(p, part)) {
          for (Path c : children) if (Files.isDirectory(c)) next.add(c);
        } catch (IOException e) {
          // unreadable: skip
        }
      }
      current = next;
    }
    return current;
  }
}
