package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.memory.internal.HugePageProbe;
import io.tensorfs.core.memory.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Serve buffers are slots of one region a transport may send from in place, and fresh buffers once every slot is in use. */
class ServeBuffersTest {
  private static final int MIB = 1 << 20;

  private static boolean inRegion(ServeBuffers buffers, ByteBuffer b) {
    long at = NativeMemory.address(b);
    for (ByteBuffer r : buffers.regions()) {
      long start = NativeMemory.address(r);
      if (at >= start && at + b.capacity() <= start + r.capacity()) return true;
    }
    return false;
  }

  @Test
  void shouldHandOutTheRegionsSlotsThenFreshBuffersAndTakeSlotsBack() {
    ServeBuffers buffers = new ServeBuffers(2 * MIB, 5L * MIB); // two whole slots
    assertEquals(1, buffers.regions().size());
    assertEquals(4 * MIB, buffers.regions().get(0).capacity(), "the region holds whole buffers only");

    List<ServeBuffers.Buffer> taken = new ArrayList<>();
    for (int i = 0; i < 3; i++) taken.add(buffers.take());
    for (ServeBuffers.Buffer b : taken) {
      assertTrue(b.bytes().isDirect());
      assertEquals(2 * MIB, b.bytes().remaining());
      assertEquals(0, NativeMemory.address(b.bytes()) % 4096, "aligned for O_DIRECT");
    }
    assertTrue(inRegion(buffers, taken.get(0).bytes()) && inRegion(buffers, taken.get(1).bytes()), "the first two are the region's slots");
    assertFalse(inRegion(buffers, taken.get(2).bytes()), "the third, every slot in use, is a buffer of its own");

    taken.get(1).give();
    ServeBuffers.Buffer again = buffers.take();
    assertTrue(inRegion(buffers, again.bytes()), "a slot given back is handed out again");
    assertEquals(NativeMemory.address(taken.get(1).bytes()), NativeMemory.address(again.bytes()));
  }

  @Test
  void shouldTakeTheRegionInTransparentHugePagesWhereTheKernelOffersThem() {
    ServeBuffers buffers = new ServeBuffers(4 * MIB, 16L * MIB);
    String mode = HugePageProbe.transparentMode();
    if (mode.equals("never")) {
      assertEquals("regular", buffers.memoryKind());
    } else {
      // A 4 MiB read into huge pages reaches the disk as one request, not one per max_segments small pages.
      assertTrue(buffers.memoryKind().startsWith("thp"), "offered (" + mode + "): " + buffers.memoryKind());
    }
  }

  @Test
  void shouldHaveNoRegionForABufferSizeNoPageCanHave() {
    ServeBuffers buffers = new ServeBuffers(3 * MIB, 64L * MIB);
    assertEquals(List.of(), buffers.regions());
    assertEquals("none", buffers.memoryKind());
    ServeBuffers.Buffer b = buffers.take();
    assertEquals(3 * MIB, b.bytes().remaining());
    b.give();
  }
}
