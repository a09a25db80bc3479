package io.tensorfs.transport;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.security.ClusterSecret;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TcpTransportIT extends TransportContract {
  @Override
  void startPair() {
    server = TcpTransport.start(settings(), materializer, served, SECRET);
    client = TcpTransport.start(settings(), materializer, clientService, SECRET);
  }

  private static TransportSettings settings() {
    return TransportSettings.from(base("tensorfs.transport { kind = tcp, tcp.streams = 4 }"));
  }

  @Override
  void startIntruder(ClusterSecret secret) {
    intruder = TcpTransport.start(settings(), materializer, new FakeChunkService(1024), secret);
  }

  @Override
  void cleanUp() {}

  @Override
  String expectedKind() {
    return "tcp";
  }

  /**
   * Every payload of a fetch into pages is read from its socket straight to its place there: the wire never
   * reads a byte of it into a connection's buffer (only each frame's header), and the bytes arrive exact.
   */
  @Test
  void shouldReadEveryPayloadOfAFetchIntoPagesStraightFromTheSocket() throws Exception {
    int size = (int) (24 * MIB + 777);
    served.held.put(chunk(30), (long) size);
    ByteBuffer pages = ByteBuffer.allocateDirect(size + 100);
    pages.position(100);
    long before = ((TcpTransport) client).landedBytes();

    assertEquals(new Fetched(size, null), await(client.fetchInto(server.localEndpoint(), chunk(30), 0, pages)));

    assertEquals(size, ((TcpTransport) client).landedBytes() - before, "payload bytes read straight into the pages");
    assertEquals(-1, firstWrong(pages, 100, 0, size), "first wrong byte");
    assertUntouched(pages, 0, 100);
  }
}
