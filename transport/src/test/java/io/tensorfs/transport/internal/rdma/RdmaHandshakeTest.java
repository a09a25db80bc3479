package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The handshake's encoding and its proof of the cluster's secret, both sides in memory. */
class RdmaHandshakeTest {
  static final byte[] KEY = "a cluster secret of thirty-two b".getBytes();
  static final ConnectInfo CONNECTOR = new ConnectInfo(0x123456, 0xABCDEF, (short) 7, gid(1), 16, 1 << 20);
  static final ConnectInfo ACCEPTOR = new ConnectInfo(0x654321, 0x00FEDC, (short) 9, gid(2), 32, 256 << 10);

  static byte[] gid(int seed) {
    byte[] g = new byte[16];
    for (int i = 0; i < 16; i++) g[i] = (byte) (seed * 31 + i);
    return g;
  }

  /** Runs both sides; returns what the connector learnt, or throws what it failed with. */
  static ConnectInfo run(byte[] acceptorKey, byte[] connectorKey, AtomicReference<Object> acceptorSaw) throws Exception {
    PipedInputStream toAcceptor = new PipedInputStream(1 << 16);
    PipedInputStream toConnector = new PipedInputStream(1 << 16);
    DataOutputStream connectorOut = new DataOutputStream(new PipedOutputStream(toAcceptor));
    DataOutputStream acceptorOut = new DataOutputStream(new PipedOutputStream(toConnector));
    CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
      try {
        acceptorSaw.set(new RdmaHandshake(acceptorKey).accept(new DataInputStream(toAcceptor), acceptorOut, hello -> ACCEPTOR));
      } catch (IOException e) {
        acceptorSaw.set(e);
      } finally {
        try {
          acceptorOut.close();
        } catch (IOException e) {
          // test end
        }
      }
    });
    try {
      return new RdmaHandshake(connectorKey).connect(new DataInputStream(toConnector), connectorOut, "rdma://a:1?frame-bytes=1048576", CONNECTOR);
    } finally {
      acceptor.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldExchangeConnectInfoWhenBothHoldTheSecret() throws Exception {
    AtomicReference<Object> saw = new AtomicReference<>();
    assertEquals(ACCEPTOR, run(KEY, KEY, saw));
    RdmaHandshake.Hello hello = assertInstanceOf(RdmaHandshake.Hello.class, saw.get());
    assertEquals("rdma://a:1?frame-bytes=1048576", hello.endpoint());
    assertEquals(CONNECTOR, hello.info());
  }

  @Test
  void shouldRefuseTheConnectorWhenItHoldsAnotherSecret() {
    AtomicReference<Object> saw = new AtomicReference<>();
    assertThrows(IOException.class, () -> run(KEY, "another secret, thirty-two bytes".getBytes(), saw));
    assertInstanceOf(RdmaHandshake.Refused.class, saw.get(), "the acceptor made no queue pair for it");
  }

  @Test
  void shouldRoundTripConnectInfoAndRejectAWrongLength() {
    assertEquals(CONNECTOR, ConnectInfo.decode(CONNECTOR.encode()));
    assertEquals(ConnectInfo.BYTES, CONNECTOR.encode().length);
    assertThrows(IllegalArgumentException.class, () -> ConnectInfo.decode(new byte[ConnectInfo.BYTES - 1]));
    assertThrows(IllegalArgumentException.class, () -> new ConnectInfo(1, 1 << 24, (short) 0, new byte[16], 1, 1), "a PSN has 24 bits");
  }

  @Test
  void shouldEncodeConnectInfoBigEndianInItsFixedOrder() {
    byte[] b = CONNECTOR.encode();
    assertEquals(0x00, b[0]);
    assertEquals(0x12, b[1]);
    assertEquals(0x56, b[3]);
    assertEquals((byte) 0xEF, b[7]);
    assertEquals(7, b[9]);
    assertEquals(gid(1)[0], b[10]);
    assertEquals(16, b[29]);
  }
}
