package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
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

  @Test
  void shouldTakeTheEphemeralRangeAsTheKernelShowsIt() throws Exception {
    Process cat = new ProcessBuilder("cat", "/proc/sys/net/ipv4/ip_local_port_range").start();
    String range = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, cat.waitFor());
    int kernelLow = Integer.parseInt(range.split("\\s+")[0]);
    // Read as a plain file's bytes the setting came back as its first digit, and the range as 20000..21000.
    assertEquals(Math.max(21_000, kernelLow), FreePorts.ephemeralLow(), "the range " + range);
  }
}
