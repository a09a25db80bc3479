package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PeerTest {
  @Test
  void shouldLabelAPeerByItsAddressWithoutTheDriverAndSessionOfThisRun() {
    assertEquals("aeron-udp://127.0.0.1:54226",
        Peer.address("aeron-udp://127.0.0.1:54226?driver=6905-1a22b46f7d0&ipc=1073741825"));
    assertEquals("tcp://10.0.0.2:7000", Peer.address("tcp://10.0.0.2:7000"));
  }
}
