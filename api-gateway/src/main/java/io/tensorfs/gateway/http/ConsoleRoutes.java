package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The admin console's page and assets (README: "Admin console"), served from the jar's {@code console/}
 * folder at {@code /console}; they need no token (the page asks for one and sends it with every call).
 * Only plain names of files in that folder are served. Thread-safe: assets are read once and kept.
 */
final class ConsoleRoutes {
  static final String PREFIX = "/console";
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(html|css|js|svg|png)");
  private static final Map<String, ContentType> TYPES = Map.of(
      "html", ContentTypes.TEXT_HTML_UTF8,
      "css", MediaTypes.TEXT_CSS.toContentType(org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8),
      "js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8),
      "svg", MediaTypes.IMAGE_SVG_XML.toContentType(),
      "png", MediaTypes.IMAGE_PNG.toContentType());

  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  HttpResponse route(HttpRequest request, String path) {
    if (request.method() != HttpMethods.GET && request.method() != HttpMethods.HEAD) {
      return Json.response(StatusCodes.METHOD_NOT_ALLOWED,
          new Json.Error(ErrorCode.BAD_REQUEST.name(), request.method().name() + " is not allowed here; use GET"))
          .addHeader(RawHeader.create("Allow", "GET, HEAD"));
    }
    if (path.equals(PREFIX)) {
      return HttpResponse.create().withStatus(StatusCodes.MOVED_PERMANENTLY).addHeader(Location.create(PREFIX + "/"));
    }
    String name = path.substring(PREFIX.length() + 1);
    if (name.isEmpty()) name = "index.html";
    byte[] bytes = NAME.matcher(name).matches() ? asset(name) : null;
    if (bytes == null) return Json.error(ErrorCode.NOT_FOUND, "no such console file: " + name);
    ContentType type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    return HttpResponse.create().withEntity(HttpEntities.create(type, bytes))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"));
  }

  private byte[] asset(String name) {
    byte[] known = cache.get(name);
    if (known != null) return known;
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + name)) {
      if (in == null) return null;
      byte[] bytes = in.readAllBytes();
      cache.put(name, bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
