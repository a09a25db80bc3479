package io.tensorfs.gpu.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What cuFile's decisions depend on besides the call itself, for the check's report: the file system of a
 * file (from /proc/self/mountinfo), whether /run/udev can be read (libcufile reads the device's attributes
 * there when it registers a file; containers often lack it), the configuration file it reads, and the
 * CUFILE_* environment.
 */
final class CufileEnvironment {
  private CufileEnvironment() {}

  static List<String> describe(Path file) {
    List<String> out = new ArrayList<>();
    out.add("file system of " + file + ": " + fileSystemOf(file, mountInfo()));
    Path udev = Path.of("/run/udev");
    out.add("/run/udev: " + (Files.isDirectory(udev) ? (Files.isReadable(udev.resolve("data")) ? "readable" : "present, data not readable")
        : "absent (libcufile cannot read the device's attributes)"));
    Path json = Path.of("/etc/cufile.json");
    out.add("/etc/cufile.json: " + (Files.isReadable(json) ? "present" : "absent (library defaults)"));
    out.add("nvidia-fs: " + (Files.exists(Path.of("/proc/driver/nvidia-fs")) ? "loaded" : "not loaded"));
    Map<String, String> env = new TreeMap<>();
    System.getenv().forEach((k, v) -> {
      if (k.startsWith("CUFILE_")) env.put(k, v);
    });
    out.add("CUFILE_* environment: " + (env.isEmpty() ? "none" : env));
    return out;
  }

  private static List<String> mountInfo() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo"));
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The type and source of the mount holding {@code file}: the longest mount point that is a prefix of its
   * real path. Lines of mountinfo: {@code id parent major:minor root mountpoint options [optional...] - type source super}.
   */
  static String fileSystemOf(Path file, List<String> mountInfo) {
    String path;
    try {
      path = file.toRealPath().toString();
    } catch (IOException e) {
      path = file.toAbsolutePath().normalize().toString();
    }
    String best = null;
    String bestPoint = "";
    for (String line : mountInfo) {
      String[] f = line.split(" ");
      int dash = List.of(f).indexOf("-");
      if (f.length < 5 || dash < 0 || dash + 2 >= f.length) continue;
      String point = f[4].replace("\\040", " ");
      boolean under = path.equals(point) || point.equals("/") || path.startsWith(point + "/");
      if (under && point.length() >= bestPoint.length()) {
        bestPoint = point;
        best = f[dash + 1] + " (" + f[dash + 2] + " on " + point + ")";
      }
    }
    return best != null ? best : "unknown";
  }
}
