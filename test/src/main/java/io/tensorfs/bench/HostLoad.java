package io.tensorfs.bench;

import io.tensorfs.harness.NetworkNamespaces;
import io.tensorfs.harness.NodeProcess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the host did over one timed step, read from {@code /proc} (Linux) before and after it: the disk
 * under a directory ({@code /proc/diskstats}: bytes and requests read and written, how long a read took
 * there, how much of the step the device was busy and how many requests it had on average), the host's UDP
 * datagrams received and dropped for a full receive buffer ({@code /proc/net/snmp}), and each
 * node's busiest threads and the benchmark's own (its client): user plus system time, so a thread's time
 * inside socket and disk calls counts, which a JVM profiler does not sample. Where one thread ran the whole
 * step, it is the bound; where the disk was busy the whole step, the disk is. A thread that ended before the
 * step did is gone from {@code /proc} and not counted. The disk's busy time is the kernel's counter, which
 * it does not bring up to date at every moment: a step of a few hundred milliseconds has shown over 100 %
 * (seen right after a PUT's writes); read busy time over short steps with that in mind. Clock ticks
 * are taken as 100 per second, as in {@link ProcCpu}.
 * Stateless; any thread.
 */
final class HostLoad {
  private static final double MS_PER_TICK = 10.0;
  private static final int SECTOR = 512;
  private static final String CLIENT = "the benchmark's client";

  /** The counters of one block device, as {@code /proc/diskstats} gives them. */
  record Disk(String name, long reads, long sectorsRead, long readMs, long writes, long sectorsWritten, long ioMs,
      long queueMs) {}

  /** A thread's name and its CPU so far, ms. */
  record ThreadTime(String name, double cpuMs) {}

  /**
   * The host's UDP counters ({@code /proc/net/snmp}): datagrams received, those dropped because the
   * socket's receive buffer was full (each one a gap a reliable protocol over UDP must ask again for), and
   * datagrams sent.
   */
  record Udp(long received, long receiveBufferFull, long sent) {}

  /**
   * The disk (absent where none is found), the host's UDP counters (absent where unreadable) and every
   * node's threads by id, at one moment.
   */
  record Snapshot(long nanos, Optional<Disk> disk, Optional<Udp> udp, Map<String, Map<Long, ThreadTime>> threads) {
    Snapshot(long nanos, Optional<Disk> disk, Map<String, Map<Long, ThreadTime>> threads) {
      this(nanos, disk, Optional.empty(), threads);
    }
  }

  private HostLoad() {}

  /** The disk, every node's threads and this process's (the benchmark's client). */
  static Snapshot take(Optional<String> device, List<NodeProcess> nodes) {
    return take(device, pids(nodes));
  }

  /** The disk alone, for a step no node takes part in. */
  static Snapshot take(Optional<String> device) {
    return take(device, Map.of());
  }

  /** The disk and the threads of each process named, by its name. */
  static Snapshot take(Optional<String> device, Map<String, Long> processes) {
    Map<String, Map<Long, ThreadTime>> threads = new LinkedHashMap<>();
    for (var p : processes.entrySet()) threads.put(p.getKey(), threadsOf(p.getValue()));
    return new Snapshot(System.nanoTime(), device.flatMap(HostLoad::disk), udp(), threads);
  }

  private static Map<String, Long> pids(List<NodeProcess> nodes) {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (NodeProcess n : nodes) pids.put(n.nodeId(), n.pid());
    pids.put(CLIENT, ProcessHandle.current().pid());
    return pids;
  }

  /**
   * {@code s} with its threads' full Java names where {@code jcmd} gives them (taken after a step, outside
   * its time: it takes a moment per process).
   */
  static Snapshot withJavaNames(Snapshot s, List<NodeProcess> nodes) {
    return withJavaNames(s, pids(nodes));
  }

  static Snapshot withJavaNames(Snapshot s, Map<String, Long> pids) {
    Map<String, Map<Long, ThreadTime>> named = new LinkedHashMap<>();
    for (var node : s.threads().entrySet()) {
      Long pid = pids.get(node.getKey());
      Map<Long, String> names = pid == null ? Map.of() : NodeJfr.threadNames(pid);
      Map<Long, ThreadTime> threads = new HashMap<>();
      for (var t : node.getValue().entrySet()) {
        threads.put(t.getKey(), new ThreadTime(names.getOrDefault(t.getKey(), t.getValue().name()), t.getValue().cpuMs()));
      }
      named.put(node.getKey(), threads);
    }
    return new Snapshot(s.nanos(), s.disk(), s.udp(), named);
  }

  /**
   * The block device a directory lies on, as {@code /proc/diskstats} names it; empty where it is not a
   * block device (tmpfs, an overlay) or this is not Linux.
   */
  static Optional<String> deviceOf(Path dir) {
    try {
      long dev = ((Number) Files.getAttribute(dir, "unix:dev")).longValue();
      long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
      for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 14 && Long.parseLong(f[0]) == major && Long.parseLong(f[1]) == minor) return Optional.of(f[2]);
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** One line on the disk over the step (empty where no disk is watched). */
  static Optional<String> describeDisk(Snapshot a, Snapshot b) {
    if (a.disk().isEmpty() || b.disk().isEmpty()) return Optional.empty();
    Disk x = a.disk().get();
    Disk y = b.disk().get();
    double ms = (b.nanos() - a.nanos()) / 1e6;
    long reads = y.reads() - x.reads();
    long writes = y.writes() - x.writes();
    double readMiB = (double) (y.sectorsRead() - x.sectorsRead()) * SECTOR / (1 << 20);
    double writtenMiB = (double) (y.sectorsWritten() - x.sectorsWritten()) * SECTOR / (1 << 20);
    return Optional.of(String.format("disk %s: read %.0f MiB in %d requests (%.0f KiB, %.2f ms each), written %.0f MiB"
            + " in %d; busy %.0f%% of the %.0f ms, %.1f requests there on average",
        y.name(), readMiB, reads, reads > 0 ? readMiB * 1024 / reads : 0, reads > 0 ? (double) (y.readMs() - x.readMs()) / reads : 0,
        writtenMiB, writes, 100 * (y.ioMs() - x.ioMs()) / ms, ms, (y.queueMs() - x.queueMs()) / ms));
  }

  /**
   * One line on UDP over the step, where any datagram arrived: how many, and how many of them the kernel
   * dropped for a full receive buffer.
   */
  static Optional<String> describeUdp(Snapshot a, Snapshot b) {
    if (a.udp().isEmpty() || b.udp().isEmpty()) return Optional.empty();
    Udp x = a.udp().get();
    Udp y = b.udp().get();
    long received = y.received() - x.received();
    long dropped = y.receiveBufferFull() - x.receiveBufferFull();
    if (received + dropped == 0) return Optional.empty();
    return Optional.of(String.format("UDP: %d datagrams received, %d dropped for a full receive buffer (%.2f%%), %d sent",
        received, dropped, 100.0 * dropped / (received + dropped), y.sent() - x.sent()));
  }

  /** The {@code Udp:} counters of {@code /proc/net/snmp}'s text; empty where it has none. */
  static Optional<Udp> parseUdp(List<String> snmp) {
    OptionalLong in = NetworkNamespaces.snmpCounter(snmp, "Udp", "InDatagrams");
    OptionalLong full = NetworkNamespaces.snmpCounter(snmp, "Udp", "RcvbufErrors");
    OptionalLong out = NetworkNamespaces.snmpCounter(snmp, "Udp", "OutDatagrams");
    if (in.isEmpty() || full.isEmpty() || out.isEmpty()) return Optional.empty();
    return Optional.of(new Udp(in.getAsLong(), full.getAsLong(), out.getAsLong()));
  }

  private static Optional<Udp> udp() {
    try {
      return parseUdp(Files.readAllLines(Path.of("/proc/net/snmp")));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * One line per node that used at least a tenth of a core over the step: its CPU in cores and its
   * {@code top} busiest threads, each as the share of the step it ran.
   */
  static List<String> describeThreads(Snapshot a, Snapshot b, int top) {
    double ms = (b.nanos() - a.nanos()) / 1e6;
    List<String> lines = new ArrayList<>();
    for (var node : b.threads().entrySet()) {
      Map<Long, ThreadTime> before = a.threads().getOrDefault(node.getKey(), Map.of());
      List<ThreadTime> used = new ArrayList<>();
      double total = 0;
      for (var t : node.getValue().entrySet()) {
        ThreadTime was = before.get(t.getKey());
        double cpu = t.getValue().cpuMs() - (was == null ? 0 : was.cpuMs());
        total += cpu;
        if (cpu > 0) used.add(new ThreadTime(t.getValue().name(), cpu));
      }
      if (total < 0.1 * ms) continue;
      used.sort(Comparator.comparingDouble(ThreadTime::cpuMs).reversed());
      StringBuilder line = new StringBuilder(String.format("%s used %.1f cores; busiest threads:", node.getKey(), total / ms));
      for (ThreadTime t : used.subList(0, Math.min(top, used.size()))) {
        line.append(String.format(" %s %.0f%%,", t.name(), 100 * t.cpuMs() / ms));
      }
      line.setLength(line.length() - 1);
      lines.add(line.toString());
    }
    return lines;
  }

  private static Optional<Disk> disk(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 14 && f[2].equals(name)) {
          return Optional.of(new Disk(name, Long.parseLong(f[3]), Long.parseLong(f[5]), Long.parseLong(f[6]),
              Long.parseLong(f[7]), Long.parseLong(f[9]), Long.parseLong(f[12]), Long.parseLong(f[13])));
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Every live thread of {@code pid} by its id: name and user plus system time. */
  private static Map<Long, ThreadTime> threadsOf(long pid) {
    Map<Long, ThreadTime> out = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          double cpuMs = ProcCpu.ticks(task.resolve("stat")) * MS_PER_TICK;
          out.put(Long.parseLong(task.getFileName().toString()), new ThreadTime(name, cpuMs));
        } catch (IOException | IllegalStateException e) {
          // the thread ended between the listing and the read
        }
      }
    } catch (IOException e) {
      // the process ended: no threads
    }
    return out;
  }
}
