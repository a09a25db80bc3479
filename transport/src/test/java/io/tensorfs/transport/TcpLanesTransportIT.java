package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract and the TCP tests (payloads read into pages and written from them in place) with several
 * lanes on each side, and a different number on each (3 serving, 2 fetching), so that lane i of one side
 * talks to lane i modulo 3 of the other; then what lanes add: an endpoint that names them, transfers spread
 * over them, and peers of one lane and of several reaching each other.
 */
class TcpLanesTransportIT extends TcpTransportIT {
  @Override
  int serverLanes() {
    return 3;
  }

  @Override
  int clientLanes() {
    return 2;
  }

  @Test
  void shouldNameEveryLanesPortInItsEndpoint() {
    List<String> own = assertEndpointNamesThreeLanes("?");
    assertEquals(3, own.stream().distinct().count(), "each lane listens on its own port: " + own);
  }

  /** With a fixed port, lane i listens on port + i: a port that leaves no room for every lane is refused, naming both settings. */
  @Test
  void shouldRefuseAPortThatLeavesNoRoomForEveryLane() {
    TransportSettings high = TransportSettings.from(base("tensorfs.transport { kind = tcp, port = 65534, tcp.lanes = 3 }"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TcpTransport.start(high, materializer, new FakeChunkService(1024), SECRET));
    assertTrue(e.getMessage().contains("tensorfs.transport.port 65534") && e.getMessage().contains("tcp.lanes 3"), e.getMessage());
  }

  /** A list of lanes that does not parse leaves the peer one lane, reached at its first lane's address. */
  @Test
  void shouldReachAPeerAtItsFirstLaneWhenItsLaneListDoesNotParse() {
    assertArrayEquals(new String[] {"tcp://10.0.0.1:7000"}, client.laneEndpoints("tcp://10.0.0.1:7000?lanes=7000,x"));
    assertArrayEquals(new String[] {"tcp://10.0.0.1:7000"}, client.laneEndpoints("tcp://10.0.0.1:7000?lanes=7000,70000"));
    assertArrayEquals(new String[] {"tcp://10.0.0.1:7000"}, client.laneEndpoints("tcp://10.0.0.1:7000"));
    assertArrayEquals(new String[] {"tcp://[::1]:7000", "tcp://[::1]:7001"}, client.laneEndpoints("tcp://[::1]:7000?lanes=7000,7001"));
    assertArrayEquals(new String[] {"aeron-udp://h:1?x=1"}, client.laneEndpoints("aeron-udp://h:1?x=1"), "no TCP endpoint: left to the wire");
  }

  /**
   * Fetches started at once go on the lanes in turn: with 2 lanes, 6 fetches land 3 fetches' bytes on each
   * lane (read from its socket by its own thread), every byte exact.
   */
  @Test
  void shouldSpreadFetchesOverItsLanes() throws Exception {
    int size = (int) (8 * MIB + 4099);
    long[] landed = fetchSixAtOnce(size, ((TcpTransport) client)::landedBytesPerLane);
    for (int lane = 0; lane < 2; lane++) assertEquals(3L * size, landed[lane], "bytes landed on lane " + lane);
  }

  /** A node of one lane fetches from a node of several (at its first lane), and one of several from one of one lane. */
  @Test
  void shouldReachAndBeReachedByAPeerOfOneLane() throws Exception {
    FakeChunkService single = new FakeChunkService(256 * 1024);
    try (TcpTransport oneLane = TcpTransport.start(settings(1), materializer, single, SECRET)) {
      assertEquals(-1, oneLane.localEndpoint().indexOf('?'), "one lane: a plain endpoint " + oneLane.localEndpoint());
      assertOneLaneAndSeveralReachEachOther(oneLane, single);
    }
  }
}
