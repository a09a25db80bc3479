package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;

/** {@code driver-threading}: auto follows the host's cores; a named mode is taken as named; a typo is refused by name. */
class AeronThreadingTest {

  @Test
  void shouldShareOneThreadOnSmallHostsAndGiveTheConductorItsOwnOnLargeOnes() {
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("auto", 2));
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("auto", 7));
    assertEquals(ThreadingMode.SHARED_NETWORK, AeronDrivers.threading("auto", 8));
    assertEquals(ThreadingMode.SHARED_NETWORK, AeronDrivers.threading("AUTO", 16));
  }

  @Test
  void shouldTakeANamedModeAsNamedAndRefuseAnUnknownOne() {
    assertEquals(ThreadingMode.DEDICATED, AeronDrivers.threading("dedicated", 2));
    assertEquals(ThreadingMode.SHARED, AeronDrivers.threading("shared", 64));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AeronDrivers.threading("shard", 4));
    assertTrue(e.getMessage().contains("driver-threading") && e.getMessage().contains("shard"), e.getMessage());
  }
}
