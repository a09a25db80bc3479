package io.tensorfs.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Linux network namespaces joined by a bridge in the host's namespace, as if each were its own host on
 * one subnet: namespace {@code i} (0-based) has address {@link #address(int)}, the host's side of the
 * bridge {@link #hostAddress()}, and each namespace its loopback up. Needs root and the {@code ip}
 * command ({@code tc} for {@link #limit(int, long)}); {@link #close()} removes everything (and a shutdown
 * hook does, should a test never close it). Thread-safe; its methods run commands and wait for them.
 */
public final class NetworkNamespaces implements AutoCloseable {
  private final String tag;
  private final String subnet;
  private final List<String> names = new ArrayList<>();
  /** The namespaces whose link {@link #limit(int, long)} shapes. */
  private final Set<Integer> limited = new HashSet<>();
  private final Thread cleanupAtExit = new Thread(this::removeQuietly, "netns-cleanup");
  private final int linkMtuBytes;
  private boolean removed;

  private NetworkNamespaces(int count, int linkMtuBytes) {
    this.linkMtuBytes = linkMtuBytes;
    this.tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    this.subnet = "10.231." + ThreadLocalRandom.current().nextInt(1, 250) + ".";
    for (int i = 0; i < count; i++) names.add("tfs" + tag + "-" + i);
  }

  /**
   * Creates {@code count} namespaces on a fresh bridge; fails with the {@code ip} command's own words
   * when this machine does not allow it (not root, no namespace support), having removed what it made.
   */
  public static NetworkNamespaces create(int count) throws IOException, InterruptedException {
    return create(count, 0);
  }

  /**
   * {@link #create(int)} with links of {@code linkMtuBytes} (0: the kernel's default, 1500), as hosts on a
   * network with jumbo frames (9000).
   */
  public static NetworkNamespaces create(int count, int linkMtuBytes) throws IOException, InterruptedException {
    NetworkNamespaces n = new NetworkNamespaces(count, linkMtuBytes);
    Runtime.getRuntime().addShutdownHook(n.cleanupAtExit);
    try {
      n.build();
    } catch (IOException | RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  private void build() throws IOException, InterruptedException {
    String bridge = bridge();
    ip("link", "add", bridge, "type", "bridge");
    ip("addr", "add", hostAddress() + "/24", "dev", bridge);
    ip("link", "set", bridge, "up");
    for (int i = 0; i < names.size(); i++) {
      String ns = names.get(i);
      String outside = outside(i);
      String inside = inside(i);
      ip("netns", "add", ns);
      ip("link", "add", outside, "type", "veth", "peer", "name", inside);
      ip("link", "set", inside, "netns", ns);
      if (linkMtuBytes > 0) {
        ip("link", "set", outside, "mtu", Integer.toString(linkMtuBytes));
        ip("-n", ns, "link", "set", inside, "mtu", Integer.toString(linkMtuBytes));
      }
      ip("link", "set", outside, "master", bridge);
      ip("link", "set", outside, "up");
      ip("-n", ns, "addr", "add", address(i) + "/24", "dev", inside);
      ip("-n", ns, "link", "set", inside, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
  }

  /** The name of namespace {@code i}. */
  public String name(int i) {
    return names.get(i);
  }

  /** The address of namespace {@code i} on the bridge. */
  public String address(int i) {
    return subnet + (i + 2);
  }

  /** The host namespace's address on the bridge: what processes in the namespaces reach the host at. */
  public String hostAddress() {
    return subnet + "1";
  }

  /** The number of namespaces. */
  public int size() {
    return names.size();
  }

  /**
   * Bytes namespace {@code i} has sent onto the bridge since it was made (every packet it sent, headers
   * included): the receive counter of its link's end in the host's namespace.
   */
  public long sentBytes(int i) throws IOException {
    Path counter = Path.of("/sys/class/net", outside(i), "statistics", "rx_bytes");
    return Long.parseLong(Files.readString(counter).strip());
  }

  /**
   * A counter of namespace {@code i}'s network stack from {@code /proc/net/snmp} as seen inside it, e.g.
   * {@code ("Udp", "RcvbufErrors")}: datagrams dropped because a socket's receive buffer was full.
   */
  public long snmp(int i, String group, String name) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(launcher(i));
    command.addAll(List.of("cat", "/proc/net/snmp"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(command + " failed: " + lines);
    OptionalLong value = snmpCounter(lines, group, name);
    if (value.isEmpty()) throw new IOException("no " + group + " " + name + " in /proc/net/snmp of " + names.get(i));
    return value.getAsLong();
  }

  /**
   * A counter from the text of {@code /proc/net/snmp}, where each group is a line of names and a line of
   * values, both starting {@code group:}; empty where the group has no such counter.
   */
  public static OptionalLong snmpCounter(List<String> snmp, String group, String name) {
    String prefix = group + ":";
    for (int l = 0; l + 1 < snmp.size(); l++) {
      if (!snmp.get(l).startsWith(prefix) || !snmp.get(l + 1).startsWith(prefix)) continue;
      List<String> fields = List.of(snmp.get(l).split("\\s+"));
      String[] values = snmp.get(l + 1).split("\\s+");
      int at = fields.indexOf(name);
      if (at > 0 && at < values.length) return OptionalLong.of(Long.parseLong(values[at]));
    }
    return OptionalLong.empty();
  }

  /**
   * Shapes what namespace {@code i} sends to {@code bitsPerSecond} (a token bucket on its link, packets
   * queued up to two seconds' worth rather than dropped), as a host on a slow link: lets a test catch a
   * transfer from it in the middle. {@link #unlimit(int)} takes it off.
   */
  public synchronized void limit(int i, long bitsPerSecond) throws IOException, InterruptedException {
    limited.add(i);
    exec(i, "tc", "qdisc", "replace", "dev", inside(i), "root", "tbf", "rate", bitsPerSecond + "bit",
        "burst", "256kb", "latency", "2s");
  }

  /** Takes the limit of {@link #limit(int, long)} off namespace {@code i}'s link; nothing when it has none. */
  public synchronized void unlimit(int i) throws IOException, InterruptedException {
    if (!limited.remove(i)) return;
    exec(i, "tc", "qdisc", "del", "dev", inside(i), "root");
  }

  /** The words that run a command inside namespace {@code i}. */
  public List<String> launcher(int i) {
    return List.of("ip", "netns", "exec", names.get(i));
  }

  /** The link of namespace {@code i} inside it. */
  private String inside(int i) {
    return "tfs" + tag + "n" + i;
  }

  /** The host's end of namespace {@code i}'s link, on the bridge. */
  private String outside(int i) {
    return "tfs" + tag + "h" + i;
  }

  private String bridge() {
    return "tfs" + tag + "br";
  }

  @Override
  public void close() {
    removeQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
    } catch (IllegalStateException exiting) {
      // the JVM is shutting down: the hook runs or has run
    }
  }

  private synchronized void removeQuietly() {
    if (removed) return;
    removed = true;
    // Deleting a namespace deletes the veth end inside it, and with it the host's end.
    for (String ns : names) run(List.of("ip", "netns", "del", ns));
    run(List.of("ip", "link", "del", bridge()));
  }

  private static void ip(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    check(command);
  }

  /** Runs {@code args} inside namespace {@code i}; fails with the command's own words. */
  private void exec(int i, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(launcher(i));
    command.addAll(List.of(args));
    check(command);
  }

  private static void check(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out.strip());
    }
  }

  private static void run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      // nothing to remove, or no ip command
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
