package io.tensorfs.gateway.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FrontSettingsTest {
  @Test
  void shouldReadTheDefaultsWhenNothingIsSet() {
    FrontSettings s = FrontSettings.fromConfig(ConfigFactory.load());

    assertEquals(new FrontSettings(true, "127.0.0.1", 8080, 256, 64 * 1024, 4 * 1024 * 1024, Duration.ofSeconds(60)), s);
  }

  @Test
  void shouldReadOverridesWhenSet() {
    FrontSettings s = FrontSettings.fromConfig(ConfigFactory.parseString("""
        tensorfs.gateway.http.port = 9000
        tensorfs.gateway.front { enabled = off, max-connections = 8, max-head-bytes = 16 KiB,
          socket-send-buffer = 0, idle-timeout = 5s }
        """).withFallback(ConfigFactory.load()));

    assertEquals(new FrontSettings(false, "127.0.0.1", 9000, 8, 16 * 1024, 0, Duration.ofSeconds(5)), s);
  }

  @Test
  void shouldRefuseValuesWhenTheyCannotWork() {
    Duration minute = Duration.ofMinutes(1);
    assertThrows(IllegalArgumentException.class, () -> new FrontSettings(true, "h", 1, 0, 65536, 0, minute));
    assertThrows(IllegalArgumentException.class, () -> new FrontSettings(true, "h", 1, 1, 100, 0, minute));
    assertThrows(IllegalArgumentException.class, () -> new FrontSettings(true, "h", 1, 1, 65536, -1, minute));
    assertThrows(IllegalArgumentException.class, () -> new FrontSettings(true, "h", 1, 1, 65536, 0, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new FrontSettings(true, "h", 70000, 1, 65536, 0, minute));
  }
}
