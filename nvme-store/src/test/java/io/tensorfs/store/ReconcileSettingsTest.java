package io.tensorfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconcileSettingsTest {

  @Test
  void shouldReadTheDefaultsWhenNothingIsSet() {
    assertEquals(ReconcileSettings.defaults(), ReconcileSettings.fromConfig(ConfigFactory.load()));
    assertEquals(Duration.ofHours(1), ReconcileSettings.defaults().orphanGrace());
  }

  @Test
  void shouldDoubleTheWaitUpToTheMaximumWhenAskingAgain() {
    ReconcileSettings s = new ReconcileSettings(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofMinutes(1));
    assertEquals(Duration.ofSeconds(1), s.retryDelay(1));
    assertEquals(Duration.ofSeconds(2), s.retryDelay(2));
    assertEquals(Duration.ofSeconds(4), s.retryDelay(3));
    assertEquals(Duration.ofSeconds(5), s.retryDelay(4));
    assertEquals(Duration.ofSeconds(5), s.retryDelay(1000));
  }

  @Test
  void shouldRejectWhenADurationIsNotPositiveOrTheMaximumIsBelowTheMinimum() {
    assertThrows(IllegalArgumentException.class, () -> new ReconcileSettings(Duration.ZERO, Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofMinutes(1)));
    assertThrows(IllegalArgumentException.class, () -> new ReconcileSettings(Duration.ofHours(1),
        Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMinutes(1)));
  }
}
