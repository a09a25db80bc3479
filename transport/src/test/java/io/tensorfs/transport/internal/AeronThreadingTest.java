package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;

/**
 * {@code driver-threading}: auto follows the host's cores; a named mode is taken as named; a typo is refused by name.
 * And the warning a node gives when the kernel cuts the UDP socket buffers it asks for.
 */
class AeronThreadingTest {

  @Test
  void shouldShareOneThreadOnSmallHostsAndGiveTheConductorItsOwnOnLargeOnes() {
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("auto", 2));
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("auto", 7));
    assertEquals(ThreadingMode.SHARED_NETWORK, AeronDrivers.threading("auto", 8));
    assertEquals(ThreadingMode.SHARED_NETWORK, AeronDrivers.threading("AUTO", 16));
  }

  @Test
  void shouldTellTheOperatorWhenTheKernelCutsTheSocketBuffers() {
    assertTrue(AeronDrivers.socketBufferShortfall(4 << 20, 4 << 20, 8 << 20).isEmpty(), "the kernel gives all that is asked");
    String cut = AeronDrivers.socketBufferShortfall(4 << 20, 212992, 8 << 20).orElseThrow();
    assertTrue(cut.contains("rmem_max = 212992") && cut.contains("sysctl -w net.core.rmem_max=4194304"), cut);
    assertTrue(AeronDrivers.socketBufferShortfall(4 << 20, 8 << 20, 212992).isPresent(), "a send buffer cut too");
  }

  @Test
  void shouldTakeANamedModeAsNamedAndRefuseAnUnknownOne() {
    assertEquals(ThreadingMode.DEDICATED, AeronDrivers.threading("dedicated", 2));
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("shared", 64));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AeronDrivers.threading("shard", 4));
    assertTrue(e.getMessage().contains("driver-threading") && e.getMessage().contains("shard"), e.getMessage());
  }
}
