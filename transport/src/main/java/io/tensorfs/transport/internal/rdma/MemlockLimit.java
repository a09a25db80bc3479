package io.tensorfs.transport.internal.rdma;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many bytes this process may register with an RDMA device: every {@code ibv_reg_mr} pins its memory
 * and counts against the soft {@code RLIMIT_MEMLOCK} unless the process holds {@code CAP_IPC_LOCK}. Read
 * from {@code /proc/self/limits} ("Max locked memory") and {@code /proc/self/status} ({@code CapEff}).
 * Stateless; any thread.
 */
final class MemlockLimit {
  /** No limit: the limit is "unlimited", the process holds CAP_IPC_LOCK, or it cannot be read. */
  static final long UNLIMITED = Long.MAX_VALUE;

  private static final int CAP_IPC_LOCK = 14;

  private MemlockLimit() {}

  /** This process's limit in bytes, {@link #UNLIMITED} when there is none (or it cannot be read). */
  static long ofThisProcess() {
    try {
      String status = Files.readString(Path.of("/proc/self/status"));
      String limits = Files.readString(Path.of("/proc/self/limits"));
      return holdsIpcLock(status) ? UNLIMITED : softLimit(limits);
    } catch (IOException | RuntimeException e) {
      return UNLIMITED;
    }
  }

  /** The soft "Max locked memory" of a {@code /proc/<pid>/limits} text; {@link #UNLIMITED} for "unlimited" or when absent. */
  static long softLimit(String limits) {
    for (String line : limits.split("\n")) {
      if (!line.startsWith("Max locked memory")) continue;
      String[] fields = line.substring("Max locked memory".length()).trim().split("\\s+");
      return fields[0].equals("unlimited") ? UNLIMITED : Long.parseLong(fields[0]);
    }
    return UNLIMITED;
  }

  /** Whether a {@code /proc/<pid>/status} text's effective capabilities hold CAP_IPC_LOCK (which lifts the limit). */
  static boolean holdsIpcLock(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("CapEff:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) >>> CAP_IPC_LOCK & 1) == 1;
    }
    return false;
  }
}
