package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RdmaDevicesTest {
  @Test
  void shouldReturnNoDeviceWithReasonWhenHostHasNoRdma() {
    RdmaDevices.Probe probe = RdmaDevices.probe();
    assertFalse(probe.found(), "this development machine has no RDMA device: " + probe);
    assertTrue(probe.devices().isEmpty());
    assertTrue(probe.reason().startsWith("libibverbs"), probe.reason());
  }
}
