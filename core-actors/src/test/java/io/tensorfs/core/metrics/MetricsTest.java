package io.tensorfs.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.metrics.internal.NoInstruments;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The facade through Kamon to Prometheus text, and its switch. */
class MetricsTest {
  private static final Config CONFIG = ConfigFactory.parseString("tensorfs.metrics.tick-interval = 100ms")
      .withFallback(ConfigFactory.load());

  @BeforeAll
  static void start() {
    MetricsReporting.start(CONFIG);
  }

  @AfterAll
  static void stop() {
    MetricsReporting.stop();
  }

  @Test
  void shouldExportCountersWithTheirUnitAndTags() throws Exception {
    Counter requests = Metrics.counter("tensorfs.test.requests", "a test metric", Unit.NONE, Tags.of("api", "http", "status", "200"));
    Counter bytes = Metrics.counter("tensorfs.test.served", "a test metric", Unit.BYTES, Tags.of("source", "cache"));
    requests.increment();
    requests.increment(2);
    bytes.increment(4096);
    bytes.increment(-5);
    awaitScrape(s -> value(s, "tensorfs_test_requests_total", "api", "http", "status", "200") == 3
        && value(s, "tensorfs_test_served_bytes_total", "source", "cache") == 4096
        && s.contains("# HELP tensorfs_test_requests_total a test metric\n")
        && s.contains("# TYPE tensorfs_test_requests_total counter\n"));
  }

  @Test
  void shouldExportLatencyHistogramsInSeconds() throws Exception {
    Histogram latency = Metrics.histogram("tensorfs.test.latency", "a test metric", Unit.NANOSECONDS, Tags.of("operation", "get"));
    latency.record(2_000_000); // 2 ms
    latency.record(3_000_000_000L); // 3 s
    awaitScrape(s -> value(s, "tensorfs_test_latency_seconds_count", "operation", "get") == 2
        && value(s, "tensorfs_test_latency_seconds_bucket", "operation", "get", "le", "0.0025") == 1
        && value(s, "tensorfs_test_latency_seconds_bucket", "operation", "get", "le", "5.0") == 2);
  }

  @Test
  void shouldReadPolledGaugesAndCumulativeCounters() throws Exception {
    AtomicLong used = new AtomicLong(1 << 20);
    AtomicLong hits = new AtomicLong(5);
    Metrics.gauge("tensorfs.test.used", "a test metric", Unit.BYTES, Tags.EMPTY, used, AtomicLong::get);
    Metrics.counter("tensorfs.test.hits", "a test metric", Unit.NONE, Tags.EMPTY, hits, AtomicLong::get);
    awaitScrape(s -> value(s, "tensorfs_test_used_bytes") == 1 << 20 && value(s, "tensorfs_test_hits_total") == 5);
    used.set(3 << 20);
    hits.addAndGet(4);
    awaitScrape(s -> value(s, "tensorfs_test_used_bytes") == 3 << 20 && value(s, "tensorfs_test_hits_total") == 9);
  }

  @Test
  void shouldRenameJvmMetricsThatBreakPrometheusNaming() throws Exception {
    awaitScrape(s -> s.contains("\njvm_threads_live{") || s.contains("\njvm_threads_live "));
    String s = MetricsReporting.scrape();
    assertFalse(s.contains("jvm_threads_total"), "a gauge must not end in _total");
    assertFalse(s.contains("jvm_memory_buffer_pool_count"), "a gauge must not end in _count");
  }

  @Test
  void shouldRefuseNamesOutsideTheConvention() {
    assertThrows(IllegalArgumentException.class, () -> Metrics.counter("cache.hits", "a test metric", Unit.NONE, Tags.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> Metrics.counter("tensorfs.Cache.hits", "a test metric", Unit.NONE, Tags.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> Metrics.counter("tensorfs.cache", "a test metric", Unit.NONE, Tags.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> Tags.of("api"));
  }

  @Test
  void shouldRecordNothingWhenSwitchedOff() {
    NoInstruments off = NoInstruments.INSTANCE;
    off.counter("tensorfs.test.off", "a test metric", Unit.NONE, Tags.EMPTY).increment(7);
    off.histogram("tensorfs.test.off-latency", "a test metric", Unit.NANOSECONDS, Tags.EMPTY).record(1);
    off.pollGauge("tensorfs.test.off-used", "a test metric", Unit.BYTES, Tags.EMPTY, new AtomicLong(1), AtomicLong::get);
    off.poll();
    assertFalse(MetricsReporting.scrape().contains("tensorfs_test_off"));
    assertTrue(Metrics.enabled(), "on by default");
    assertEquals(false, MetricsSettings.fromConfig(ConfigFactory.parseString("tensorfs.metrics.enabled = false")
        .withFallback(CONFIG)).enabled());
  }

  /** The value of series {@code name} with exactly the labels {@code labels} (pairs, any order), or -1. */
  static double value(String scrape, String name, String... labels) {
    java.util.Map<String, String> want = Tags.of(labels).asMap();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? ([0-9.eE+-]+)$").matcher(scrape);
    while (m.find()) {
      java.util.Map<String, String> got = new java.util.HashMap<>();
      if (m.group(1) != null) {
        Matcher l = Pattern.compile("([a-zA-Z_]+)=\"([^\"]*)\"").matcher(m.group(1));
        while (l.find()) got.put(l.group(1), l.group(2));
      }
      if (got.equals(want)) return Double.parseDouble(m.group(2));
    }
    return -1;
  }

  private static void awaitScrape(Predicate<String> condition) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String last = "";
    while (System.nanoTime() < until) {
      last = MetricsReporting.scrape();
      if (condition.test(last)) return;
      Thread.onSpinWait();
      Thread.sleep(20); // waiting for the reporter's next tick, which has its own timer
    }
    throw new AssertionError("scrape never matched; last:\n" + last);
  }

  /** Counted down when a poll reads {@link Initializing}'s first gauge. */
  private static final java.util.concurrent.CountDownLatch READ = new java.util.concurrent.CountDownLatch(1);
  /** Counted down once {@link Initializing} registered its first gauge. */
  private static final java.util.concurrent.CountDownLatch FIRST = new java.util.concurrent.CountDownLatch(1);

  /** A class whose static initializer registers two gauges, the second once a poll has read the first. */
  private static final class Initializing {
    static final Object SOURCE = new Object();

    static {
      Metrics.gauge("tensorfs.test.init-first", "a test metric", Unit.NONE, Tags.EMPTY, SOURCE, MetricsTest::readFirst);
      FIRST.countDown();
      try {
        READ.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Metrics.gauge("tensorfs.test.init-second", "a test metric", Unit.NONE, Tags.EMPTY, SOURCE, s -> 2L);
    }

    static long value() {
      return 1;
    }
  }

  /** Reads a value of {@link Initializing}: waits until its initializer has ended. */
  private static long readFirst(Object source) {
    READ.countDown();
    return Initializing.value();
  }

  @Test
  void shouldNotDeadlockWhenAPollReadsAGaugeOfAClassStillRegisteringItsNextOne() throws Exception {
    Thread init = new Thread(() -> Initializing.value(), "initializing");
    init.setDaemon(true); // a deadlock must not keep the JVM alive
    init.start();
    assertTrue(FIRST.await(10, java.util.concurrent.TimeUnit.SECONDS));
    Thread poller = new Thread(() -> Metrics.instruments().poll(), "polling");
    poller.setDaemon(true);
    poller.start();
    init.join(Duration.ofSeconds(20).toMillis());
    poller.join(Duration.ofSeconds(20).toMillis());
    assertFalse(init.isAlive(), "the initializer registering its second gauge is stuck behind the poll");
    assertFalse(poller.isAlive(), "the poll is stuck on the initializer");
  }
}
