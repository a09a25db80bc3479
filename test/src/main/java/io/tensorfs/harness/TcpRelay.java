package io.tensorfs.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Forwards TCP connections from one listening address to another, byte for byte, on daemon threads
 * (two per connection). Lets processes in a network namespace reach a server that listens only on the
 * host's loopback (Cassandra), through the host's address on their bridge.
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private TcpRelay(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
  }

  /** Listens on {@code host} (a free port) and forwards every connection to {@code target}. */
  public static TcpRelay start(String host, InetSocketAddress target) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
    TcpRelay relay = new TcpRelay(server, target);
    daemon("relay-accept", relay::acceptLoop).start();
    return relay;
  }

  /** {@code host:port} of the listening side. */
  public String address() {
    return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket in = server.accept();
        Socket out;
        try {
          out = new Socket(target.getAddress(), target.getPort());
        } catch (IOException refused) {
          closeQuietly(in);
          continue;
        }
        in.setTcpNoDelay(true);
        out.setTcpNoDelay(true);
        open.add(in);
        open.add(out);
        daemon("relay-up", () -> pump(in, out)).start();
        daemon("relay-down", () -> pump(out, in)).start();
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection drop
      }
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[64 << 10];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
    } catch (IOException e) {
      // either side went away
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) closeQuietly(s);
  }
}
