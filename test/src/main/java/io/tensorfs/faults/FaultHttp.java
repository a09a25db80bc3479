package io.tensorfs.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.harness.BearerHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The HTTP calls a fault trial makes of a node, over its own connection pool (one per client thread), each
 * with the cluster's admin token. Blocking; owned by one thread.
 */
public final class FaultHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A node's answer: its status, body and the ETag's version ({@code -1} when none). */
  public record Answer(int status, byte[] body, long version) {
    public String text() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    public JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  private final HttpClient client;
  private final Duration timeout;

  /**
   * @param timeout how long one request may take before its outcome counts as unknown
   * @param token   the token every request carries ({@link FaultCluster#adminToken()})
   */
  public FaultHttp(Duration timeout, String token) {
    this.timeout = timeout;
    this.client = new BearerHttpClient(HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build(), token);
  }

  public Answer put(URI node, String path, byte[] bytes) throws IOException, InterruptedException {
    return send(node, "/v1/files" + path + "?policy=persistent", "PUT", HttpRequest.BodyPublishers.ofByteArray(bytes));
  }

  /** A PUT whose length is not declared (chunked): the node learns the size only as the bytes come. */
  public Answer putChunked(URI node, String path, byte[] bytes) throws IOException, InterruptedException {
    return send(node, "/v1/files" + path + "?policy=persistent", "PUT",
        HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)));
  }

  public Answer get(URI node, String path) throws IOException, InterruptedException {
    return send(node, "/v1/files" + path, "GET", HttpRequest.BodyPublishers.noBody());
  }

  public Answer delete(URI node, String path) throws IOException, InterruptedException {
    return send(node, "/v1/files" + path, "DELETE", HttpRequest.BodyPublishers.noBody());
  }

  public Answer stat(URI node, String path) throws IOException, InterruptedException {
    return send(node, "/v1/stat" + path, "GET", HttpRequest.BodyPublishers.noBody());
  }

  private Answer send(URI node, String rawPath, String method, HttpRequest.BodyPublisher body)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node + rawPath)).timeout(timeout)
        .method(method, body).build();
    HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    return new Answer(r.statusCode(), r.body(), r.headers().firstValue("ETag").map(FaultHttp::version).orElse(-1L));
  }

  private static long version(String etag) {
    try {
      return Long.parseLong(etag.replace("W/", "").replace("\"", "").trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
