package io.tensorfs.gateway.grpc;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.BatchSession;
import io.tensorfs.client.Preconditions;
import io.tensorfs.client.Sges;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.TfsClientException;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.Flag;
import io.tensorfs.gateway.grpc.v1.HintOp;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.Submission;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC gateway end to end over a one-node tensorfs in this JVM, through the Java client. */
class GrpcGatewayTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int IN_FLIGHT = 16;

  @TempDir
  static Path storeDir;

  private static final FakeGpus gpus = new FakeGpus();
  private static final ConcurrentLinkedQueue<String> hinted = new ConcurrentLinkedQueue<>();
  private static GrpcTestNode node;
  private static TfsClient client;
  private static final List<TestSegment> segments = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Hints hints = (path, op) -> {
      if (path.name().equals("missing")) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, path + " does not exist"));
      }
      hinted.add(op + " " + path);
      return CompletableFuture.completedFuture(op + " done for " + path);
    };
    // A small staging buffer, so that GPU elements take several copies each.
    node = GrpcTestNode.start(storeDir, gpus, hints, """
        tensorfs.gateway.grpc.gpu-staging = 64 KiB
        tensorfs.gateway.grpc.in-flight-per-stream = %d
        """.formatted(IN_FLIGHT));
    client = TfsClient.connect("127.0.0.1", node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestSegment s : segments) s.close();
    if (client != null) await(client.close());
    if (node != null) node.close();
  }

  private static TestSegment segment(long bytes) throws Exception {
    TestSegment s = new TestSegment(bytes);
    segments.add(s);
    return s;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static FileInfo put(String path, byte[] bytes) throws Exception {
    return await(client.write(path, "", bytes));
  }

  private static byte[] readAll(String path, long offset, long length) throws Exception {
    return await(client.readBytes(path, offset, length));
  }

  private static Map<Long, Completion> run(List<Submission> submissions) throws Exception {
    BatchSession batch = client.openBatch();
    for (Submission s : submissions) batch.submit(s);
    List<Completion> done = await(batch.collect(submissions.size(), WAIT));
    await(batch.close());
    Map<Long, Completion> byId = new HashMap<>();
    for (Completion c : done) byId.put(c.getId(), c);
    assertEquals(submissions.size(), byId.size(), "one completion per submission");
    return byId;
  }

  private static Submission preadv(long id, String path, long offset, Sge... sges) {
    return Submission.newBuilder().setId(id).setOp(Op.PREADV).setPath(path).setOffset(offset)
        .addAllSges(List.of(sges)).build();
  }

  private static Submission pwritev(long id, String path, int flags, Sge... sges) {
    return Submission.newBuilder().setId(id).setOp(Op.PWRITEV).setPath(path).setFlags(flags)
        .addAllSges(List.of(sges)).build();
  }

  private static void assertOk(Completion c, long value) {
    assertEquals(Status.OK, c.getStatus(), c.getMessage());
    assertEquals(value, c.getValue());
  }

  @Test
  void shouldScatterFileIntoHostSegmentsWhenPreadv() throws Exception {
    byte[] file = random(5 * (1 << 20) + 12345, 1);
    put("/t/scatter.bin", file);
    TestSegment a = segment(4 << 20);
    TestSegment b = segment(3 << 20);
    int first = (1 << 20) + 7;
    int second = 2 << 20;
    int third = 1500;

    Map<Long, Completion> done = run(List.of(
        preadv(1, "/t/scatter.bin", 1000,
            Sges.host(a.name, 10, first), Sges.host(b.name, 0, second), Sges.host(a.name, 3 << 20, third)),
        preadv(2, "/t/scatter.bin", 4 << 20, Sges.host(b.name, 2 << 20, 1 << 20))));

    assertOk(done.get(1L), first + second + third);
    assertArrayEquals(Arrays.copyOfRange(file, 1000, 1000 + first), a.read(10, first));
    assertArrayEquals(Arrays.copyOfRange(file, 1000 + first, 1000 + first + second), b.read(0, second));
    assertArrayEquals(Arrays.copyOfRange(file, 1000 + first + second, 1000 + first + second + third), a.read(3 << 20, third));
    assertOk(done.get(2L), 1 << 20);
    assertArrayEquals(Arrays.copyOfRange(file, 4 << 20, 5 << 20), b.read(2 << 20, 1 << 20));
  }

  @Test
  void shouldCompleteShortWhenReadReachesEndOfFile() throws Exception {
    byte[] file = random(10_000, 2);
    put("/t/short.bin", file);
    TestSegment s = segment(8192);

    Map<Long, Completion> done = run(List.of(
        preadv(1, "/t/short.bin", 9_900, Sges.host(s.name, 0, 50), Sges.host(s.name, 1000, 4000)),
        preadv(2, "/t/short.bin", 10_000, Sges.host(s.name, 6000, 100)),
        preadv(3, "/t/short.bin", 50_000, Sges.host(s.name, 6000, 100))));

    assertOk(done.get(1L), 100);
    assertArrayEquals(Arrays.copyOfRange(file, 9_900, 9_950), s.read(0, 50));
    assertArrayEquals(Arrays.copyOfRange(file, 9_950, 10_000), s.read(1000, 50));
    assertArrayEquals(new byte[100], s.read(1050, 100), "bytes past the end of the file are not touched");
    assertOk(done.get(2L), 0);
    assertOk(done.get(3L), 0);
  }

  @Test
  void shouldCompleteWithErrorCodeWhenSubmissionIsBad() throws Exception {
    put("/t/present.bin", random(4096, 3));
    TestSegment s = segment(4096);

    Map<Long, Completion> done = run(List.of(
        preadv(1, "/t/absent.bin", 0, Sges.host(s.name, 0, 100)),
        preadv(2, "/t/present.bin", 0, Sges.host(s.name, 4000, 200)),
        preadv(3, "/t/present.bin", 0, Sges.host("../etc/passwd", 0, 100)),
        preadv(4, "/t/present.bin", 0, Sges.host("tfs-test-no-such-segment", 0, 100)),
        preadv(5, "/t//bad", 0, Sges.host(s.name, 0, 100)),
        pwritev(6, "/t/offset.bin", 0, Sges.host(s.name, 0, 100)).toBuilder().setOffset(10).build(),
        preadv(7, "/t/present.bin", 0, Sges.host(s.name, 0, 100)).toBuilder().setFlags(0x80).build(),
        preadv(8, "/t/present.bin", 0, Sges.host(s.name, 0, 100))));

    assertEquals(Status.NOT_FOUND, done.get(1L).getStatus());
    assertEquals(Status.BAD_REQUEST, done.get(2L).getStatus());
    assertTrue(done.get(2L).getMessage().contains("4096 bytes"), done.get(2L).getMessage());
    assertEquals(Status.BAD_REQUEST, done.get(3L).getStatus());
    assertEquals(Status.BAD_REQUEST, done.get(4L).getStatus());
    assertEquals(Status.BAD_PATH, done.get(5L).getStatus());
    assertEquals(Status.BAD_REQUEST, done.get(6L).getStatus());
    assertTrue(done.get(6L).getMessage().contains("offset must be 0"), done.get(6L).getMessage());
    assertEquals(Status.BAD_REQUEST, done.get(7L).getStatus());
    assertOk(done.get(8L), 100);
  }

  @Test
  void shouldRefuseWithBadRequestASymbolicLinkOrANameOutsideTheNamespace() throws Exception {
    put("/t/linked.bin", random(4096, 5));
    Path target = Files.createTempFile("tfs-link-target", ".bin");
    Path planted = Path.of("/dev/shm", "tfs-test-link-" + java.util.UUID.randomUUID());
    try {
      Files.write(target, new byte[4096]);
      Files.createSymbolicLink(planted, target);
      Map<Long, Completion> done = run(List.of(
          preadv(1, "/t/linked.bin", 0, Sges.host(planted.getFileName().toString(), 0, 100)),
          preadv(2, "/t/linked.bin", 0, Sges.host("not-tfs-segment", 0, 100))));
      assertEquals(Status.BAD_REQUEST, done.get(1L).getStatus());
      assertTrue(done.get(1L).getMessage().contains("symbolic link"), done.get(1L).getMessage());
      assertArrayEquals(new byte[4096], Files.readAllBytes(target), "nothing was written through the link");
      assertEquals(Status.BAD_REQUEST, done.get(2L).getStatus());
      assertTrue(done.get(2L).getMessage().contains("outside this node's namespace"), done.get(2L).getMessage());
    } finally {
      Files.deleteIfExists(planted);
      Files.deleteIfExists(target);
    }
  }

  @Test
  void shouldCompleteGpuElementsUnavailableWhenNoGpuWhileOthersSucceed() throws Exception {
    byte[] file = random(300_000, 4);
    put("/t/nogpu.bin", file);
    TestSegment s = segment(1 << 20);
    byte[] handle = gpus.allocate(1 << 20);
    gpus.available = false;
    try {
      Map<Long, Completion> done = run(List.of(
          preadv(1, "/t/nogpu.bin", 0, Sges.host(s.name, 0, 100_000)),
          preadv(2, "/t/nogpu.bin", 0, Sges.gpu(handle, 0, 0, 100_000)),
          pwritev(3, "/t/nogpu-out.bin", 0, Sges.gpu(handle, 0, 0, 100)),
          preadv(4, "/t/nogpu.bin", 100_000, Sges.host(s.name, 100_000, 200_000))));

      assertOk(done.get(1L), 100_000);
      assertEquals(Status.UNAVAILABLE, done.get(2L).getStatus());
      assertTrue(done.get(2L).getMessage().contains("no usable GPU"), done.get(2L).getMessage());
      assertEquals(Status.UNAVAILABLE, done.get(3L).getStatus());
      assertOk(done.get(4L), 200_000);
      assertArrayEquals(Arrays.copyOf(file, 300_000), s.read(0, 300_000));
    } finally {
      gpus.available = true;
    }
  }

  @Test
  void shouldScatterIntoAndGatherFromGpuMemoryThroughStaging() throws Exception {
    byte[] file = random(1_000_003, 5);
    put("/t/gpu.bin", file);
    TestSegment s = segment(1 << 20);
    byte[] handle = gpus.allocate(2 << 20);
    int gpuBytes = 700_001;

    Map<Long, Completion> done = run(List.of(preadv(1, "/t/gpu.bin", 3,
        Sges.gpu(handle, 0, 4096, gpuBytes), Sges.host(s.name, 0, 400_000))));

    assertOk(done.get(1L), 1_000_000);
    byte[] device = gpus.memoryOf(handle);
    assertArrayEquals(Arrays.copyOfRange(file, 3, 3 + gpuBytes), Arrays.copyOfRange(device, 4096, 4096 + gpuBytes));
    assertArrayEquals(Arrays.copyOfRange(file, 3 + gpuBytes, 1_000_003), s.read(0, 1_000_003 - 3 - gpuBytes));

    Map<Long, Completion> written = run(List.of(pwritev(2, "/t/gpu-out.bin", 0,
        Sges.host(s.name, 0, 1000), Sges.gpu(handle, 0, 4096, gpuBytes))));

    assertOk(written.get(2L), 1000 + gpuBytes);
    byte[] expected = new byte[1000 + gpuBytes];
    System.arraycopy(s.read(0, 1000), 0, expected, 0, 1000);
    System.arraycopy(device, 4096, expected, 1000, gpuBytes);
    assertArrayEquals(expected, readAll("/t/gpu-out.bin", 0, 0));
  }

  @Test
  void shouldCompleteEverySubmissionWithBoundedConcurrencyWhenFiveHundredInFlight() throws Exception {
    int each = 32 << 10;
    int count = 500;
    byte[] file = random(100 * 2 * each, 6);
    put("/t/many.bin", file);
    TestSegment s = segment((long) count * each);
    byte[] handle = gpus.allocate(count * each);
    gpus.maxInFlight.set(0);
    List<Submission> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long at = (long) (i % 100) * each * 2;
      all.add(preadv(i, "/t/many.bin", at, Sges.host(s.name, (long) i * each, each), Sges.gpu(handle, 0, (long) i * each, each)));
    }

    Map<Long, Completion> done = run(all);

    byte[] device = gpus.memoryOf(handle);
    for (int i = 0; i < count; i++) {
      assertOk(done.get((long) i), 2L * each);
      int at = (i % 100) * each * 2;
      assertArrayEquals(Arrays.copyOfRange(file, at, at + each), s.read((long) i * each, each), "host part of " + i);
      assertArrayEquals(Arrays.copyOfRange(file, at + each, at + 2 * each),
          Arrays.copyOfRange(device, i * each, (i + 1) * each), "GPU part of " + i);
    }
    assertTrue(gpus.maxInFlight.get() <= IN_FLIGHT,
        "at most " + IN_FLIGHT + " submissions run at once, saw " + gpus.maxInFlight.get() + " GPU copies at once");
    assertTrue(gpus.maxInFlight.get() > 1, "submissions run concurrently");
  }

  @Test
  void shouldWriteGatheredHostBytesWhenPwritevThenReadThemBack() throws Exception {
    TestSegment a = segment(3 << 20);
    TestSegment b = segment(1 << 20);
    byte[] partA = random(3 << 20, 7);
    byte[] partB = random(1 << 20, 8);
    a.write(0, partA);
    b.write(0, partB);

    Map<Long, Completion> done = run(List.of(
        pwritev(1, "/t/written.bin", 0, Sges.host(a.name, 0, 3 << 20), Sges.host(b.name, 100, 500_000),
            Sges.host(a.name, 5, 20)),
        pwritev(2, "/t/kv.bin", Flag.FLAG_KVCACHE_VALUE, Sges.host(b.name, 0, 4096))));

    long size = (3 << 20) + 500_000 + 20;
    assertOk(done.get(1L), size);
    byte[] expected = new byte[(int) size];
    System.arraycopy(partA, 0, expected, 0, 3 << 20);
    System.arraycopy(partB, 100, expected, 3 << 20, 500_000);
    System.arraycopy(partA, 5, expected, (3 << 20) + 500_000, 20);
    assertArrayEquals(expected, readAll("/t/written.bin", 0, 0));
    assertArrayEquals(Arrays.copyOfRange(expected, 3_000_000, 3_100_000), readAll("/t/written.bin", 3_000_000, 100_000));
    assertEquals(size, await(client.stat("/t/written.bin")).getSize());
    assertOk(done.get(2L), 4096);
    assertEquals("kvcache", await(client.stat("/t/kv.bin")).getPolicy());
  }

  @Test
  void shouldRoundTripStatListDeleteAndHint() throws Exception {
    byte[] bytes = random(5000, 9);
    FileInfo written = put("/meta/dir/f.bin", bytes);

    FileInfo stat = await(client.stat("/meta/dir/f.bin"));
    assertEquals("/meta/dir/f.bin", stat.getPath());
    assertEquals(5000, stat.getSize());
    assertEquals(written.getVersion(), stat.getVersion());
    assertEquals("persistent", stat.getPolicy());
    assertEquals(1, stat.getChunks());

    List<ListReply.Entry> root = await(client.list("/meta"));
    assertEquals(1, root.size());
    assertEquals("dir", root.get(0).getName());
    assertTrue(root.get(0).getDirectory());
    List<ListReply.Entry> dir = await(client.list("/meta/dir"));
    assertEquals("f.bin", dir.get(0).getName());
    assertEquals(5000, dir.get(0).getSize());

    assertEquals("willneed done for /meta/dir/f.bin", await(client.hint("/meta/dir/f.bin", HintOp.WILLNEED)));
    assertEquals("pin done for /meta/dir/f.bin", await(client.hint("/meta/dir/f.bin", HintOp.PIN)));
    assertTrue(hinted.contains("willneed /meta/dir/f.bin") && hinted.contains("pin /meta/dir/f.bin"), hinted.toString());
    assertEquals(Status.NOT_FOUND, failure(client.hint("/meta/missing", HintOp.DONTNEED)).code());
    assertEquals(Status.BAD_REQUEST, failure(client.hint("/meta/dir/f.bin", HintOp.HINT_UNSPECIFIED)).code());

    assertEquals(stat.getVersion(), await(client.delete("/meta/dir/f.bin")));
    TfsClientException gone = failure(client.stat("/meta/dir/f.bin"));
    assertEquals(Status.NOT_FOUND, gone.code());
    assertEquals(Status.BAD_PATH, failure(client.stat("/meta//x")).code());
  }

  @Test
  void shouldListPageByPageAndDeleteATree() throws Exception {
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      names.add("f%02d".formatted(i));
      put("/paged/d/f%02d".formatted(i), random(10, i));
    }
    put("/paged/d/sub/x", random(10, 99));
    names.add("sub");
    List<String> seen = new java.util.ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ListReply page = await(client.listPage("/paged/d", 5, token));
      assertTrue(page.getEntriesCount() <= 5);
      page.getEntriesList().forEach(e -> seen.add(e.getName()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertEquals(names, seen);
    assertEquals(3, pages);
    assertEquals(Status.BAD_REQUEST, failure(client.listPage("/paged/d", 10_001, "")).code());
    assertEquals(Status.BAD_REQUEST, failure(client.listPage("/paged/d", 5, "%%not-a-token")).code());

    assertEquals(13L, await(client.deleteTree("/paged/d")));
    assertEquals(Status.NOT_FOUND, failure(client.stat("/paged/d/sub/x")).code());
    assertEquals(Status.NOT_FOUND, failure(client.list("/paged/d")).code());
    assertEquals(Status.NOT_FOUND, failure(client.deleteTree("/paged/d")).code());
  }

  @Test
  void shouldRefuseAWriteOverItsTenantsQuotaWithQuotaExceeded() throws Exception {
    await(node.files.setQuota("gquota", io.tensorfs.sharding.tenant.QuotaChange.of(
        java.util.OptionalLong.of(5000), java.util.OptionalLong.empty())));

    TfsClientException over = failure(client.write("/gquota/big", "", random(5001, 50)));

    assertEquals(Status.QUOTA_EXCEEDED, over.code(), over.getMessage());
    assertEquals(Status.NOT_FOUND, failure(client.stat("/gquota/big")).code(), "nothing of it is visible");
    assertEquals(5000, put("/gquota/fits", random(5000, 51)).getSize());
    assertEquals(5000, await(node.files.tenant("gquota")).usedBytes());
  }

  @Test
  void shouldWriteAndDeleteOnlyWhenTheirPreconditionsHold() throws Exception {
    String path = "/cond/f.bin";
    byte[] first = random(3000, 21);
    FileInfo v1 = await(client.write(path, "", Preconditions.ifAbsent(), first));
    assertEquals(Status.PRECONDITION_FAILED,
        failure(client.write(path, "", Preconditions.ifAbsent(), random(10, 1))).code());

    TfsClientException stale = failure(client.write(path, "", Preconditions.ifMatch(v1.getVersion() + 6), random(10, 2)));
    assertEquals(Status.PRECONDITION_FAILED, stale.code());
    assertTrue(stale.getMessage().contains("is at version " + v1.getVersion()), stale.getMessage());
    assertEquals(v1.getVersion(), await(client.stat(path)).getVersion(), "a failed precondition changes nothing");
    assertArrayEquals(first, readAll(path, 0, 0));

    byte[] second = random(4000, 22);
    FileInfo v2 = await(client.write(path, "", Preconditions.ifMatch(v1.getVersion()), second));
    assertEquals(v1.getVersion() + 1, v2.getVersion());
    assertArrayEquals(second, readAll(path, 0, 0));

    assertEquals(Status.PRECONDITION_FAILED, failure(client.delete(path, Preconditions.ifMatch(v1.getVersion()))).code());
    assertEquals(Status.PRECONDITION_FAILED, failure(client.delete(path, Preconditions.ifNoneMatch(v2.getVersion()))).code());
    assertEquals(v2.getVersion(), await(client.stat(path)).getVersion());
    assertEquals(Status.BAD_REQUEST, failure(client.delete(path,
        io.tensorfs.gateway.grpc.v1.Precondition.newBuilder().addIfMatch("W/\"2\"").build())).code());
    assertEquals(v2.getVersion(), await(client.delete(path, Preconditions.ifMatch(v2.getVersion()))));
    assertEquals(Status.NOT_FOUND, failure(client.stat(path)).code());
    assertEquals(Status.PRECONDITION_FAILED,
        failure(client.write(path, "", Preconditions.ifExists(), random(10, 3))).code());
  }

  @Test
  void shouldSealExactlyOneOfConcurrentWritesUnderTheSameIfMatch() throws Exception {
    String path = "/cond/race.bin";
    FileInfo v1 = put(path, random(100, 30));
    List<CompletableFuture<FileInfo>> writes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      writes.add(client.write(path, "", Preconditions.ifMatch(v1.getVersion()), random(2 << 20, 40 + i))
          .toCompletableFuture());
    }
    int won = 0;
    for (CompletableFuture<FileInfo> w : writes) {
      Throwable error = await(w.handle((v, e) -> e == null ? null : io.tensorfs.core.Failures.unwrap(e)));
      if (error == null) {
        won++;
      } else {
        assertEquals(Status.PRECONDITION_FAILED, assertInstanceOf(TfsClientException.class, error, String.valueOf(error)).code());
      }
    }
    assertEquals(1, won, "exactly one write under If-Match " + v1.getVersion() + " seals");
    assertEquals(v1.getVersion() + 1, await(client.stat(path)).getVersion());
  }

  @Test
  void shouldFailReadStreamWithNotFoundWhenFileMissing() throws Exception {
    CompletionStage<Long> read = client.read("/t/never-written", 0, 0, piece -> {});
    assertEquals(Status.NOT_FOUND, failure(read).code());
  }

  @Test
  void shouldAnswerEveryWireStatusForEveryErrorCode() {
    for (ErrorCode code : ErrorCode.values()) {
      assertEquals(code.name(), io.tensorfs.gateway.grpc.internal.Errors.wire(code).name());
      io.tensorfs.gateway.grpc.internal.Errors.grpcStatus(code);
    }
    assertEquals(ErrorCode.values().length + 1, Status.values().length - 1, "OK plus one value per ErrorCode");
  }

  private static TfsClientException failure(CompletionStage<?> stage) {
    Throwable cause = Awaits.failure(stage, WAIT);
    return assertInstanceOf(TfsClientException.class, cause, String.valueOf(cause));
  }
}
