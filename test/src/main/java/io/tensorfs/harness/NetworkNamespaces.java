package io.tensorfs.harness;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Linux network namespaces joined by a bridge in the host's namespace, as if each were its own host on
 * one subnet: namespace {@code i} (0-based) has address {@link #address(int)}, the host's side of the
 * bridge {@link #hostAddress()}, and each namespace its loopback up. Needs root and the {@code ip}
 * command; {@link #close()} removes everything (and a shutdown hook does, should a test never close it).
 */
public final class NetworkNamespaces implements AutoCloseable {
  private final String tag;
  private final String subnet;
  private final List<String> names = new ArrayList<>();
  private final Thread cleanupAtExit = new Thread(this::removeQuietly, "netns-cleanup");
  private boolean removed;

  private NetworkNamespaces(int count) {
    this.tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    this.subnet = "10.231." + ThreadLocalRandom.current().nextInt(1, 250) + ".";
    for (int i = 0; i < count; i++) names.add("tfs" + tag + "-" + i);
  }

  /**
   * Creates {@code count} namespaces on a fresh bridge; fails with the {@code ip} command's own words
   * when this machine does not allow it (not root, no namespace support), having removed what it made.
   */
  public static NetworkNamespaces create(int count) throws IOException, InterruptedException {
    NetworkNamespaces n = new NetworkNamespaces(count);
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
      String outside = "tfs" + tag + "h" + i;
      String inside = "tfs" + tag + "n" + i;
      ip("netns", "add", ns);
      ip("link", "add", outside, "type", "veth", "peer", "name", inside);
      ip("link", "set", inside, "netns", ns);
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

  /** The words that run a command inside namespace {@code i}. */
  public List<String> launcher(int i) {
    return List.of("ip", "netns", "exec", names.get(i));
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
