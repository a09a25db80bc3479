package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class HostLoadTest {
  private static volatile long sink;

  @Test
  void shouldSayWhatTheDiskDidOverAStep() {
    HostLoad.Disk before = new HostLoad.Disk("vda", 100, 1000, 50, 7, 80, 400, 900);
    // 2 reads of 4 MiB (16384 sectors) taking 3 ms at the device; 1 write of 1 MiB; busy 150 of 200 ms.
    HostLoad.Disk after = new HostLoad.Disk("vda", 102, 1000 + 16384, 53, 8, 80 + 2048, 550, 900 + 300);
    String line = HostLoad.describeDisk(new HostLoad.Snapshot(0, Optional.of(before), Map.of()),
        new HostLoad.Snapshot(200_000_000L, Optional.of(after), Map.of())).orElseThrow();
    assertEquals("disk vda: read 8 MiB in 2 requests (4096 KiB, 1.50 ms each), written 1 MiB in 1; busy 75% of the"
        + " 200 ms, 1.5 requests there on average", line);
    assertTrue(HostLoad.describeDisk(new HostLoad.Snapshot(0, Optional.empty(), Map.of()),
        new HostLoad.Snapshot(1, Optional.of(after), Map.of())).isEmpty(), "no disk watched, no line");
  }

  @Test
  void shouldSayHowManyDatagramsArrivedAndHowManyWereDropped() {
    List<String> snmp = List.of(
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors",
        "Udp: 1000 5 7 2000 7 0 0 0 0",
        "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors",
        "UdpLite: 1 0 0 1 0 0 0 0 0");
    HostLoad.Udp before = HostLoad.parseUdp(snmp).orElseThrow();
    assertEquals(new HostLoad.Udp(1000, 7, 2000), before);
    // 990 datagrams arrived and 10 were dropped: 1 % of those that reached the host's socket.
    HostLoad.Udp after = new HostLoad.Udp(1990, 17, 2995);
    assertEquals("UDP: 990 datagrams received, 10 dropped for a full receive buffer (1.00%), 995 sent",
        HostLoad.describeUdp(new HostLoad.Snapshot(0, Optional.empty(), Optional.of(before), Map.of()),
            new HostLoad.Snapshot(1, Optional.empty(), Optional.of(after), Map.of())).orElseThrow());
    assertTrue(HostLoad.describeUdp(new HostLoad.Snapshot(0, Optional.empty(), Optional.of(before), Map.of()),
        new HostLoad.Snapshot(1, Optional.empty(), Optional.of(before), Map.of())).isEmpty(), "no datagram, no line");
    assertTrue(HostLoad.parseUdp(List.of("Ip: Forwarding", "Ip: 1")).isEmpty(), "no Udp counters, none read");
  }

  @Test
  void shouldReadThisHostsUdpCounters() {
    assertTrue(HostLoad.take(Optional.empty()).udp().isPresent(), "/proc/net/snmp has Udp counters on Linux");
  }

  @Test
  void shouldListTheBusiestThreadsOfEachNodeThatWorked() {
    Map<String, Map<Long, HostLoad.ThreadTime>> before = Map.of(
        "node-1", Map.of(1L, new HostLoad.ThreadTime("lane-0", 1000), 2L, new HostLoad.ThreadTime("front", 500)),
        "node-2", Map.of(3L, new HostLoad.ThreadTime("idle", 100)));
    Map<String, Map<Long, HostLoad.ThreadTime>> after = Map.of(
        // lane-0 ran 900 of the 1000 ms, front 200, and a thread started during the step 300.
        "node-1", Map.of(1L, new HostLoad.ThreadTime("lane-0", 1900), 2L, new HostLoad.ThreadTime("front", 700),
            4L, new HostLoad.ThreadTime("new", 300)),
        "node-2", Map.of(3L, new HostLoad.ThreadTime("idle", 150)));
    List<String> lines = HostLoad.describeThreads(new HostLoad.Snapshot(0, Optional.empty(), before),
        new HostLoad.Snapshot(1_000_000_000L, Optional.empty(), after), 2);
    assertEquals(List.of("node-1 used 1.4 cores; busiest threads: lane-0 90%, new 30%"), lines,
        "node-2 used under a tenth of a core over the step: left out");
  }

  @Test
  void shouldFindThisProcesssSpinningThreadByItsJavaName() throws Exception {
    long pid = ProcessHandle.current().pid();
    HostLoad.Snapshot a = HostLoad.take(Optional.empty(), Map.of("me", pid));
    CountDownLatch spun = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    // The spinner stays alive until the second snapshot: a thread that has ended is gone from /proc.
    Thread spinner = new Thread(() -> {
      spinForCpu();
      spun.countDown();
      awaitQuietly(done);
    }, "host-load-test-spinner");
    spinner.start();
    spun.await();
    HostLoad.Snapshot b = HostLoad.withJavaNames(HostLoad.take(Optional.empty(), Map.of("me", pid)), Map.of("me", pid));
    done.countDown();
    spinner.join();
    List<String> lines = HostLoad.describeThreads(a, b, 1);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("me used ") && lines.get(0).contains("busiest threads: host-load-test-"),
        "the spinner leads, by its Java name where jcmd runs (else its first 15 characters): " + lines);
  }

  @Test
  void shouldFindNoDiskForAPathThatDoesNotExist() {
    assertTrue(HostLoad.deviceOf(Path.of("/no/such/directory/here")).isEmpty());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Spins until this thread has used 800 ms of CPU: more than any other thread of the JVM over that time. */
  private static void spinForCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long x = 0;
    while (mx.getCurrentThreadCpuTime() < 800_000_000L) {
      for (int i = 0; i < 1_000_000; i++) x += i * 31L ^ (x >>> 3);
    }
    sink = x;
  }
}
