package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ShardingSettingsTest {
  private final Config reference = ConfigFactory.load();

  @Test
  void shouldReadDefaultsWhenNothingIsConfigured() {
    ShardingSettings settings = ShardingSettings.from(reference);

    assertEquals(Duration.ofSeconds(10), settings.askTimeout());
    assertEquals("node-1", settings.nodeId());
  }

  @Test
  void shouldReadNodeIdWhenConfigured() {
    Config config = ConfigFactory.parseString("tensorfs.node.id = n7, tensorfs.sharding.ask-timeout = 2s")
        .withFallback(reference);

    assertEquals(new ShardingSettings(Duration.ofSeconds(2), "n7"), ShardingSettings.from(config));
  }

  @Test
  void shouldRejectNonPositiveTimeoutWhenConfigured() {
    Config config = ConfigFactory.parseString("tensorfs.sharding.ask-timeout = 0s").withFallback(reference);

    assertThrows(IllegalArgumentException.class, () -> ShardingSettings.from(config));
  }
}
