package io.tensorfs.gateway.s3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** aws-chunked bodies: AWS's signed example (64 KiB + 1 KiB of 'a'), unsigned with a CRC32C trailer. */
class ChunkedBodyTest {
  private static final String SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

  private static byte[] signingKey() {
    SigV4.Claim claim = new SigV4.Claim("AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3", java.util.List.of("host"),
        SEED, "20130524T000000Z", SigV4.STREAMING_SIGNED, false, 0);
    return SigV4.signingKey(SigV4Test.SECRET, claim);
  }

  private static ByteString awsExample(String firstSignature) {
    byte[] a64k = new byte[65536];
    Arrays.fill(a64k, (byte) 'a');
    byte[] a1k = new byte[1024];
    Arrays.fill(a1k, (byte) 'a');
    return ByteString.fromString("10000;chunk-signature=" + firstSignature + "\r\n")
        .concat(ByteString.fromArray(a64k)).concat(ByteString.fromString("\r\n"))
        .concat(ByteString.fromString("400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"))
        .concat(ByteString.fromArray(a1k)).concat(ByteString.fromString("\r\n"))
        .concat(ByteString.fromString("0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"));
  }

  private static String scope() {
    return "20130524/us-east-1/s3/aws4_request";
  }

  @Test
  void shouldDecodeAwsSignedExampleFedInSmallPieces() {
    ChunkedBody body = new ChunkedBody(signingKey(), "20130524T000000Z", scope(), SEED);
    ByteString all = awsExample("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
    long data = 0;
    for (int at = 0; at < all.size(); at += 777) {
      for (ByteString d : body.feed(all.slice(at, Math.min(all.size(), at + 777)))) data += d.size();
    }
    body.finish(false);
    assertEquals(66560, data);
    assertEquals(66560, body.decodedBytes());
  }

  @Test
  void shouldRefuseAChunkWhoseSignatureIsWrong() {
    ChunkedBody body = new ChunkedBody(signingKey(), "20130524T000000Z", scope(), SEED);
    ByteString all = awsExample("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288649");
    S3Exception e = assertThrows(S3Exception.class, () -> body.feed(all));
    assertEquals("SignatureDoesNotMatch", e.code());
  }

  @Test
  void shouldCollectTheTrailerOfAnUnsignedBody() {
    byte[] data = "hello, trailer".getBytes(StandardCharsets.US_ASCII);
    CRC32C crc = new CRC32C();
    crc.update(data);
    String value = java.util.Base64.getEncoder().encodeToString(
        java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    ByteString wire = ByteString.fromString(Integer.toHexString(data.length) + "\r\n").concat(ByteString.fromArray(data))
        .concat(ByteString.fromString("\r\n0\r\nx-amz-checksum-crc32c:" + value + "\n\r\n\r\n"));
    ChunkedBody body = new ChunkedBody(null, "20130524T000000Z", scope(), null);
    ByteString out = ByteString.emptyByteString();
    for (ByteString d : body.feed(wire)) out = out.concat(d);
    Map<String, String> trailers = body.finish(false);
    assertEquals("hello, trailer", out.utf8String());
    assertEquals(value, trailers.get("x-amz-checksum-crc32c"));
  }

  @Test
  void shouldRefuseABodyThatEndsBeforeItsLastChunk() {
    ChunkedBody body = new ChunkedBody(null, "20130524T000000Z", scope(), null);
    body.feed(ByteString.fromString("5\r\nhello\r\n"));
    assertEquals("IncompleteBody", assertThrows(S3Exception.class, () -> body.finish(false)).code());
  }

  /** A body exactly as minio-go 7.0.46 streams a signed PUT with a CRC32C trailer (STREAMING-...-PAYLOAD-TRAILER). */
  @Test
  void shouldDecodeMinioGoSignedBodyWithTrailer() {
    byte[] wire = java.util.Base64.getDecoder().decode("NjQ7Y2h1bmstc2lnbmF0dXJlPWY3NzExM2Q0ZDBkM2NjZTY1YTgzMzFjMDgwMzcwZWJmMDRiYzg1YjdmMGRjY2QzMGExYzRjNWMzNjk0MDFmNjcNCmFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWENCjA7Y2h1bmstc2lnbmF0dXJlPTkxNzdkZjZhZDVlMjEwZTMyZTRmNTkzYTlmMWFmY2JkY2IyZmRjOTI1NzQ2ZjA4YjIwMzkxMmZjZDcwNWNjMDkNCngtYW16LWNoZWNrc3VtLWNyYzMyYzpBQUFBQUE9PQoNCngtYW16LXRyYWlsZXItc2lnbmF0dXJlOmQ1Y2NhNjg5OTliMjQxNzBkOTAwNmU2MTQzN2MzMzAyNzBhNTMyZjVjMzRmZmFkMjM5MjA2ZjFiOWNhMGMyMDMNCg0K");
    SigV4.Claim claim = new SigV4.Claim("AK", "20261201", "us-east-1", "s3", java.util.List.of("host"),
        "3dde591d2671df642c60125b332bf07766c216fc9d613e5f6b1deeded1018564", "20261201T004136Z",
        SigV4.STREAMING_SIGNED_TRAILER, false, 0);
    PayloadChecks checks = PayloadChecks.of(
        Map.of("x-amz-trailer", "x-amz-checksum-crc32c", "x-amz-decoded-content-length", "100"), claim,
        SigV4.signingKey("SK", claim));
    ChunkedBody body = new ChunkedBody(SigV4.signingKey("SK", claim), claim.amzDate(), claim.scope(), claim.signature());
    long n = 0;
    for (ByteString d : body.feed(ByteString.fromArray(wire))) n += d.size();
    Map<String, String> trailers = body.finish(true);
    assertEquals(100, n);
    assertEquals("AAAAAA==", trailers.get("x-amz-checksum-crc32c"));
    assertEquals(java.util.OptionalLong.of(100), checks.dataLength(java.util.OptionalLong.of(wire.length)),
        "an aws-chunked body's data length is the decoded length, not the wire's");
  }
}
