package io.tensorfs.deploy.cassandra;

import io.tensorfs.core.Sysctl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds TCP ports on the loopback address that nobody listens on right now.
 *
 * <p>A port found free can be taken by someone else before Cassandra binds it; start-up then fails with a
 * clear bind error in the log, which is the honest outcome on a machine this busy.
 */
public final class FreePorts {

  private static final int HIGHEST_PORT = 65535;
  /** The lowest port {@link #any} picks: above the well-known and most registered services' ports. */
  private static final int LOWEST_PICKED = 20_000;
  /** Where {@link #any} looks next, so that two picks in one JVM do not return the same port. */
  private static final AtomicInteger NEXT = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

  private FreePorts() {
  }

  /** Whether {@code port} can be bound on 127.0.0.1 at this moment. */
  public static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A free port below the kernel's ephemeral range ({@code ip_local_port_range}), which the kernel never hands
   * out on its own. A port in that range can be taken while its server is down: a client reconnecting to it
   * on this host may get that very port as its own source port and connect to itself (TCP simultaneous
   * open), holding it, so the restarted server cannot bind it (seen with a killed ring member, restarted).
   */
  public static int any() {
    int low = LOWEST_PICKED;
    int high = ephemeralLow();
    for (int tries = 0; tries < high - low; tries++) {
      int port = low + Math.floorMod(NEXT.getAndIncrement(), high - low);
      if (isFree(port)) {
        return port;
      }
    }
    throw new UncheckedIOException(new IOException("no free TCP port in " + low + ".." + high + " on the loopback address"));
  }

  /** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
  static int ephemeralLow() {
    OptionalLong low = Sysctl.firstNumber("net/ipv4/ip_local_port_range");
    return low.isPresent() ? (int) Math.max(LOWEST_PICKED + 1_000, low.getAsLong()) : 32_768;
  }

  /** {@code preferred} if it is free, else the next free port above it. */
  public static int firstFreeFrom(int preferred) {
    for (int port = preferred; port <= HIGHEST_PORT; port++) {
      if (isFree(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free TCP port at or above " + preferred);
  }

  /** {@code wanted} if it is positive and free, else any free port. */
  public static int wantedOrAny(int wanted) {
    return wanted > 0 && isFree(wanted) ? wanted : any();
  }
}
