package io.tensorfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The metadata benchmark's clients of one node: one kept-alive connection per client, and the operations
 * the benchmark times, each checking its answer (a create answers 201; a stat the file's size; a GET the
 * file's exact bytes; a listing page is sorted). Client {@code c} is used by one thread at a time; the
 * counts of checks are shared.
 */
final class TfsClients implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KeepAliveHttp[] connections;
  final AtomicLong createsChecked = new AtomicLong();
  final AtomicLong statsChecked = new AtomicLong();
  final AtomicLong getsChecked = new AtomicLong();

  /** One page of a listing: its names in order and the token of the next page (null on the last). */
  record Page(List<String> names, String next) {}

  TfsClients(Endpoint node, int clients) throws IOException {
    connections = new KeepAliveHttp[clients];
    for (int c = 0; c < clients; c++) connections[c] = new KeepAliveHttp(node);
  }

  /** Creates (and seals) the {@code persistent} file {@code path} (below /v1/files) with its {@link SmallFiles} bytes. */
  void create(int client, String path, int size) throws IOException {
    put(client, "/v1/files/" + path + "?policy=persistent", path, size);
  }

  /** A PUT of {@code path}'s {@link SmallFiles} bytes to {@code uri}; it must answer 201. */
  void put(int client, String uri, String path, int size) throws IOException {
    KeepAliveHttp.Answer a = connections[client].send("PUT", uri, SmallFiles.of(path, size));
    if (a.status() != 201) throw new IllegalStateException("PUT " + uri + " answered " + a.status() + ": " + a.text());
    createsChecked.incrementAndGet();
  }

  /** A stat (HEAD) of {@code path}: 200 and its size. */
  void stat(int client, String path, int size) throws IOException {
    KeepAliveHttp.Answer a = connections[client].head("/v1/files/" + path);
    if (a.status() != 200 || a.contentLength() != size) {
      throw new IllegalStateException("HEAD " + path + " answered " + a.status() + " with " + a.contentLength()
          + " bytes, expected 200 with " + size);
    }
    statsChecked.incrementAndGet();
  }

  /** A GET of {@code path}: 200 and exactly its bytes. */
  void get(int client, String path, int size) throws IOException {
    read(client, "/v1/files/" + path, path, size);
  }

  /** A GET of {@code uri} that must answer 200 with exactly the bytes of {@code path} of {@code size}. */
  void read(int client, String uri, String path, int size) throws IOException {
    KeepAliveHttp.Answer a = connections[client].getSmall(uri);
    if (a.status() != 200) throw new IllegalStateException("GET " + uri + " answered " + a.status() + ": " + a.text());
    SmallFiles.check("GET " + uri, path, size, a.body());
    getsChecked.incrementAndGet();
  }

  /** Any request's answer, for callers that judge it themselves. */
  KeepAliveHttp.Answer raw(int client, String method, String uri, byte[] body) throws IOException {
    return method.equals("GET") ? connections[client].getSmall(uri) : connections[client].send(method, uri, body);
  }

  /** One page of {@code dir}'s listing ({@code after} null: the first); checks the page is sorted. */
  Page list(int client, String dir, int limit, String after) throws IOException {
    String uri = "/v1/list/" + dir + "?limit=" + limit + (after == null ? "" : "&after=" + after);
    KeepAliveHttp.Answer a = connections[client].getSmall(uri);
    if (a.status() != 200) throw new IllegalStateException("GET " + uri + " answered " + a.status() + ": " + a.text());
    JsonNode reply = JSON.readTree(a.body());
    List<String> names = new ArrayList<>();
    for (JsonNode e : reply.path("entries")) names.add(e.path("name").asText());
    for (int i = 1; i < names.size(); i++) {
      if (names.get(i - 1).compareTo(names.get(i)) >= 0) {
        throw new IllegalStateException("GET " + uri + ": " + names.get(i - 1) + " before " + names.get(i));
      }
    }
    JsonNode next = reply.path("next");
    return new Page(names, next.isTextual() ? next.asText() : null);
  }

  @Override
  public void close() throws IOException {
    for (KeepAliveHttp c : connections) c.close();
  }
}
