package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Finds TCP ports on the loopback address that nobody listens on right now.
 *
 * <p>A port found free can be taken by someone else before Cassandra binds it; start-up then fails with a
 * clear bind error in the log, which is the honest outcome on a machine this busy.
 */
public final class FreePorts {

  private static final int HIGHEST_PORT = 65535;

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

  /** A port the kernel picks from its ephemeral range. */
  public static int any() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on the loopback address", e);
    }
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
