package io.tensorfs.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.sharding.drain.Drain;
import io.tensorfs.sharding.drain.DrainState;
import org.junit.jupiter.api.Test;

class AdminNodeRoutesTest {
  @Test
  void shouldServeOnlyTheDrainDecommissionAndRepairPaths() {
    assertTrue(AdminNodeRoutes.serves("/v1/admin/nodes/node-2/drain"));
    assertTrue(AdminNodeRoutes.serves("/v1/admin/nodes/node-2/decommission"));
    assertTrue(AdminNodeRoutes.serves("/v1/admin/drains"));
    assertTrue(AdminNodeRoutes.serves("/v1/admin/repair"));
    assertFalse(AdminNodeRoutes.serves("/v1/admin/nodes"), "the console's view of the nodes");
    assertFalse(AdminNodeRoutes.serves("/v1/admin/nodes/node-2/metrics"));
    assertFalse(AdminNodeRoutes.serves("/v1/admin/nodes/x/y/drain"));
  }

  @Test
  void shouldWriteTheDrainObjectWithAnIsoTimeAndNullsForWhatIsNotKnown() {
    var drained = AdminNodeRoutes.DrainJson.of(new Drain("node-3", DrainState.DRAINED, 0, 1_764_500_000_000L, ""));
    assertEquals(new AdminNodeRoutes.DrainJson("node-3", "drained", 0, "2025-11-30T10:53:20Z", null), drained);

    var fresh = AdminNodeRoutes.DrainJson.of(new Drain("node-1", DrainState.ACTIVE, -1, 0, ""));
    assertNull(fresh.replicasLeft());
    assertNull(fresh.since());
  }
}
