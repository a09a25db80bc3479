package io.tensorfs.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostRegionsTest {
  private final HostRegions regions = HostRegions.of(new long[][] {{5000, 1000}, {1000, 1000}});

  @Test
  void shouldContainRangesInsideOneRegionWhenAtItsEdges() {
    assertTrue(regions.contains(1000, 1000));
    assertTrue(regions.contains(1500, 10));
    assertTrue(regions.contains(5999, 1));
    assertTrue(regions.contains(5000, 0));
  }

  @Test
  void shouldNotContainRangesThatLeaveTheRegionsWhenTheyCrossAnEdge() {
    assertFalse(regions.contains(999, 2));
    assertFalse(regions.contains(1999, 2));
    assertFalse(regions.contains(2000, 1));
    assertFalse(regions.contains(1500, 4000), "spans a gap");
    assertFalse(regions.contains(0, 1));
    assertFalse(HostRegions.none().contains(1000, 1));
  }

  @Test
  void shouldCountRegionsAndBytesWhenBuilt() {
    assertEquals(2, regions.count());
    assertEquals(2000, regions.totalBytes());
  }

  @Test
  void shouldRejectOverlappingRegionsWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> HostRegions.of(new long[][] {{0, 100}, {50, 100}}));
  }
}
