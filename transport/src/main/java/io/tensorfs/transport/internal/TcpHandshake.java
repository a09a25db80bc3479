package io.tensorfs.transport.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The challenge-response that opens every TCP connection of the transport, keyed by the cluster's secret,
 * before either side takes a frame:
 *
 * <ol>
 *   <li>the accepting side sends a CHALLENGE: {@link #MAGIC} and a random 32-byte nonce {@code Na};
 *   <li>the connecting side answers with a HELLO frame: its endpoint, its own random nonce {@code Nc} and
 *       {@code HMAC(key, "hello" | Na | Nc | endpoint)};
 *   <li>the accepting side checks it (a wrong MAC closes the connection, so nothing the peer sends is ever
 *       read as a frame) and answers {@code HMAC(key, "accept" | Nc | Na)}, which the connecting side checks
 *       before it sends a frame, so a node never streams a replica to a listener without the secret.
 * </ol>
 *
 * Fresh nonces from both sides make each proof good for one connection only: a recorded HELLO or answer
 * replayed on another connection fails. Owned by the wire's thread (the engine's agent thread).
 */
final class TcpHandshake {
  static final int MAGIC = 0x41534654; // "TFSA" little-endian
  static final int NONCE_BYTES = 32;
  static final int CHALLENGE_BYTES = 4 + NONCE_BYTES;
  static final int PROOF_BYTES = SignedRequests.MAC_BYTES;
  /** The largest HELLO: its endpoint is a short URI. */
  static final int MAX_HELLO_BYTES = 2048;
  private static final byte[] HELLO_LABEL = "tensorfs tcp hello v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ACCEPT_LABEL = "tensorfs tcp accept v1".getBytes(StandardCharsets.US_ASCII);

  private final Mac mac;
  private final SecureRandom random = new SecureRandom();

  TcpHandshake(byte[] key) {
    this.mac = SignedRequests.hmac(key);
  }

  byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    random.nextBytes(n);
    return n;
  }

  /** The accepting side's first bytes. */
  ByteBuffer challenge(byte[] acceptorNonce) {
    ByteBuffer b = ByteBuffer.allocate(CHALLENGE_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put(acceptorNonce).flip();
    return b;
  }

  /** The nonce of a whole challenge, or null when it is none. */
  static byte[] acceptorNonce(ByteBuffer challenge) {
    ByteBuffer b = challenge.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.flip();
    if (b.remaining() != CHALLENGE_BYTES || b.getInt() != MAGIC) return null;
    byte[] n = new byte[NONCE_BYTES];
    b.get(n);
    return n;
  }

  /** Writes the HELLO answering {@code acceptorNonce} into {@code out}; returns its length. */
  int hello(Frames.Writer out, String endpoint, byte[] acceptorNonce, byte[] connectorNonce) {
    byte[] proof = helloProof(acceptorNonce, connectorNonce, endpoint);
    return out.begin(Frames.HELLO, (byte) 0, 0).putString(endpoint).putBytes(connectorNonce).putBytes(proof).end();
  }

  /** A HELLO read by the accepting side. */
  record Hello(String endpoint, byte[] connectorNonce, byte[] proof) {}

  /** Parses a whole HELLO frame; throws IllegalStateException when it is malformed or truncated. */
  static Hello parseHello(UnsafeBuffer frame, int length) {
    if (frame.getByte(Frames.TYPE_OFFSET) != Frames.HELLO) throw new IllegalStateException("the first frame is no HELLO");
    Frames.Reader r = new Frames.Reader().wrap(frame, 0, length);
    Hello h = new Hello(r.getString(), r.getBytes(), r.getBytes());
    if (h.connectorNonce().length != NONCE_BYTES || h.proof().length != PROOF_BYTES) throw new IllegalStateException("malformed HELLO");
    return h;
  }

  /** True when {@code hello} answers the challenge {@code acceptorNonce} with this cluster's key. */
  boolean verify(Hello hello, byte[] acceptorNonce) {
    return MessageDigest.isEqual(helloProof(acceptorNonce, hello.connectorNonce(), hello.endpoint()), hello.proof());
  }

  /** The accepting side's answer to a good HELLO. */
  byte[] acceptProof(byte[] connectorNonce, byte[] acceptorNonce) {
    mac.update(ACCEPT_LABEL);
    mac.update(connectorNonce);
    mac.update(acceptorNonce);
    return mac.doFinal();
  }

  /** True when {@code proof} is the accepting side's right answer. */
  boolean verifyAccept(byte[] proof, byte[] connectorNonce, byte[] acceptorNonce) {
    return MessageDigest.isEqual(acceptProof(connectorNonce, acceptorNonce), proof);
  }

  private byte[] helloProof(byte[] acceptorNonce, byte[] connectorNonce, String endpoint) {
    mac.update(HELLO_LABEL);
    mac.update(acceptorNonce);
    mac.update(connectorNonce);
    mac.update(endpoint.getBytes(StandardCharsets.UTF_8));
    return mac.doFinal();
  }
}
