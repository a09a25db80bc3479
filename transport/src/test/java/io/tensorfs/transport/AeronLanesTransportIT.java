package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.MediaDriver;
import io.tensorfs.transport.internal.AeronDrivers;
import java.io.File;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contract over Aeron UDP with several lanes on each side, and a different number on each (3 serving, 2
 * fetching), so that lane i of one side talks to lane i modulo 3 of the other; then what lanes add: an endpoint
 * that names them, transfers spread over them, peers of one lane and of several reaching each other, over UDP
 * and over IPC.
 */
class AeronLanesTransportIT extends AeronUdpTransportIT {
  @Override
  int serverLanes() {
    return 3;
  }

  @Override
  int clientLanes() {
    return 2;
  }

  @Test
  void shouldNameEveryLanesPortAndStreamInItsEndpoint() {
    List<String> own = assertEndpointNamesThreeLanes("&");
    assertEquals(3, own.stream().map(e -> e.substring(0, e.indexOf('?'))).distinct().count(), "each lane has its own port: " + own);
    assertEquals(3, own.stream().map(e -> e.substring(e.indexOf("&ipc="))).distinct().count(), "each lane has its own IPC stream: " + own);
  }

  /** With a fixed port, lane i listens on port + i: a port that leaves no room for every lane is refused, naming both settings. */
  @Test
  void shouldRefuseAPortThatLeavesNoRoomForEveryLane() {
    TransportSettings high = TransportSettings.from(base("tensorfs.transport { kind = aeron, port = 65534, aeron.lanes = 3 }"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AeronTransport.start(high, materializer, new FakeChunkService(1024), SECRET));
    assertTrue(e.getMessage().contains("tensorfs.transport.port 65534") && e.getMessage().contains("aeron.lanes 3"), e.getMessage());
  }

  /** A list of lanes that does not parse leaves the peer one lane, reached at its endpoint without the list (its first lane's). */
  @Test
  void shouldReachAPeerAtItsFirstLaneWhenItsLaneListDoesNotParse() {
    String base = "aeron-udp://10.0.0.1:7000?driver=d1&ipc=1073741840";
    assertArrayEquals(new String[] {base}, client.laneEndpoints(base + "&lanes=7000:16,x"));
    assertArrayEquals(new String[] {base}, client.laneEndpoints(base + "&lanes=70000:16"));
    assertArrayEquals(new String[] {base}, client.laneEndpoints(base + "&lanes=7000"), "no stream");
    assertArrayEquals(new String[] {base}, client.laneEndpoints(base));
    assertArrayEquals(new String[] {"aeron-udp://[::1]:7000?driver=d1&ipc=16", "aeron-udp://[::1]:7001?driver=d1&ipc=17"},
        client.laneEndpoints("aeron-udp://[::1]:7000?driver=d1&ipc=16&lanes=7000:16,7001:17"));
    assertArrayEquals(new String[] {"aeron-ipc://d1/16", "aeron-ipc://d1/17"}, client.laneEndpoints("aeron-ipc://d1/16?lanes=16,17"));
    assertArrayEquals(new String[] {"aeron-ipc://d1/16"}, client.laneEndpoints("aeron-ipc://d1/16?lanes=16,-1"));
    assertArrayEquals(new String[] {"tcp://h:1"}, client.laneEndpoints("tcp://h:1?lanes=1,2"), "no Aeron endpoint: left to the wire");
  }

  /**
   * Fetches started at once go on the lanes in turn: with 2 lanes, 6 fetches bring 3 fetches' frames to each
   * lane (polled and landed by its own thread), every byte exact.
   */
  @Test
  void shouldSpreadFetchesOverItsLanes() throws Exception {
    int size = (int) (8 * MIB + 4099);
    long[] received = fetchSixAtOnce(size, ((AeronTransport) client)::receivedBytesPerLane);
    for (int lane = 0; lane < 2; lane++) {
      // 3 fetches' payload bytes plus a header per frame and the few control frames of their transfers
      assertTrue(received[lane] >= 3L * size && received[lane] < 3L * size + 3L * size / 100,
          "bytes received on lane " + lane + ": " + received[lane]);
    }
  }

  /** A node of one lane fetches from a node of several (at its first lane), and one of several from one of one lane. */
  @Test
  void shouldReachAndBeReachedByAPeerOfOneLane() throws Exception {
    FakeChunkService single = new FakeChunkService(256 * 1024);
    String dir = dir("one-lane");
    try (AeronTransport oneLane = AeronTransport.start(settings(dir, 1), materializer, single, SECRET)) {
      assertEquals(-1, oneLane.localEndpoint().indexOf("lanes="), "one lane: a plain endpoint " + oneLane.localEndpoint());
      assertOneLaneAndSeveralReachEachOther(oneLane, single);
    } finally {
      AeronTestDirs.assertRemoved(dir);
    }
  }

  /** Over IPC (peers on one driver), lanes are streams: a node of 3 lanes and one of 1 fetch from each other. */
  @Test
  void shouldReachPeersOverIpcLaneByLane() throws Exception {
    int size = (int) (4 * MIB + 1);
    served.held.put(chunk(41), (long) size);
    String dir = new File(System.getProperty("java.io.tmpdir"), "tensorfs-ipc-lanes-test-" + UUID.randomUUID()).getPath();
    FakeChunkService single = new FakeChunkService(256 * 1024);
    single.held.put(chunk(42), (long) size);
    try (MediaDriver driver = MediaDriver.launch(AeronDrivers.context(ipc(dir, 3).aeron()))) {
      try (AeronTransport many = AeronTransport.start(ipc(dir, 3), materializer, served, SECRET);
          AeronTransport oneLane = AeronTransport.start(ipc(dir, 1), materializer, single, SECRET)) {
        assertTrue(many.localEndpoint().startsWith("aeron-ipc://") && many.localEndpoint().contains("?lanes="), many.localEndpoint());
        assertEquals(3, many.laneEndpoints(many.localEndpoint()).length, many.localEndpoint());
        for (int i = 0; i < 3; i++) {
          assertFetchedExact(oneLane, many, chunk(41), size, "fetched from the node of 3 lanes");
          assertFetchedExact(many, oneLane, chunk(42), size, "fetched from the node of one lane");
        }
      }
    } finally {
      AeronTestDirs.assertRemoved(dir);
    }
  }

  private static TransportSettings ipc(String dir, int lanes) {
    return TransportSettings.from(base("tensorfs.transport { kind = aeron, aeron { dir = \"" + dir
        + "\", mode = ipc, embedded-driver = off, term-length-bytes = 16 MiB, ipc-term-length-bytes = 16 MiB, lanes = " + lanes + " } }"));
  }
}
