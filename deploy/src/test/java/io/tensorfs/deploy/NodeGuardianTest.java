package io.tensorfs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guardian over fake parts: the order parts start and stop in, readiness, and failures at start. */
class NodeGuardianTest {
  /** A plain local actor system: no cluster, and Coordinated Shutdown must not end the test's JVM. */
  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      """).withFallback(ConfigFactory.load());
  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(1), Duration.ofSeconds(1),
      Duration.ofMillis(20), Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(1),
      Duration.ofSeconds(5));
  private static final ActorTestKit probes = ActorTestKit.create("probes", CONFIG);

  private TestProbe<String> events;
  private FakeParts parts;
  private ActorSystem<?> node;

  @BeforeEach
  void fakes() {
    events = probes.createTestProbe();
    parts = new FakeParts(events);
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      parts.flush.complete(Done.done());
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stopProbes() {
    probes.shutdownTestKit();
  }

  @Test
  void shouldBeReadyOnlyAfterEveryStepWhenPartsStartInOrder() {
    AtomicInteger schemaAttempts = new AtomicInteger();
    CompletableFuture<Done> reconciled = new CompletableFuture<>();
    parts.step("schema", true, () -> schemaAttempts.incrementAndGet() < 3
            ? CompletableFuture.failedFuture(new IllegalStateException("Cassandra not up yet"))
            : CompletableFuture.completedFuture(Done.done()))
        .step("cluster")
        .step("reconcile", false, () -> reconciled);
    start();

    events.expectMessage("data-plane");
    events.expectMessage("background");
    events.expectMessage("edges");
    events.expectMessage("step:schema");
    events.expectMessage("step:schema");
    events.expectMessage("step:schema");
    events.expectMessage("step:cluster");
    events.expectMessage("step:reconcile");
    events.expectNoMessage(Duration.ofMillis(300));

    reconciled.complete(Done.done());
    events.expectMessage("ready");
    events.expectMessage("repairs-started");
  }

  @Test
  void shouldFailTheNodeWhenAPartCannotStart() throws Exception {
    parts.dataPlaneFailure = new IllegalStateException("no such store directory");
    parts.step("cluster");
    start();

    node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Optional.of(NodeGuardian.FailedToStart.INSTANCE), CoordinatedShutdown.get(node).getShutdownReason());
    events.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void shouldFailTheNodeAndStopItInOrderWhenAStepThatIsNotRetriedFails() throws Exception {
    parts.flush.complete(Done.done());
    parts.step("schema").step("reconcile", false,
        () -> CompletableFuture.failedFuture(new IllegalStateException("store unreadable")));
    start();

    events.expectMessage("data-plane");
    events.expectMessage("background");
    events.expectMessage("edges");
    events.expectMessage("step:schema");
    events.expectMessage("step:reconcile");
    events.expectMessage("unbind");
    events.expectMessage("drain");
    events.expectMessage("flush");
    events.expectMessage("background-closed");
    events.expectMessage("data-plane-closed");
    node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Optional.of(NodeGuardian.FailedToStart.INSTANCE), CoordinatedShutdown.get(node).getShutdownReason());
    events.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void shouldUnbindAndDrainEdgesBeforeFlushingAndAwaitTheFlushWhenStopped() throws Exception {
    startReady();

    CompletableFuture<Done> stopped = CoordinatedShutdown.get(node)
        .run(CoordinatedShutdown.unknownReason(), Optional.empty()).toCompletableFuture();
    events.expectMessage("unbind");
    events.expectMessage("drain");
    events.expectMessage("flush");
    events.expectNoMessage(Duration.ofMillis(500));
    assertFalse(stopped.isDone(), "shutdown waits for the flush");

    parts.flush.complete(Done.done());
    events.expectMessage("repairs-closed");
    events.expectMessage("background-closed");
    events.expectMessage("data-plane-closed");
    stopped.get(30, TimeUnit.SECONDS);
    assertTrue(node.whenTerminated().isCompleted());
  }

  @Test
  void shouldGoOnStoppingWhenTheFlushOutlastsItsDeadline() throws Exception {
    NodeSettings shortFlush = new NodeSettings(SETTINGS.schemaStatementTimeout(), SETTINGS.reconcileTimeout(),
        SETTINGS.readinessRetryInterval(), SETTINGS.peersWait(), SETTINGS.workerMinBackoff(), SETTINGS.workerMaxBackoff(),
        SETTINGS.edgeTerminateDeadline(), Duration.ofMillis(300));
    parts.step("cluster");
    start(shortFlush);
    expectReady();

    CoordinatedShutdown.get(node).run(CoordinatedShutdown.unknownReason(), Optional.empty());
    events.expectMessage("unbind");
    events.expectMessage("drain");
    events.expectMessage("flush");
    events.expectMessage("repairs-closed");
    events.expectMessage("background-closed");
    events.expectMessage("data-plane-closed");
    node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldRestartRepairsWithBackoffWhenTheyFailToStart() {
    parts.repairFailures = 2;
    parts.step("cluster");
    start();
    events.expectMessage("data-plane");
    events.expectMessage("background");
    events.expectMessage("edges");
    events.expectMessage("step:cluster");
    events.expectMessage("ready");
    events.expectMessage("repairs-failed");
    events.expectMessage("repairs-failed");
    events.expectMessage("repairs-started");
  }

  private void startReady() {
    parts.step("cluster");
    start();
    expectReady();
  }

  private void expectReady() {
    events.expectMessage("data-plane");
    events.expectMessage("background");
    events.expectMessage("edges");
    events.expectMessage("step:cluster");
    events.expectMessage("ready");
    events.expectMessage("repairs-started");
  }

  private void start() {
    start(SETTINGS);
  }

  private void start(NodeSettings settings) {
    node = ActorSystem.create(NodeGuardian.create(settings, system -> parts, () -> events.getRef().tell("ready")),
        "node", CONFIG);
  }
}
