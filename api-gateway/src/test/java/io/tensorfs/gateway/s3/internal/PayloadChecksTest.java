package io.tensorfs.gateway.s3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A body streamed through {@link PayloadChecks#flow()}: an aws-chunked body signed without a trailer
 * ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}, AWS's example of 64 KiB + 1 KiB of 'a') whose CRC32C comes in
 * the {@code x-amz-checksum-crc32c} header, as minio-go sends the parts of a multipart upload.
 */
class PayloadChecksTest {
  private static final String SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  private static final int DATA_BYTES = 65536 + 1024;
  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "payload-checks-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static SigV4.Claim claim() {
    return new SigV4.Claim("AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3", List.of("host"), SEED,
        "20130524T000000Z", SigV4.STREAMING_SIGNED, false, 0);
  }

  private static ByteString signedBody() {
    byte[] a64k = new byte[65536];
    Arrays.fill(a64k, (byte) 'a');
    byte[] a1k = new byte[1024];
    Arrays.fill(a1k, (byte) 'a');
    return ByteString.fromString("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
        .concat(ByteString.fromArray(a64k)).concat(ByteString.fromString("\r\n"))
        .concat(ByteString.fromString("400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"))
        .concat(ByteString.fromArray(a1k)).concat(ByteString.fromString("\r\n"))
        .concat(ByteString.fromString("0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"));
  }

  private static String crc32cOfData() {
    CRC32C crc = new CRC32C();
    byte[] data = new byte[DATA_BYTES];
    Arrays.fill(data, (byte) 'a');
    crc.update(data);
    return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static PayloadChecks checks(String crc32c) {
    SigV4.Claim claim = claim();
    return PayloadChecks.of(Map.of("x-amz-checksum-crc32c", crc32c,
        "x-amz-decoded-content-length", Integer.toString(DATA_BYTES)), claim, SigV4.signingKey(SigV4Test.SECRET, claim));
  }

  /** The body in pieces of 777 bytes, the way a connection hands it over, through the checks. */
  private static ByteString run(PayloadChecks checks) throws Exception {
    ByteString all = signedBody();
    List<ByteString> pieces = new java.util.ArrayList<>();
    for (int at = 0; at < all.size(); at += 777) pieces.add(all.slice(at, Math.min(all.size(), at + 777)));
    return Source.from(pieces).via(checks.flow())
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void shouldAcceptASignedChunkedBodyWhoseChecksumIsInAHeaderNotATrailer() throws Exception {
    PayloadChecks checks = checks(crc32cOfData());
    ByteString data = run(checks);
    assertEquals(DATA_BYTES, data.size());
    assertNotNull(checks.md5Hex());
    assertEquals(Map.entry("x-amz-checksum-crc32c", crc32cOfData()), checks.verifiedChecksum().orElseThrow());
  }

  @Test
  void shouldCheckASha1ChecksumOfAPlainBody() throws Exception {
    ByteString hello = ByteString.fromString("hello");
    String sha1 = Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1").digest(hello.toArray()));
    PayloadChecks right = PayloadChecks.of(Map.of("x-amz-checksum-sha1", sha1), null, null);
    assertEquals(hello, Source.single(hello).via(right.flow())
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals(Map.entry("x-amz-checksum-sha1", sha1), right.verifiedChecksum().orElseThrow());
    PayloadChecks wrong = PayloadChecks.of(Map.of("x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="), null, null);
    ExecutionException e = assertThrows(ExecutionException.class, () -> Source.single(hello).via(wrong.flow())
        .runWith(Sink.ignore(), system).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals("BadDigest", assertInstanceOf(S3Exception.class, e.getCause()).code());
  }

  @Test
  void shouldRefuseASignedChunkedBodyWhoseHeaderChecksumIsWrong() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> run(checks("AAAAAA==")));
    S3Exception s3 = assertInstanceOf(S3Exception.class, e.getCause());
    assertEquals("BadDigest", s3.code());
  }
}
