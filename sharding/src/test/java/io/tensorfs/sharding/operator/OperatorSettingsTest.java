package io.tensorfs.sharding.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OperatorSettingsTest {
  private final Config reference = ConfigFactory.load();

  @Test
  void shouldReadDefaultsWhenNothingIsConfigured() {
    OperatorSettings s = OperatorSettings.fromConfig(reference);

    assertEquals(new OperatorSettings(4, 4 << 20, Duration.ofSeconds(60), 4, Duration.ofSeconds(10),
        Duration.ofMinutes(30), 4), s);
  }

  @Test
  void shouldReadOverridesWhenConfigured() {
    Config config = ConfigFactory.parseString("""
        tensorfs.operator.write-batch = 1 MiB
        tensorfs.operator.remote-collect-delay = 1s
        tensorfs.operator.hint-timeout = 2m
        """).withFallback(reference);

    OperatorSettings s = OperatorSettings.fromConfig(config);

    assertEquals(1 << 20, s.writeBatchBytes());
    assertEquals(Duration.ofSeconds(1), s.remoteCollectDelay());
    assertEquals(Duration.ofMinutes(2), s.hintTimeout());
  }

  @Test
  void shouldRejectSettingsThatCannotWorkWhenConfigured() {
    for (String bad : new String[] {"read-ahead-segments = 0", "write-batch = 0", "status-attempts = 0",
        "find-timeout = 0s", "hint-timeout = 0s", "remote-collect-delay = -1s", "read-ahead = 0"}) {
      Config config = ConfigFactory.parseString("tensorfs.operator." + bad).withFallback(reference);
      assertThrows(IllegalArgumentException.class, () -> OperatorSettings.fromConfig(config), bad);
    }
  }
}
