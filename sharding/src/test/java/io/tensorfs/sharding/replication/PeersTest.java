package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.sharding.placement.StoreRoom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeersTest {
  private static Peers.PeerInfo peer(String id, long room, boolean drained) {
    return new Peers.PeerInfo(id, "endpoint-" + id, List.of(new StoreRoom("d0", room)), drained);
  }

  @Test
  void shouldUpdateRoomWithoutCallingListenersWhenOnlyRoomChanges() {
    Peers peers = new Peers("n1");
    AtomicInteger changes = new AtomicInteger();
    peers.onChange(view -> changes.incrementAndGet());
    peers.update(Map.of("n2", peer("n2", 100, false)));
    assertEquals(1, changes.get());

    peers.update(Map.of("n2", peer("n2", 50, false)));

    assertEquals(1, changes.get());
    assertEquals(50, peers.live().get("n2").stores().get(0).usableBytes());
  }

  @Test
  void shouldCallListenersWhenANodeIsDrainedOrLeaves() {
    Peers peers = new Peers("n1");
    AtomicInteger changes = new AtomicInteger();
    peers.onChange(view -> changes.incrementAndGet());
    peers.update(Map.of("n2", peer("n2", 100, false)));

    peers.update(Map.of("n2", peer("n2", 100, true)));
    assertEquals(2, changes.get());

    peers.update(Map.of());
    assertEquals(3, changes.get());
  }
}
