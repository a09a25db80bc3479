package io.tensorfs.gateway.grpc;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.Preconditions;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.TfsClientException;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attributes, explicit directories and rename through the gRPC gateway and the Java client, on a real node. */
class GrpcMetaTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path storeDir;

  private static GrpcTestNode node;
  private static TfsClient client;

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir, new FakeGpus(), Hints.unsupported(), "");
    client = TfsClient.connect("127.0.0.1", node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) await(client.close());
    if (node != null) node.close();
  }

  private static TfsClientException failure(CompletionStage<?> stage) {
    Throwable cause = Awaits.failure(stage, WAIT);
    return assertInstanceOf(TfsClientException.class, cause, String.valueOf(cause));
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void shouldStoreTheWritersAttributesAndChangeThemWithoutNewBytes() throws Exception {
    WriteChunk header = WriteChunk.newBuilder().setPath("/gmeta/attrs/f").setMode(0600).setUid(1000).setGid(100)
        .setContentType("application/json").setMd5Hex("d41d8cd98f00b204e9800998ecf8427e")
        .putUser("Owner", "team-a").build();
    FileInfo written = await(client.write(header, new ByteArrayInputStream(random(3000, 1))));
    assertEquals(0600, written.getMode());
    assertEquals(1000, written.getUid());
    assertEquals("application/json", written.getContentType());
    assertEquals("d41d8cd98f00b204e9800998ecf8427e", written.getMd5Hex());
    assertEquals(Map.of("owner", "team-a"), written.getUserMap());
    assertEquals(written.getSealedAtMillis(), written.getMtimeMillis(), "mtime defaults to the seal time");

    FileInfo chmod = await(client.chmod("/gmeta/attrs/f", 0640));
    assertEquals(0640, chmod.getMode());
    assertEquals(written.getVersion(), chmod.getVersion(), "same bytes, same version");
    await(client.setMtime("/gmeta/attrs/f", 123_000L));
    FileInfo all = await(client.setAttributes(SetAttributesRequest.newBuilder().setPath("/gmeta/attrs/f")
        .setContentType("text/plain").setReplaceUser(true).build()));
    assertEquals(123_000L, all.getMtimeMillis());
    assertEquals("text/plain", all.getContentType());
    assertTrue(all.getUserMap().isEmpty(), "replace_user with no entries clears them");
    assertEquals("d41d8cd98f00b204e9800998ecf8427e", all.getMd5Hex(), "the MD5 stays with the bytes");
    assertEquals(Status.BAD_REQUEST, failure(client.chmod("/gmeta/attrs/f", 070000)).code(), "not a mode");
    assertEquals(0640, await(client.stat("/gmeta/attrs/f")).getMode(), "a refused change changes nothing");
    FileInfo plain = await(client.write("/gmeta/attrs/plain", "", random(10, 2)));
    assertEquals(0644, plain.getMode());
    assertFalse(plain.getIsDir());
  }

  @Test
  void shouldMakeStatAndRemoveExplicitDirectories() throws Exception {
    FileInfo made = await(client.mkdir("/gmeta/dirs/a", 0700));
    assertTrue(made.getIsDir());
    assertEquals(0700, made.getMode());
    assertTrue(made.getMtimeMillis() > 0);
    TfsClientException exists = failure(client.mkdir("/gmeta/dirs/a"));
    assertEquals(Status.CONFLICT, exists.code());
    assertTrue(exists.getMessage().contains("exists"), exists.getMessage());

    await(client.write("/gmeta/dirs/a/f", "", random(10, 3)));
    TfsClientException notEmpty = failure(client.rmdir("/gmeta/dirs/a"));
    assertEquals(Status.CONFLICT, notEmpty.code());
    assertTrue(notEmpty.getMessage().contains("not empty"), notEmpty.getMessage());
    await(client.delete("/gmeta/dirs/a/f"));
    FileInfo stat = await(client.stat("/gmeta/dirs/a"));
    assertTrue(stat.getIsDir(), "an emptied explicit directory stays");
    assertEquals(List.of(), await(client.list("/gmeta/dirs/a")));
    FileInfo chmod = await(client.chmod("/gmeta/dirs/a", 0750));
    assertTrue(chmod.getIsDir());
    assertEquals(0750, await(client.stat("/gmeta/dirs/a")).getMode());

    await(client.rmdir("/gmeta/dirs/a"));
    assertEquals(Status.NOT_FOUND, failure(client.stat("/gmeta/dirs/a")).code());
    assertEquals(Status.NOT_FOUND, failure(client.rmdir("/gmeta/dirs/a")).code());
    assertTrue(await(client.stat("/")).getIsDir());
  }

  @Test
  void shouldRenameAFileWithoutCopyingAndADirectoryEntryByEntry() throws Exception {
    byte[] bytes = random(5 << 20, 4);
    FileInfo a = await(client.write("/gmeta/mv/a.bin", "", bytes));
    await(client.write("/gmeta/mv/b.bin", "", random(100, 5)));

    TfsClientException refused = failure(client.rename("/gmeta/mv/a.bin", "/gmeta/mv/b.bin", Preconditions.ifAbsent()));
    assertEquals(Status.PRECONDITION_FAILED, refused.code());
    FileInfo moved = await(client.rename("/gmeta/mv/a.bin", "/gmeta/mv/b.bin"));
    assertEquals("/gmeta/mv/b.bin", moved.getPath());
    assertEquals(a.getCrc32C(), moved.getCrc32C());
    assertArrayEquals(bytes, await(client.readBytes("/gmeta/mv/b.bin", 0, 0)));
    assertEquals(Status.NOT_FOUND, failure(client.stat("/gmeta/mv/a.bin")).code());

    await(client.mkdir("/gmeta/mv/dir/empty"));
    await(client.write("/gmeta/mv/dir/x", "", random(10, 6)));
    await(client.write("/gmeta/mv/dir/sub/y", "", random(20, 7)));
    FileInfo dir = await(client.rename("/gmeta/mv/dir", "/gmeta/mv/moved"));
    assertTrue(dir.getIsDir());
    assertEquals(List.of("empty", "sub", "x"),
        await(client.list("/gmeta/mv/moved")).stream().map(ListReply.Entry::getName).toList());
    assertEquals(20, await(client.stat("/gmeta/mv/moved/sub/y")).getSize());
    assertTrue(await(client.stat("/gmeta/mv/moved/empty")).getIsDir(), "explicit directories move too");
    assertEquals(Status.NOT_FOUND, failure(client.stat("/gmeta/mv/dir")).code());
    assertEquals(Status.BAD_REQUEST, failure(client.rename("/gmeta/mv/b.bin", "/other/b.bin")).code(),
        "cross-tenant");

    ListReply.Entry listed = await(client.list("/gmeta/mv")).stream().filter(e -> e.getName().equals("b.bin"))
        .findFirst().orElseThrow();
    assertEquals(moved.getVersion(), listed.getVersion());
    assertEquals(moved.getMtimeMillis(), listed.getMtimeMillis());
  }
}
