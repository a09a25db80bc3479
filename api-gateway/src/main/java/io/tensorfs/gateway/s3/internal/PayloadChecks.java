package io.tensorfs.gateway.s3.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * What an upload's body must satisfy, checked as it streams through {@link #flow()}: the aws-chunked
 * encoding decoded (chunk signatures checked), the signed SHA-256 of a plain body, {@code Content-MD5}
 * (BadDigest), a CRC32/CRC32C/SHA-1/SHA-256 checksum from a header or a trailer, and the decoded length. A body that fails
 * a check fails the stream at its end, so the write it feeds is never sealed. Also computes the MD5 of the
 * data, the object's ETag, read by {@link #md5Hex()} once the stream completed.
 *
 * <p>One per request; the stream's stage owns it while it runs.
 */
public final class PayloadChecks {
  private final String payloadHash;
  private final ChunkedBody chunked;
  private final boolean signedTrailer;
  private final String contentMd5;
  private final String checksumName;
  /** The checksum's value from its header; null when the body's trailer carries it (or no checksum was sent). */
  private final String checksumValue;
  /** Whether x-amz-trailer announced the checksum, so the body's trailer must carry it. */
  private final boolean checksumInTrailer;
  private final OptionalLong decodedLength;
  private final MessageDigest md5 = Hashes.md5();
  private final MessageDigest sha256;
  private final Checksum checksum;
  /** The SHA-1 or SHA-256 of an x-amz-checksum-sha1/-sha256; null for a CRC or none. */
  private final MessageDigest checksumDigest;
  private volatile Map.Entry<String, String> verifiedChecksum;
  private long bytes;
  private volatile String md5Hex;

  private PayloadChecks(String payloadHash, ChunkedBody chunked, boolean signedTrailer, String contentMd5,
      String checksumName, String checksumValue, boolean checksumInTrailer, OptionalLong decodedLength) {
    this.payloadHash = payloadHash;
    this.chunked = chunked;
    this.signedTrailer = signedTrailer;
    this.contentMd5 = contentMd5;
    this.checksumName = checksumName;
    this.checksumValue = checksumValue;
    this.checksumInTrailer = checksumInTrailer;
    this.decodedLength = decodedLength;
    this.sha256 = isHex64(payloadHash) ? Hashes.sha256() : null;
    this.checksum = checksumName == null ? null
        : checksumName.equals("x-amz-checksum-crc32c") ? new CRC32C()
        : checksumName.equals("x-amz-checksum-crc32") ? new CRC32() : null;
    this.checksumDigest = checksumName == null ? null
        : checksumName.equals("x-amz-checksum-sha256") ? Hashes.sha256()
        : checksumName.equals("x-amz-checksum-sha1") ? sha1() : null;
  }

  /**
   * The checks of a request with these headers (names lower-case) signed as {@code claim} (null: an
   * anonymous request, whose body is taken as sent). {@code signingKey} checks chunk signatures.
   */
  static PayloadChecks of(Map<String, String> headers, SigV4.Claim claim, byte[] signingKey) {
    String payload = claim == null ? SigV4.UNSIGNED_PAYLOAD : claim.payloadHash();
    ChunkedBody chunked = null;
    boolean signedTrailer = false;
    switch (payload) {
      case SigV4.STREAMING_SIGNED, SigV4.STREAMING_SIGNED_TRAILER -> {
        chunked = new ChunkedBody(signingKey, claim.amzDate(), claim.scope(), claim.signature());
        signedTrailer = payload.equals(SigV4.STREAMING_SIGNED_TRAILER);
      }
      case SigV4.STREAMING_UNSIGNED_TRAILER -> chunked = new ChunkedBody(null, claim.amzDate(), claim.scope(), null);
      case SigV4.UNSIGNED_PAYLOAD -> { }
      default -> {
        if (!isHex64(payload)) {
          throw new S3Exception(400, "InvalidArgument", "x-amz-content-sha256 must be a SHA-256 in hex or one of "
              + "UNSIGNED-PAYLOAD, " + SigV4.STREAMING_SIGNED + ", " + SigV4.STREAMING_UNSIGNED_TRAILER);
        }
      }
    }
    String checksumName = null;
    String checksumValue = null;
    boolean checksumInTrailer = false;
    String trailerName = headers.get("x-amz-trailer");
    if (chunked != null && trailerName != null) {
      checksumName = trailerName.strip().toLowerCase(Locale.ROOT);
      checksumInTrailer = true;
    } else {
      // A checksum in a header, also on an aws-chunked body without a trailer (minio-go's signed parts).
      for (String name : CHECKSUMS) {
        if (headers.containsKey(name)) {
          checksumName = name;
          checksumValue = headers.get(name);
        }
      }
    }
    if (checksumName != null && !CHECKSUMS.contains(checksumName)) {
      throw S3Exception.invalidArgument("x-amz-trailer names " + checksumName + ", not one of " + CHECKSUMS);
    }
    OptionalLong decoded = OptionalLong.empty();
    String d = headers.get("x-amz-decoded-content-length");
    if (chunked != null && d != null) {
      try {
        decoded = OptionalLong.of(Long.parseLong(d.strip()));
      } catch (NumberFormatException e) {
        throw S3Exception.invalidArgument("x-amz-decoded-content-length must be a number");
      }
    }
    String contentMd5 = headers.get("content-md5");
    if (contentMd5 != null) {
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(contentMd5.strip());
      } catch (IllegalArgumentException e) {
        throw new S3Exception(400, "InvalidDigest", "The Content-MD5 you specified is not valid base64");
      }
      if (raw.length != 16) throw new S3Exception(400, "InvalidDigest", "The Content-MD5 you specified is not 16 bytes");
      contentMd5 = Hashes.HEX.formatHex(raw);
    }
    return new PayloadChecks(payload, chunked, signedTrailer, contentMd5, checksumName, checksumValue, checksumInTrailer,
        decoded);
  }

  /** The data's length when the request says it before the body: the decoded length, else Content-Length. */
  public OptionalLong dataLength(OptionalLong contentLength) {
    if (chunked != null) return decodedLength;
    return contentLength;
  }

  /**
   * Decodes and checks the body; fails at the end when a check does not hold. The last piece of data is held
   * back until the body's end was checked: a writer that stops reading once it has the announced length (the
   * operator does) thus never gets every byte of a body whose trailer or digest is wrong.
   */
  public Flow<ByteString, ByteString, NotUsed> flow() {
    return Flow.<ByteString>create()
        .statefulMap(() -> this, (self, in) -> Pair.create(self, self.accept(in)), self -> {
          self.finish();
          ByteString last = self.pending;
          self.pending = null;
          return last == null ? Optional.empty() : Optional.of(List.of(last));
        })
        .mapConcat(list -> list);
  }

  /** The data piece held back (see {@link #flow()}). */
  private ByteString pending;

  private List<ByteString> accept(ByteString in) {
    List<ByteString> data = chunked == null ? List.of(in) : chunked.feed(in);
    List<ByteString> out = new java.util.ArrayList<>(data.size());
    for (ByteString d : data) {
      if (d.isEmpty()) continue;
      if (pending != null) out.add(pending);
      pending = d;
    }
    for (ByteString d : data) {
      for (ByteBuffer b : d.getByteBuffers()) {
        md5.update(b.duplicate());
        if (sha256 != null) sha256.update(b.duplicate());
        if (checksum != null) checksum.update(b.duplicate());
        if (checksumDigest != null) checksumDigest.update(b.duplicate());
      }
      bytes += d.size();
    }
    return out;
  }

  private void finish() {
    String trailerChecksum = null;
    if (chunked != null) {
      Map<String, String> trailers = chunked.finish(signedTrailer);
      if (checksumName != null && checksumInTrailer) {
        trailerChecksum = trailers.get(checksumName);
        if (trailerChecksum == null) {
          throw new S3Exception(400, "InvalidRequest", "the trailer " + checksumName + " announced by x-amz-trailer is "
              + "missing (trailers received: " + trailers.keySet() + ")");
        }
      }
      if (decodedLength.isPresent() && decodedLength.getAsLong() != bytes) {
        throw new S3Exception(400, "IncompleteBody", "x-amz-decoded-content-length is " + decodedLength.getAsLong()
            + " but the chunks hold " + bytes + " bytes");
      }
    }
    String digest = Hashes.HEX.formatHex(md5.digest());
    if (sha256 != null && !Hashes.HEX.formatHex(sha256.digest()).equalsIgnoreCase(payloadHash)) {
      throw new S3Exception(400, "XAmzContentSHA256Mismatch",
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    if (contentMd5 != null && !contentMd5.equals(digest)) {
      throw new S3Exception(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    String expected = trailerChecksum != null ? trailerChecksum : checksumValue;
    if (checksumName != null && expected != null) {
      byte[] value = checksum != null ? ByteBuffer.allocate(4).putInt((int) checksum.getValue()).array()
          : checksumDigest.digest();
      String computed = Base64.getEncoder().encodeToString(value);
      if (!computed.equals(expected.strip())) {
        throw new S3Exception(400, "BadDigest", "The " + checksumName.substring("x-amz-checksum-".length()).toUpperCase(Locale.ROOT)
            + " you specified did not match the calculated checksum.");
      }
      verifiedChecksum = Map.entry(checksumName, computed);
    }
    md5Hex = digest;
  }

  /** The MD5 of the data in hex, once {@link #flow()} completed without failing; null before. */
  public String md5Hex() {
    return md5Hex;
  }

  /**
   * The checksum the request sent (header or trailer) as (header name, base64 value), once {@link #flow()}
   * completed and it held; empty when none was sent.
   */
  public Optional<Map.Entry<String, String>> verifiedChecksum() {
    return Optional.ofNullable(verifiedChecksum);
  }

  /** The checksums S3 defines, by header name; every one is checked. */
  static final List<String> CHECKSUMS = List.of("x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha1",
      "x-amz-checksum-sha256");

  private static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  private static boolean isHex64(String s) {
    if (s == null || s.length() != 64) return false;
    for (int i = 0; i < 64; i++) if (Character.digit(s.charAt(i), 16) < 0) return false;
    return true;
  }
}
