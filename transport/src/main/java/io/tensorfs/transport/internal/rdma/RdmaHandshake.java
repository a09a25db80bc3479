package io.tensorfs.transport.internal.rdma;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The TCP exchange that sets up one RDMA connection, keyed by the cluster's secret (the same shape as the
 * TCP wire's handshake), blocking, on a connection thread:
 *
 * <ol>
 *   <li>acceptor → connector: {@link #MAGIC} and a random nonce {@code Na};
 *   <li>connector → acceptor: its nonce {@code Nc}, its endpoint, its {@link ConnectInfo} and
 *       {@code HMAC(key, "tensorfs rdma hello v1" | Na | Nc | endpoint | info)};
 *   <li>the acceptor checks the proof (a wrong one ends the connection: no queue pair is made), makes its
 *       queue pair, posts its receive ring, moves to ready-to-send, and answers its own {@link ConnectInfo}
 *       with {@code HMAC(key, "tensorfs rdma accept v1" | Nc | Na | info)}, which the connector checks
 *       before it moves its queue pair and sends a frame.
 * </ol>
 *
 * Both nonces are fresh per connection, so a recorded exchange replayed elsewhere fails. One instance
 * per connection (a {@link Mac} is not thread-safe).
 */
final class RdmaHandshake {
  static final int MAGIC = 0x52544653; // "RTFS"
  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  private static final int MAX_ENDPOINT_BYTES = 1024;
  private static final byte[] HELLO_LABEL = "tensorfs rdma hello v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ACCEPT_LABEL = "tensorfs rdma accept v1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Mac mac;

  RdmaHandshake(byte[] key) {
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** What the acceptor learns from a good HELLO. */
  record Hello(String endpoint, ConnectInfo info) {}

  /** Decides the acceptor's answer to a verified HELLO (makes the queue pair and posts the ring). */
  interface Answer {
    ConnectInfo answer(Hello hello) throws IOException;
  }

  /**
   * The acceptor's side, whole. Throws {@link Refused} when the peer does not hold the secret, IOException
   * when the connection breaks or carries something else.
   */
  Hello accept(DataInputStream in, DataOutputStream out, Answer answer) throws IOException {
    byte[] na = nonce();
    out.writeInt(MAGIC);
    out.write(na);
    out.flush();
    byte[] nc = readBytes(in, NONCE_BYTES);
    int endpointBytes = in.readUnsignedShort();
    if (endpointBytes > MAX_ENDPOINT_BYTES) throw new IOException("malformed RDMA hello");
    String endpoint = new String(readBytes(in, endpointBytes), StandardCharsets.UTF_8);
    byte[] info = readBytes(in, ConnectInfo.BYTES);
    byte[] proof = readBytes(in, MAC_BYTES);
    if (!MessageDigest.isEqual(proof, mac(HELLO_LABEL, na, nc, endpoint.getBytes(StandardCharsets.UTF_8), info))) {
      throw new Refused("wrong handshake proof from " + endpoint + ": it does not hold this cluster's secret");
    }
    Hello hello = new Hello(endpoint, decode(info));
    byte[] mine = answer.answer(hello).encode();
    out.write(mine);
    out.write(mac(ACCEPT_LABEL, nc, na, mine));
    out.flush();
    return hello;
  }

  /** The connector's side, whole: returns the acceptor's connect info once its proof checked. */
  ConnectInfo connect(DataInputStream in, DataOutputStream out, String endpoint, ConnectInfo info) throws IOException {
    if (in.readInt() != MAGIC) throw new IOException("the peer is no tensorfs RDMA wire (no handshake challenge)");
    byte[] na = readBytes(in, NONCE_BYTES);
    byte[] nc = nonce();
    byte[] name = endpoint.getBytes(StandardCharsets.UTF_8);
    byte[] mine = info.encode();
    out.write(nc);
    out.writeShort(name.length);
    out.write(name);
    out.write(mine);
    out.write(mac(HELLO_LABEL, na, nc, name, mine));
    out.flush();
    byte[] theirs = readBytes(in, ConnectInfo.BYTES);
    byte[] proof = readBytes(in, MAC_BYTES);
    if (!MessageDigest.isEqual(proof, mac(ACCEPT_LABEL, nc, na, theirs))) {
      throw new Refused("the peer answered the handshake with a wrong proof: it does not hold this cluster's secret");
    }
    return decode(theirs);
  }

  /** The peer failed the proof of the cluster's secret. */
  static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  private static ConnectInfo decode(byte[] info) throws IOException {
    try {
      return ConnectInfo.decode(info);
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed connect info: " + e.getMessage());
    }
  }

  private byte[] mac(byte[] label, byte[]... parts) {
    mac.update(label);
    for (byte[] p : parts) mac.update(p);
    return mac.doFinal();
  }

  private static byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    RANDOM.nextBytes(n);
    return n;
  }

  private static byte[] readBytes(DataInputStream in, int n) throws IOException {
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
