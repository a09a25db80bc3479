package io.tensorfs.gateway.http;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.grpc.GrpcTestNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batched KV routes ?op=mput and ?op=mget over a one-node tensorfs in this JVM: framing, misses, errors. */
class KvBatchesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir
  static Path storeDir;

  private static GrpcTestNode node;
  private static HttpApi api;

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir);
    NodeStatus up = new NodeStatus() {
      @Override public String nodeId() { return "node-http"; }
      @Override public boolean ready() { return true; }
      @Override public List<String> members() { return List.of(); }
    };
    api = new HttpApi(node.testKit.system(), node.files, GatewaySettings.fromConfig(node.testKit.system().settings().config()), up);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private record Answer(int status, String type, ByteString body) {}

  private static Answer post(String uri, byte[] body) {
    HttpResponse r = await(api.handle(HttpRequest.POST(uri)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, body))));
    ByteString bytes = await(r.entity().toStrict(10_000, node.testKit.system())).getData();
    return new Answer(r.status().intValue(), r.entity().getContentType().toString(), bytes);
  }

  private static byte[] records(List<String> keys, List<byte[]> values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < keys.size(); i++) {
      byte[] k = keys.get(i).getBytes(StandardCharsets.UTF_8);
      ByteBuffer head = ByteBuffer.allocate(2 + k.length + 8).order(ByteOrder.LITTLE_ENDIAN);
      head.putShort((short) k.length).put(k).putLong(values.get(i).length);
      out.writeBytes(head.array());
      out.writeBytes(values.get(i));
    }
    return out.toByteArray();
  }

  private static byte[] keysJson(String... keys) throws Exception {
    return MAPPER.writeValueAsBytes(java.util.Map.of("keys", List.of(keys)));
  }

  /** One mget record: key index, status, and the bytes when OK. */
  private record Got(int index, int status, long length, byte[] bytes) {}

  private static List<Got> parse(ByteString body) {
    ByteBuffer in = body.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    java.util.ArrayList<Got> out = new java.util.ArrayList<>();
    while (in.hasRemaining()) {
      int index = in.getInt();
      int status = in.getInt();
      long length = in.getLong();
      byte[] bytes = new byte[status == 0 ? (int) length : 0];
      in.get(bytes);
      out.add(new Got(index, status, length, bytes));
    }
    return out;
  }

  @Test
  void shouldPutABatchThenGetEveryKeyInOrderWithMissesAsRecords() throws Exception {
    Random random = new Random(3);
    byte[] a = new byte[300_000];
    byte[] b = new byte[0];
    byte[] c = new byte[1 << 20];
    random.nextBytes(a);
    random.nextBytes(c);
    Answer put = post("/v1/kv/t?op=mput", records(List.of("s/a", "s/b", "s/c", "bad/../key"), List.of(a, b, c, new byte[3])));
    assertEquals(200, put.status());
    JsonNode results = MAPPER.readTree(put.body().toArray()).get("results");
    assertEquals(4, results.size());
    assertEquals("OK", results.get(0).get("status").asText());
    assertEquals(300_000, results.get(0).get("length").asLong());
    assertEquals("OK", results.get(1).get("status").asText());
    assertEquals("OK", results.get(2).get("status").asText());
    assertEquals("BAD_PATH", results.get(3).get("status").asText());

    Answer got = post("/v1/kv/t?op=mget", keysJson("s/c", "s/none", "s/a", "s/b", "x/../y"));
    assertEquals(200, got.status());
    assertEquals("application/x-tfs-kv-batch", got.type());
    List<Got> records = parse(got.body());
    assertEquals(List.of(0, 1, 2, 3, 4), records.stream().map(Got::index).toList());
    assertEquals(List.of(0, 3, 0, 0, 1), records.stream().map(Got::status).toList(), "OK, NOT_FOUND, OK, OK, BAD_PATH");
    assertArrayEquals(c, records.get(0).bytes());
    assertArrayEquals(a, records.get(2).bytes());
    assertEquals(0, records.get(3).length());
  }

  @Test
  void shouldRefuseABrokenBodyWholeAndPutNothing() throws Exception {
    byte[] body = records(List.of("whole/a", "whole/b"), List.of(new byte[10], new byte[10]));
    Answer cut = post("/v1/kv/t?op=mput", Arrays.copyOf(body, body.length - 1));
    assertEquals(400, cut.status());
    assertTrue(cut.body().utf8String().contains("record 1"), cut.body().utf8String());
    List<Got> none = parse(post("/v1/kv/t?op=mget", keysJson("whole/a")).body());
    assertEquals(3, none.get(0).status(), "nothing of a refused batch was put");
    assertEquals(400, post("/v1/kv/t?op=mget", "not json".getBytes(StandardCharsets.UTF_8)).status());
    assertEquals(400, post("/v1/kv/t?op=mdelete", new byte[0]).status());
  }
}
