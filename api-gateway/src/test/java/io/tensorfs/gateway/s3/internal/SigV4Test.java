package io.tensorfs.gateway.s3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SigV4 against the examples of AWS's S3 documentation ("Signature Calculations for the Authorization Header"). */
class SigV4Test {
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  static final Instant WHEN = Instant.parse("2013-05-24T00:00:00Z");

  private static Map<String, String> getObjectHeaders(String signature) {
    return Map.of(
        "host", "examplebucket.s3.amazonaws.com",
        "range", "bytes=0-9",
        "x-amz-content-sha256", Hashes.EMPTY_SHA256,
        "x-amz-date", "20130524T000000Z",
        "authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + signature);
  }

  private static Map<String, List<String>> candidates(Map<String, String> headers) {
    var out = new java.util.HashMap<String, List<String>>();
    headers.forEach((k, v) -> out.put(k, List.of(v)));
    return out;
  }

  @Test
  void shouldAcceptAwsGetObjectExample() {
    Map<String, String> headers = getObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    SigV4.Claim claim = SigV4.claim(headers, Map.of()).orElseThrow();
    SigV4.verify(claim, "GET", "/test.txt", "", candidates(headers), SECRET, WHEN);
  }

  @Test
  void shouldRefuseWrongSignatureAndSkewedClock() {
    Map<String, String> headers = getObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb40");
    SigV4.Claim claim = SigV4.claim(headers, Map.of()).orElseThrow();
    S3Exception e = assertThrows(S3Exception.class,
        () -> SigV4.verify(claim, "GET", "/test.txt", "", candidates(headers), SECRET, WHEN));
    assertEquals("SignatureDoesNotMatch", e.code());
    Map<String, String> good = getObjectHeaders("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    SigV4.Claim ok = SigV4.claim(good, Map.of()).orElseThrow();
    S3Exception late = assertThrows(S3Exception.class, () -> SigV4.verify(ok, "GET", "/test.txt", "", candidates(good),
        SECRET, WHEN.plusSeconds(3600)));
    assertEquals("RequestTimeTooSkewed", late.code());
  }

  @Test
  void shouldAcceptAwsPresignedUrlExample() {
    String query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    Map<String, String> q = S3Request.parseQuery(query);
    SigV4.Claim claim = SigV4.claim(Map.of("host", "examplebucket.s3.amazonaws.com"), q).orElseThrow();
    SigV4.verify(claim, "GET", "/test.txt", query, Map.of("host", List.of("examplebucket.s3.amazonaws.com")), SECRET,
        WHEN.plusSeconds(60));
    S3Exception expired = assertThrows(S3Exception.class, () -> SigV4.verify(claim, "GET", "/test.txt", query,
        Map.of("host", List.of("examplebucket.s3.amazonaws.com")), SECRET, WHEN.plusSeconds(86401)));
    assertEquals("AccessDenied", expired.code());
  }

  @Test
  void shouldEncodeTheCanonicalQuerySorted() {
    assertEquals("a=1&b=x%20y&prefix=photos%2F&uploads=", SigV4.canonicalQuery("uploads&prefix=photos/&b=x+y&a=1", false));
    assertEquals("/my%20key/%E2%82%AC", SigV4.canonicalUri("/my%20key/%e2%82%ac"));
  }
}
