package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadDemandTest {
  private static final long SECOND = 1_000_000_000L;
  /** Reports every second, 10 reads/s per replica, 5 s to cool down. */
  private static final ElasticSettings SETTINGS =
      new ElasticSettings(Duration.ofSeconds(1), 10, Duration.ofSeconds(5), Duration.ofSeconds(3));

  @Test
  void shouldAskForOneReplicaPerReadsPerReplicaWithinMinAndMax() {
    ReadDemand demand = new ReadDemand(SETTINGS, 1);
    long now = 100 * SECOND;

    assertEquals(1, demand.wanted(now, 1, 4), "no reads: min");
    demand.report("a", 25, 1000, now);
    assertEquals(25.0, demand.readsPerSecond(now), 1e-9);
    assertEquals(3, demand.wanted(now, 1, 4), "25 reads/s at 10 per replica");
    demand.report("b", 400, 2000, now);
    assertEquals(225.0, demand.readsPerSecond(now), 1e-9, "rates add up over nodes");
    assertEquals(4, demand.wanted(now, 1, 4), "never above max");
  }

  @Test
  void shouldRiseAtOnceAndFallOnlyAfterDemandStayedLowForCoolAfter() {
    ReadDemand demand = new ReadDemand(SETTINGS, 1);
    long t = 100 * SECOND;
    demand.report("a", 40, 1000, t);
    assertEquals(4, demand.wanted(t, 1, 8));

    // Demand drops to 10 reads/s: still 4 for the cool-down, then 1.
    demand.report("a", 10, 1000, t + SECOND);
    assertEquals(4, demand.wanted(t + SECOND, 1, 8));
    demand.report("a", 10, 1000, t + 3 * SECOND);
    assertEquals(4, demand.wanted(t + 3 * SECOND, 1, 8));
    demand.report("a", 10, 1000, t + 6 * SECOND);
    assertEquals(1, demand.wanted(t + 6 * SECOND, 1, 8), "lower for 5 s: down");

    // A burst in between resets the cool-down.
    demand.report("a", 30, 1000, t + 7 * SECOND);
    assertEquals(3, demand.wanted(t + 7 * SECOND, 1, 8));
    demand.report("a", 0, 1000, t + 8 * SECOND);
    assertEquals(3, demand.wanted(t + 8 * SECOND, 1, 8));
    demand.report("a", 30, 1000, t + 9 * SECOND);
    assertEquals(3, demand.wanted(t + 9 * SECOND, 1, 8));
    demand.report("a", 0, 1000, t + 10 * SECOND);
    assertEquals(3, demand.wanted(t + 12 * SECOND, 1, 8), "the burst at 9 s started the cool-down over");
  }

  @Test
  void shouldForgetNodesThatStoppedReporting() {
    ReadDemand demand = new ReadDemand(SETTINGS, 2);
    long t = 100 * SECOND;
    demand.report("a", 5, 1000, t);
    demand.report("b", 50, 1000, t);
    demand.report("c", 20, 1000, t + SECOND);

    assertEquals(List.of("b", "c", "a"), demand.readers(t + SECOND), "most reads first");
    assertTrue(demand.active(t + 3 * SECOND));
    assertEquals(List.of("c"), demand.readers(t + 3 * SECOND), "a and b silent for 3 intervals");
    assertEquals(20.0, demand.readsPerSecond(t + 3 * SECOND), 1e-9);
    assertFalse(demand.active(t + 10 * SECOND));
    assertEquals(0.0, demand.readsPerSecond(t + 10 * SECOND), 1e-9);
    assertEquals(2, demand.wanted(), "starts at min");
  }

  @Test
  void shouldReadSettingsAndRejectALeaseShorterThanTwoIntervals() {
    ElasticSettings defaults = ElasticSettings.fromConfig(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(1), defaults.reportInterval());
    assertEquals(50.0, defaults.readsPerReplica(), 1e-9);

    assertThrows(IllegalArgumentException.class,
        () -> new ElasticSettings(Duration.ofSeconds(2), 10, Duration.ofSeconds(5), Duration.ofSeconds(3)));
    assertThrows(IllegalArgumentException.class,
        () -> new ElasticSettings(Duration.ofSeconds(1), 0, Duration.ofSeconds(5), Duration.ofSeconds(3)));
  }
}
