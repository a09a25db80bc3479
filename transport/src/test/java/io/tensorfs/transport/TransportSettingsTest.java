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

  @Test
  void shouldRejectUnknownKindWhenConfigured() {
    assertThrows(IllegalArgumentException.class,
        () -> TransportSettings.from(ConfigFactory.parseString("tensorfs.transport.kind = rdma").withFallback(ConfigFactory.load())));
  }
}
