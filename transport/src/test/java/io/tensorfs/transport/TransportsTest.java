package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.security.ClusterSecret;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The transport a node starts when it asks for RDMA on a host without a device (every host here). */
class TransportsTest {
  static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    assumeFalse(RdmaDevices.probe().found(), "this host has an RDMA device");
    system = ActorSystem.create(Behaviors.empty(), "transports-test");
  }

  @AfterAll
  static void stop() {
    if (system != null) ActorTestKit.shutdown(system, Duration.ofSeconds(10));
  }

  static Config config(String transport) {
    return ConfigFactory.parseString("tensorfs.transport { " + transport + " }").withFallback(ConfigFactory.load());
  }

  @Test
  void shouldStartTheFallbackWhenAutoFindsNoDevice() {
    try (Transport t = Transports.create(config("kind = auto, rdma.fallback = tcp"), system, new FakeChunkService(1024), ClusterSecret.randomKey())) {
      assertEquals("tcp", t.kind());
      assertTrue(t.localEndpoint().startsWith("tcp://"), t.localEndpoint());
    }
  }

  @Test
  void shouldFailTheStartWithAClearMessageWhenRdmaIsAskedForWithoutADevice() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Transports.create(config("kind = rdma"), system, new FakeChunkService(1024), ClusterSecret.randomKey()));
    assertTrue(e.getMessage().contains("tensorfs.transport.kind = rdma, but this host has no usable RDMA device"), e.getMessage());
  }
}
