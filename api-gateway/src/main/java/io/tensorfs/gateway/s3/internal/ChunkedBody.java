package io.tensorfs.gateway.s3.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;

/**
 * Decodes an {@code aws-chunked} body ({@code <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n} ... a
 * last chunk of size 0, then trailer lines) into its data, checking each chunk's signature when the payload
 * is signed (each signs the one before it, the first the request's signature) and collecting the
 * trailers ({@code x-amz-checksum-crc32: ...}) for {@link PayloadChecks}. Owned by the one stream stage that
 * feeds it; not thread-safe.
 */
final class ChunkedBody {
  private static final int MAX_LINE_BYTES = 4096;
  private static final String CHUNK_SIGNATURE = "chunk-signature=";

  private enum State { SIZE_LINE, DATA, DATA_END, TRAILER }

  /** Null for unsigned chunks. */
  private final byte[] signingKey;
  private final String amzDate;
  private final String scope;
  private String previousSignature;
  private State state = State.SIZE_LINE;
  private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
  private final java.io.ByteArrayOutputStream trailer = new java.io.ByteArrayOutputStream();
  private long remaining;
  private String chunkSignature;
  private MessageDigest chunkDigest;
  private boolean ended;
  private long decodedBytes;

  /** @param signingKey null for unsigned chunks; else the SigV4 signing key and the request's own signature */
  ChunkedBody(byte[] signingKey, String amzDate, String scope, String seedSignature) {
    this.signingKey = signingKey;
    this.amzDate = amzDate;
    this.scope = scope;
    this.previousSignature = seedSignature;
  }

  /** The data in {@code in}, in order; throws S3Exception when the encoding or a signature is wrong. */
  List<ByteString> feed(ByteString in) {
    List<ByteString> out = new ArrayList<>(2);
    int pos = 0;
    int n = in.size();
    while (pos < n) {
      switch (state) {
        case SIZE_LINE -> {
          byte b = in.apply(pos++);
          if (b == '\n') {
            startChunk(line.toString(StandardCharsets.US_ASCII).strip());
            line.reset();
          } else {
            line.write(b);
            if (line.size() > MAX_LINE_BYTES) throw bad("a chunk's size line is longer than " + MAX_LINE_BYTES + " bytes");
          }
        }
        case DATA -> {
          int take = (int) Math.min(remaining, n - pos);
          ByteString data = in.slice(pos, pos + take);
          if (chunkDigest != null) for (var bb : data.getByteBuffers()) chunkDigest.update(bb);
          out.add(data);
          decodedBytes += take;
          pos += take;
          remaining -= take;
          if (remaining == 0) state = State.DATA_END;
        }
        case DATA_END -> {
          byte b = in.apply(pos++);
          if (b == '\n') {
            endChunk(line.toString(StandardCharsets.US_ASCII));
            line.reset();
          } else {
            line.write(b);
            if (line.size() > 2) throw bad("a chunk's data is not followed by CRLF");
          }
        }
        case TRAILER -> {
          int take = n - pos;
          if (trailer.size() + take > MAX_LINE_BYTES) throw bad("the trailer is longer than " + MAX_LINE_BYTES + " bytes");
          byte[] rest = in.slice(pos, n).toArray();
          trailer.write(rest, 0, rest.length);
          pos = n;
        }
      }
    }
    return out;
  }

  private void startChunk(String sizeLine) {
    int semi = sizeLine.indexOf(';');
    String hex = semi < 0 ? sizeLine : sizeLine.substring(0, semi);
    try {
      remaining = Long.parseLong(hex.strip(), 16);
    } catch (NumberFormatException e) {
      throw bad("a chunk's size is not hexadecimal: '" + hex + "'");
    }
    if (remaining < 0) throw bad("a chunk's size is negative");
    chunkSignature = null;
    if (semi >= 0) {
      String ext = sizeLine.substring(semi + 1).strip();
      if (ext.startsWith(CHUNK_SIGNATURE)) chunkSignature = ext.substring(CHUNK_SIGNATURE.length());
    }
    if (signingKey != null && chunkSignature == null) {
      throw S3Exception.signatureMismatch("A chunk of a signed aws-chunked body carries no chunk-signature.");
    }
    chunkDigest = signingKey != null ? Hashes.sha256() : null;
    if (remaining == 0) {
      checkChunkSignature();
      ended = true;
      state = State.TRAILER;
    } else {
      state = State.DATA;
    }
  }

  private void endChunk(String rest) {
    if (!rest.equals("\r") && !rest.isEmpty()) throw bad("a chunk's data is not followed by CRLF");
    checkChunkSignature();
    state = State.SIZE_LINE;
  }

  private void checkChunkSignature() {
    if (signingKey == null) return;
    String dataHash = chunkDigest == null ? Hashes.EMPTY_SHA256 : Hashes.HEX.formatHex(chunkDigest.digest());
    String toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
        + Hashes.EMPTY_SHA256 + "\n" + dataHash;
    String expected = Hashes.HEX.formatHex(Hashes.hmac(signingKey, toSign));
    if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        chunkSignature.getBytes(StandardCharsets.US_ASCII))) {
      throw S3Exception.signatureMismatch("A chunk's signature does not match.");
    }
    previousSignature = chunkSignature;
  }

  /**
   * At the body's end: the trailers (names lower-case), after checking that the last chunk came and, for a
   * signed trailer, its signature.
   */
  Map<String, String> finish(boolean signedTrailer) {
    if (!ended) throw new S3Exception(400, "IncompleteBody", "the aws-chunked body ended before its last chunk");
    Map<String, String> trailers = new LinkedHashMap<>();
    StringBuilder signedText = new StringBuilder();
    String trailerSignature = null;
    for (String raw : trailer.toString(StandardCharsets.UTF_8).split("\n")) {
      String l = raw.strip();
      if (l.isEmpty()) continue;
      int colon = l.indexOf(':');
      if (colon <= 0) throw bad("a trailer line is not 'name:value'");
      String name = l.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT);
      String value = l.substring(colon + 1).strip();
      if (name.equals("x-amz-trailer-signature")) {
        trailerSignature = value;
      } else {
        trailers.put(name, value);
        signedText.append(name).append(':').append(value).append('\n');
      }
    }
    if (signedTrailer && signingKey != null) {
      if (trailerSignature == null) throw S3Exception.signatureMismatch("The trailer carries no x-amz-trailer-signature.");
      String toSign = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
          + Hashes.sha256Hex(signedText.toString());
      String expected = Hashes.HEX.formatHex(Hashes.hmac(signingKey, toSign));
      if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
          trailerSignature.getBytes(StandardCharsets.US_ASCII))) {
        throw S3Exception.signatureMismatch("The trailer's signature does not match.");
      }
    }
    return trailers;
  }

  long decodedBytes() {
    return decodedBytes;
  }

  private static S3Exception bad(String why) {
    return new S3Exception(400, "IncompleteBody", "malformed aws-chunked body: " + why);
  }
}
