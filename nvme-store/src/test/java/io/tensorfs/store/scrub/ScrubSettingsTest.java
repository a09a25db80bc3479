package io.tensorfs.store.scrub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScrubSettingsTest {
  @Test
  void shouldReadTheDefaultsFromReferenceConf() {
    ScrubSettings s = ScrubSettings.fromConfig(ConfigFactory.load());

    assertTrue(s.enabled());
    assertEquals(32L << 20, s.bytesPerSecond());
    assertEquals(1 << 20, s.segmentBytes());
    assertEquals(Duration.ofMinutes(10), s.initialDelay());
    assertEquals(Duration.ofHours(24), s.interval());
  }

  @Test
  void shouldRejectANonPositiveRateOrInterval() {
    var zeroRate = ConfigFactory.parseString("tensorfs.store.scrub.bytes-per-second = 0")
        .withFallback(ConfigFactory.load());
    var zeroInterval = ConfigFactory.parseString("tensorfs.store.scrub.interval = 0s")
        .withFallback(ConfigFactory.load());

    var e = assertThrows(IllegalArgumentException.class, () -> ScrubSettings.fromConfig(zeroRate));
    assertTrue(e.getMessage().contains("bytes-per-second"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ScrubSettings.fromConfig(zeroInterval));
  }
}
