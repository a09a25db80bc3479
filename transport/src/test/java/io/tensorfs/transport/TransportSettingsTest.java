package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class TransportSettingsTest {
  @Test
  void shouldReadDefaultsWhenNothingIsConfigured() {
    TransportSettings s = TransportSettings.from(ConfigFactory.load());
    assertEquals("aeron", s.kind());
    assertEquals(0, s.port());
    assertEquals("udp", s.aeron().mode());
    assertFalse(s.aeron().embeddedDriver());
    assertEquals(65504, s.aeron().mtuBytes());
    assertEquals(64 << 20, s.aeron().termLengthBytes());
    assertEquals(4 << 20, s.aeron().socketBufferBytes());
    assertTrue(s.aeron().dir().contains("tensorfs-aeron-"), s.aeron().dir());
    assertEquals(4, s.tcp().streams());
    assertEquals(16L << 20, s.engine().windowBytes());
  }

  /** {@code tcp.lanes = auto} (the default) is one lane per 4 cores, 1 to 4; a number is taken as it is, within 1..16. */
  @Test
  void shouldReadTcpLanesAsAutoOrANumber() {
    assertEquals(TransportSettings.Tcp.autoLanes(Runtime.getRuntime().availableProcessors()),
        TransportSettings.from(ConfigFactory.load()).tcp().lanes());
    assertEquals(1, TransportSettings.Tcp.autoLanes(1));
    assertEquals(1, TransportSettings.Tcp.autoLanes(2));
    assertEquals(2, TransportSettings.Tcp.autoLanes(8));
    assertEquals(4, TransportSettings.Tcp.autoLanes(16));
    assertEquals(4, TransportSettings.Tcp.autoLanes(128));
    assertEquals(3, TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.tcp.lanes = 3").withFallback(ConfigFactory.load()))
        .tcp().lanes());
    for (String bad : new String[] {"0", "17"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
          ConfigFactory.parseString("tensorfs.transport.tcp.lanes = " + bad).withFallback(ConfigFactory.load())));
      assertTrue(e.getMessage().contains("tensorfs.transport.tcp.lanes"), e.getMessage());
    }
  }

  /** {@code aeron.lanes} is one by default; auto or a number within 1..16 as for TCP. */
  @Test
  void shouldReadAeronLanesAsAutoOrANumber() {
    assertEquals(1, TransportSettings.from(ConfigFactory.load()).aeron().lanes());
    assertEquals(TransportSettings.Tcp.autoLanes(Runtime.getRuntime().availableProcessors()), TransportSettings.from(
        ConfigFactory.parseString("tensorfs.transport.aeron.lanes = auto").withFallback(ConfigFactory.load())).aeron().lanes());
    assertEquals(4, TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.aeron.lanes = 4")
        .withFallback(ConfigFactory.load())).aeron().lanes());
    for (String bad : new String[] {"0", "17"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
          ConfigFactory.parseString("tensorfs.transport.aeron.lanes = " + bad).withFallback(ConfigFactory.load())));
      assertTrue(e.getMessage().contains("tensorfs.transport.aeron.lanes"), e.getMessage());
    }
  }

  @Test
  void shouldReadTheReceiverWindowAndRefuseOneTheSocketBufferCannotHold() {
    assertEquals(4 << 20, TransportSettings.from(ConfigFactory.load()).aeron().receiverWindowBytes());
    assertEquals(1 << 20, TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.aeron.receiver-window-bytes = 1 MiB")
        .withFallback(ConfigFactory.load())).aeron().receiverWindowBytes());
    IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
        ConfigFactory.parseString("tensorfs.transport.aeron.receiver-window-bytes = 8 MiB").withFallback(ConfigFactory.load())));
    assertTrue(tooBig.getMessage().contains("receiver-window-bytes") && tooBig.getMessage().contains("socket-buffer-bytes"),
        tooBig.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
        ConfigFactory.parseString("tensorfs.transport.aeron.receiver-window-bytes = 32 KiB").withFallback(ConfigFactory.load())),
        "a window below one datagram (mtu-bytes)");
  }

  @Test
  void shouldRejectUnknownKindWhenConfigured() {
    assertThrows(IllegalArgumentException.class,
        () -> TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.kind = infiniband").withFallback(ConfigFactory.load())));
  }

  @Test
  void shouldReadRdmaSettingsWhenKindIsRdmaOrAuto() {
    TransportSettings s = TransportSettings.from(ConfigFactory.parseString("tensorfs.transport { kind = auto, rdma.fallback = tcp }")
        .withFallback(ConfigFactory.load()));
    assertEquals("auto", s.kind());
    assertEquals("tcp", s.rdma().fallback());
    assertEquals(16, s.rdma().ringSlots());
    assertEquals(1 << 20, s.rdma().frameBytes());
    assertEquals(1, s.rdma().port());
    assertEquals("rdma", TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.kind = rdma").withFallback(ConfigFactory.load())).kind());
    assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
        ConfigFactory.parseString("tensorfs.transport.rdma.frame-bytes = 64 KiB").withFallback(ConfigFactory.load())), "a control frame must fit");
    assertThrows(IllegalArgumentException.class, () -> TransportSettings.from(
        ConfigFactory.parseString("tensorfs.transport.rdma.fallback = rdma").withFallback(ConfigFactory.load())));
  }
}
