package io.tensorfs.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process and of its JVM's own threads, read from {@code /proc} (Linux): user plus system time,
 * in ms. Clock ticks are taken as 100 per second (USER_HZ, which Linux reports to user space on every
 * architecture it ships for). Stateless; any thread.
 */
final class ProcCpu {
  private static final double MS_PER_TICK = 10.0;

  private ProcCpu() {}

  /** A process's CPU, whole and the part of its JVM's compiler threads and of its GC and VM threads, ms. */
  record Sample(double totalMs, double jitMs, double gcVmMs) {
    Sample minus(Sample before) {
      return new Sample(totalMs - before.totalMs, jitMs - before.jitMs, gcVmMs - before.gcVmMs);
    }
  }

  /** {@code pid}'s CPU so far (every thread, ended ones included), split by its JVM threads' names. */
  static Sample of(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    double total = ticks(proc.resolve("stat")) * MS_PER_TICK;
    double jit = 0;
    double gcVm = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
      for (Path task : tasks) {
        String name;
        long t;
        try {
          name = Files.readString(task.resolve("comm")).strip();
          t = ticks(task.resolve("stat"));
        } catch (IOException | IllegalStateException ended) {
          continue; // the thread ended between the listing and the read
        }
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
          jit += t * MS_PER_TICK;
        } else if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")
            || name.startsWith("VM Periodic")) {
          gcVm += t * MS_PER_TICK;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the threads of process " + pid, e);
    }
    return new Sample(total, jit, gcVm);
  }

  /** utime + stime of a {@code /proc/.../stat} file, in clock ticks. */
  static long ticks(Path stat) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 (state)
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + stat, e);
    }
  }
}
