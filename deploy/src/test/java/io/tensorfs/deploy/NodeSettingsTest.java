package io.tensorfs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {
  @Test
  void shouldReadTheDefaultsWhenNothingIsSet() {
    NodeSettings s = NodeSettings.fromConfig(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(60), s.schemaStatementTimeout());
    assertEquals(Duration.ofMinutes(10), s.reconcileTimeout());
    assertEquals(Duration.ofSeconds(1), s.readinessRetryInterval());
    assertEquals(Duration.ofSeconds(5), s.edgeTerminateDeadline());
    assertEquals(Duration.ofSeconds(30), s.flushDeadline());
    assertEquals(Duration.ofSeconds(1), s.workerMinBackoff());
    assertEquals(Duration.ofSeconds(30), s.workerMaxBackoff());
  }

  @Test
  void shouldRefuseAFlushDeadlineWhenItsPhaseEndsFirst() {
    var config = ConfigFactory.parseString("tensorfs.node.shutdown.flush-deadline = 2m")
        .withFallback(ConfigFactory.load());
    var e = assertThrows(IllegalArgumentException.class, () -> NodeSettings.fromConfig(config));
    assertTrue(e.getMessage().contains("service-stop"), e.getMessage());
  }

  @Test
  void shouldRefuseATimeoutWhenItIsNotPositive() {
    var config = ConfigFactory.parseString("tensorfs.node.readiness-retry-interval = 0s")
        .withFallback(ConfigFactory.load());
    var e = assertThrows(IllegalArgumentException.class, () -> NodeSettings.fromConfig(config));
    assertTrue(e.getMessage().contains("readiness-retry-interval"), e.getMessage());
  }

  @Test
  void shouldRefuseBackoffWhenMaxIsBelowMin() {
    var config = ConfigFactory.parseString("tensorfs.node.worker-backoff { min = 10s, max = 1s }")
        .withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> NodeSettings.fromConfig(config));
  }

  @Test
  void shouldExitNonZeroWhenTheNodeFailedToStart() {
    String key = "pekko.coordinated-shutdown.reason-overrides.\"" + NodeGuardian.FailedToStart.class.getName()
        + "\".exit-code";
    assertEquals(1, ConfigFactory.load().getInt(key));
  }
}
