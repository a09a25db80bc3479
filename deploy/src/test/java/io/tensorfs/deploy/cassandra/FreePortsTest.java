package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * Ports for the embedded Cassandra come from below the kernel's ephemeral range: a port there is never a
 * client's source port, so a member's port stays its own while the member is down.
 */
class FreePortsTest {
  @Test
  void shouldPickFreePortsBelowTheEphemeralRangeAndNotTheSameTwice() throws Exception {
    int low = FreePorts.ephemeralLow();
    int a = FreePorts.any();
    int b = FreePorts.any();
    assertTrue(a >= 20_000 && a < low, a + " is not in 20000.." + low);
    assertTrue(b >= 20_000 && b < low, b + " is not in 20000.." + low);
    assertNotEquals(a, b);
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), a)); // it was free
    }
  }
}
