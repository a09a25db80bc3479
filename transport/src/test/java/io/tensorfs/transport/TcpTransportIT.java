package io.tensorfs.transport;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.security.ClusterSecret;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The contract over TCP with 4 streams on one lane. The serving side lends its runs from a page pool that its transport
 * writes from in place (as a node's pool), so every fetch test also checks the sends from pages.
 */
class TcpTransportIT extends TransportContract {
  /** The serving side's page pool: taken once, as a node's is, and never freed (one per JVM, as a node has). */
  static final PagePool POOL = PagePool.allocate(PagePoolSettings.regular(192 * MIB, (int) (2 * MIB)));

  @Override
  void startPair() {
    served.pool = POOL;
    server = TcpTransport.start(settings(serverLanes()), materializer, served, SECRET, new MemoryRegions(POOL.regions()));
    client = TcpTransport.start(settings(clientLanes()), materializer, clientService, SECRET);
  }

  /** Lanes of the serving side and of the fetching one (and the intruder); one here. */
  int serverLanes() {
    return 1;
  }

  int clientLanes() {
    return 1;
  }

  static TransportSettings settings(int lanes) {
    return TransportSettings.from(base("tensorfs.transport { kind = tcp, tcp.streams = 4, tcp.lanes = " + lanes + " }"));
  }

  @Override
  void startIntruder(ClusterSecret secret) {
    intruder = TcpTransport.start(settings(clientLanes()), materializer, new FakeChunkService(1024), secret);
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

  /**
   * Every payload of runs lent from the pool is written to the socket from its page (none copied into a
   * connection's buffer), and every run goes back exactly once, after its bytes were written.
   */
  @Test
  void shouldWriteEveryPayloadLentFromThePoolFromItsPage() throws Exception {
    int size = (int) (24 * MIB + 777);
    served.held.put(chunk(31), (long) size);
    ByteBuffer pages = ByteBuffer.allocateDirect(size);
    long sentBefore = ((TcpTransport) server).sentInPlaceBytes();
    long pooledBefore = served.lentFromPool.get();
    long lentBefore = served.lentRuns.get();

    assertEquals(new Fetched(size, null), await(client.fetchInto(server.localEndpoint(), chunk(31), 0, pages)));

    assertEquals(served.lentRuns.get() - lentBefore, served.lentFromPool.get() - pooledBefore, "every run lent from the pool");
    assertEquals(size, ((TcpTransport) server).sentInPlaceBytes() - sentBefore, "payload bytes written from their pages");
    assertEquals(-1, firstWrong(pages, 0, 0, size), "first wrong byte");
    awaitRunsReleased();
  }
}
