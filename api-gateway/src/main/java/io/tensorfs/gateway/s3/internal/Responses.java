package io.tensorfs.gateway.s3.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Builds the S3 edge's responses: XML bodies, errors, and the dates S3 writes. Stateless. */
final class Responses {
  static final ContentType.NonBinary XML = ContentTypes.create(MediaTypes.APPLICATION_XML, HttpCharsets.UTF_8);
  /** RFC 7231 dates (Last-Modified). */
  static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
  /** ISO 8601 with milliseconds, as S3 writes times in XML. */
  static final DateTimeFormatter XML_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Responses() {}

  static HttpResponse xml(int status, String body) {
    return HttpResponse.create().withStatus(StatusCodes.get(status)).withEntity(HttpEntities.create(XML, body));
  }

  static HttpResponse ok(String body) {
    return xml(200, body);
  }

  static HttpResponse empty(int status) {
    return HttpResponse.create().withStatus(StatusCodes.get(status));
  }

  /** The error answer of {@code e}: S3's XML body (none for HEAD, as S3 does). */
  static HttpResponse error(S3Exception e, String method, String resource) {
    String requestId = requestId();
    HttpResponse r = method.equals("HEAD") ? empty(e.status())
        : xml(e.status(), S3Errors.body(e, resource, requestId));
    return r.addHeader(RawHeader.create("x-amz-request-id", requestId));
  }

  static String requestId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase(java.util.Locale.ROOT);
  }

  static String httpDate(long millis) {
    return HTTP_DATE.format(Instant.ofEpochMilli(millis));
  }

  static String xmlDate(long millis) {
    return XML_DATE.format(Instant.ofEpochMilli(millis));
  }

  static String quoted(String etag) {
    return "\"" + etag + "\"";
  }
}
