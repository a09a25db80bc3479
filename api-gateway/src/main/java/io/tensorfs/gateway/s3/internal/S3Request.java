package io.tensorfs.gateway.s3.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;

/**
 * One S3 request as the S3 edge reads it: method, the target as sent, the query decoded, the headers (names
 * lower-case, repeated ones joined with ","), and the bucket and key it addresses, path-style
 * ({@code /bucket/key}) or virtual-host ({@code bucket.<domain>/key}). Immutable.
 *
 * @param bucket empty for the service (ListBuckets)
 * @param key    empty for a bucket request; never starts with '/'
 */
public record S3Request(String method, String rawPath, String rawQuery, Map<String, String> query,
    Map<String, String> headers, Optional<String> bucket, Optional<String> key, OptionalLong contentLength,
    String contentType) {

  /** Reads a request from the full server; {@code domains} are the virtual-host domains. */
  static S3Request of(HttpRequest request, List<String> domains) {
    String target = request.getHeader(RawRequestURI.class).map(RawRequestURI::uri)
        .orElseGet(() -> request.getUri().toString());
    Map<String, String> headers = new LinkedHashMap<>();
    for (HttpHeader h : request.getHeaders()) {
      headers.merge(h.lowercaseName(), h.value(), (a, b) -> a + "," + b);
    }
    String contentType = request.entity().getContentType().toString();
    boolean typeSent = !(request.entity().getContentType().equals(org.apache.pekko.http.javadsl.model.ContentTypes.NO_CONTENT_TYPE))
        && !contentType.equals("none/none");
    if (typeSent) headers.put("content-type", contentType);
    OptionalLong length = request.entity().getContentLengthOption();
    if (length.isPresent()) headers.put("content-length", Long.toString(length.getAsLong()));
    return of(request.method().name(), target, headers, domains, length, typeSent ? contentType : null);
  }

  /** Reads a request from its parts (the front door's direct reads). */
  static S3Request of(String method, String target, Map<String, String> headers, List<String> domains,
      OptionalLong contentLength, String contentType) {
    int q = target.indexOf('?');
    String rawPath = q < 0 ? target : target.substring(0, q);
    String rawQuery = q < 0 ? "" : target.substring(q + 1);
    if (rawPath.startsWith("http://") || rawPath.startsWith("https://")) {
      int slash = rawPath.indexOf('/', rawPath.indexOf("//") + 2);
      rawPath = slash < 0 ? "/" : rawPath.substring(slash);
    }
    Map<String, String> query = parseQuery(rawQuery);
    String path = SigV4.percentDecode(rawPath, false);
    if (!path.startsWith("/")) throw S3Exception.invalidRequest("the request target must start with '/'");
    Optional<String> vhost = virtualHostBucket(headers.get("host"), domains);
    String bucket;
    String key;
    if (vhost.isPresent()) {
      bucket = vhost.get();
      key = path.substring(1);
    } else {
      String rest = path.substring(1);
      int slash = rest.indexOf('/');
      bucket = slash < 0 ? rest : rest.substring(0, slash);
      key = slash < 0 ? "" : rest.substring(slash + 1);
    }
    return new S3Request(method, rawPath, rawQuery, Collections.unmodifiableMap(query),
        Collections.unmodifiableMap(headers), bucket.isEmpty() ? Optional.empty() : Optional.of(bucket),
        key.isEmpty() ? Optional.empty() : Optional.of(key), contentLength, contentType);
  }

  private static Optional<String> virtualHostBucket(String host, List<String> domains) {
    if (host == null) return Optional.empty();
    String h = host.toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon > 0 && h.indexOf(']') < colon) h = h.substring(0, colon);
    for (String domain : domains) {
      String suffix = "." + domain.toLowerCase(Locale.ROOT);
      if (h.endsWith(suffix) && h.length() > suffix.length()) return Optional.of(h.substring(0, h.length() - suffix.length()));
    }
    return Optional.empty();
  }

  static Map<String, String> parseQuery(String rawQuery) {
    Map<String, String> query = new LinkedHashMap<>();
    if (rawQuery.isEmpty()) return query;
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String name = SigV4.percentDecode(eq < 0 ? pair : pair.substring(0, eq), true);
      String value = eq < 0 ? "" : SigV4.percentDecode(pair.substring(eq + 1), true);
      query.putIfAbsent(name, value);
    }
    return query;
  }

  boolean has(String queryParam) {
    return query.containsKey(queryParam);
  }

  Optional<String> param(String name) {
    return Optional.ofNullable(query.get(name));
  }

  Optional<String> header(String lowerName) {
    return Optional.ofNullable(headers.get(lowerName));
  }

  /** The path for error bodies: {@code /bucket/key}. */
  String resource() {
    return "/" + bucket.orElse("") + key.map(k -> "/" + k).orElse("");
  }

  /**
   * Each signed header's possible values as the client sent them. The full server re-renders Content-Type
   * from its parsed form (a charset's case may differ), so for that header the variants are tried.
   */
  Map<String, List<String>> headerCandidates() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (var e : headers.entrySet()) {
      List<String> values = new ArrayList<>();
      values.add(e.getValue());
      if (e.getKey().equals("content-type")) {
        String v = e.getValue();
        String lower = v.toLowerCase(Locale.ROOT);
        if (!lower.equals(v)) values.add(lower);
        String noSpace = v.replace("; ", ";");
        if (!noSpace.equals(v)) values.add(noSpace);
        int charset = lower.indexOf("; charset=");
        if (charset > 0) {
          values.add(v.substring(0, charset) + "; charset=" + v.substring(charset + 10).toLowerCase(Locale.ROOT));
          values.add(v.substring(0, charset));
        }
      }
      out.put(e.getKey(), values);
    }
    return out;
  }
}
