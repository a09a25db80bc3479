package io.tensorfs.transport.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RdmaChoiceTest {
  @Test
  void shouldFailTheStartWhenRdmaIsAskedForWithoutADevice() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> RdmaChoice.decide("rdma", "aeron-udp", false, "libibverbs not found"));
    assertTrue(e.getMessage().contains("no usable RDMA device (libibverbs not found)"), e.getMessage());
    assertTrue(e.getMessage().contains("kind = auto"), e.getMessage());
  }

  @Test
  void shouldUseRdmaWhenAskedForOrAutoAndADeviceIsThere() {
    assertEquals("rdma", RdmaChoice.decide("rdma", "tcp", true, "[mlx5_0]").kind());
    assertEquals("rdma", RdmaChoice.decide("auto", "tcp", true, "[mlx5_0]").kind());
  }

  @Test
  void shouldFallBackWithALogLineWhenAutoFindsNoDevice() {
    RdmaChoice c = RdmaChoice.decide("auto", "tcp", false, "libibverbs found, 0 devices");
    assertEquals("tcp", c.kind());
    assertEquals("RDMA: no device (libibverbs found, 0 devices); data moves over tcp (kind = auto)", c.reason());
  }

  @Test
  void shouldKeepTheConfiguredKindWhenItIsNotRdma() {
    assertEquals("aeron-udp", RdmaChoice.decide("aeron-udp", "tcp", true, "[mlx5_0]").kind());
    assertEquals("tcp", RdmaChoice.decide("tcp", "aeron", false, "libibverbs not found").kind());
  }
}
