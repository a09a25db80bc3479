package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import org.junit.jupiter.api.Test;

class RdmaEndpointTest {
  @Test
  void shouldFormatAndParseBackWhenWellFormed() {
    RdmaEndpoint e = new RdmaEndpoint("10.0.0.7", 4711, 1 << 20);
    assertEquals("rdma://10.0.0.7:4711?frame-bytes=1048576", e.toString());
    assertEquals(e, RdmaEndpoint.parse(e.toString()));
    RdmaEndpoint v6 = new RdmaEndpoint("fe80::1", 9, 200_000);
    assertEquals("rdma://[fe80::1]:9?frame-bytes=200000", v6.toString());
    assertEquals(v6, RdmaEndpoint.parse(v6.toString()));
    assertTrue(RdmaEndpoint.isRdma(e.toString()));
    assertFalse(RdmaEndpoint.isRdma("tcp://10.0.0.7:4711"));
  }

  @Test
  void shouldRefuseWithBadRequestWhenNotAnRdmaEndpoint() {
    for (String bad : new String[] {"tcp://h:1", "rdma://h?frame-bytes=1", "rdma://h:1", "rdma://h:1?frame-bytes=x", "rdma://h:1?frame-bytes=-5", "::"}) {
      TfsException e = assertThrows(TfsException.class, () -> RdmaEndpoint.parse(bad), bad);
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), bad);
    }
  }
}
