package io.tensorfs.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.BearerHttpClient;
import io.tensorfs.harness.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small HTTP client for the tests: raw paths go on the wire exactly as given, each request with the
 * token this client was made with ({@code Authorization: Bearer ...}, unless the request sets its own), also
 * those sent through {@link #client()}.
 */
final class TfsHttp {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client;
  private final URI base;

  /** A client of {@code node} with its cluster's admin token; the node must have started. */
  TfsHttp(NodeProcess node) {
    this(node.baseUri(), AdminToken.of(node));
  }

  /** A client of {@code base} that sends {@code token}, or no token when it is null. */
  TfsHttp(URI base, String token) {
    this.base = base;
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    this.client = token == null ? plain : new BearerHttpClient(plain, token);
  }

  /** A client of {@code base} that sends no token. */
  TfsHttp(URI base) {
    this(base, null);
  }

  HttpResponse<byte[]> send(String method, String rawPath, HttpRequest.BodyPublisher body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + rawPath)).timeout(Duration.ofMinutes(2))
        .method(method, body);
    if (headers.length > 0) b.headers(headers);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> put(String rawPath, byte[] bytes, String... headers) throws IOException, InterruptedException {
    return send("PUT", rawPath, HttpRequest.BodyPublishers.ofByteArray(bytes), headers);
  }

  HttpResponse<byte[]> get(String rawPath, String... headers) throws IOException, InterruptedException {
    return send("GET", rawPath, HttpRequest.BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> delete(String rawPath, String... headers) throws IOException, InterruptedException {
    return send("DELETE", rawPath, HttpRequest.BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> head(String rawPath, String... headers) throws IOException, InterruptedException {
    return send("HEAD", rawPath, HttpRequest.BodyPublishers.noBody(), headers);
  }

  /** The underlying client: requests sent through it carry this client's token too. */
  HttpClient client() {
    return client;
  }

  URI base() {
    return base;
  }

  static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    return JSON.readTree(r.body());
  }
}
