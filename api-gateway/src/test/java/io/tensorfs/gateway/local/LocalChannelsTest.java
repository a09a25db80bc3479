package io.tensorfs.gateway.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.local.LocalChannel;
import io.tensorfs.client.local.ChannelException;
import io.tensorfs.client.local.ChannelKv;
import io.tensorfs.client.local.SharedBuffer;
import io.tensorfs.client.local.Slot;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gateway.grpc.GrpcTestNode;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Role;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local channel end to end in one JVM: a one-node tensorfs, its {@link LocalChannels}, and the Java
 * client's {@link LocalChannel} on a real file in /dev/shm. Reads, writes, KV ops, registrations, malformed
 * records, access, and detach when the client closes or its process ends.
 */
class LocalChannelsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Path SHM = Path.of("/dev/shm");

  @TempDir
  static Path store;
  private static GrpcTestNode node;
  private static LocalChannels channels;

  /** A node without a GPU. */
  private static final DeviceCopies NO_GPU = new DeviceCopies() {
    @Override public boolean available() { return false; }
    @Override public String describe() { return "no GPU in this test"; }
    @Override public CompletionStage<Long> toDevice(List<ByteBuffer> sources, GpuBuffer target) {
      return CompletableFuture.failedFuture(new IllegalStateException("no GPU"));
    }
    @Override public CompletionStage<Long> fromDevice(GpuBuffer source, List<ByteBuffer> targets) {
      return CompletableFuture.failedFuture(new IllegalStateException("no GPU"));
    }
  };

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(store);
    channels = LocalChannels.create(node.testKit.system(), node.files, NO_GPU);
  }

  @AfterAll
  static void stop() throws Exception {
    channels.close();
    node.close();
  }

  /**
   * Every test closes its channels, but the node detaches them on its agent's thread, after the close: wait
   * for that, so that a test counting the channels attached counts only its own.
   */
  @org.junit.jupiter.api.BeforeEach
  void channelsOfEarlierTestsDetached() throws Exception {
    awaitTrue(() -> channels.attached() == 0, "the channels of earlier tests are detached");
  }

  private static LocalChannel attach(Caller caller) throws Exception {
    return attach(caller, ProcessHandle.current().pid());
  }

  private static LocalChannel attach(Caller caller, long pid) throws Exception {
    return LocalChannel.attach(SHM, 8, 16 << 10, pid, r -> channels.attach(caller, r))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void shouldWriteAndReadBackOneByteAndOneMebibyteExactly() throws Exception {
    try (LocalChannel ch = attach(Caller.UNCHECKED_ADMIN)) {
      for (int size : new int[] {1, 1 << 20}) {
        byte[] bytes = random(size, size);
        String path = "/t/rw-" + size;
        assertEquals(size, await(ch.write(path, "", List.of(ByteBuffer.wrap(bytes)), 0)));
        ByteBuffer back = ByteBuffer.allocate(size + 10);
        assertEquals(size, ch.join(ch.read(path, 0, List.of(back), 0), WAIT));
        assertArrayEquals(bytes, Arrays.copyOf(back.array(), size));
        // Past the end: nothing; across it: short.
        assertEquals(0, await(ch.read(path, size, List.of(ByteBuffer.allocate(4)), 0)));
      }
      // Zero copy: a shared buffer, split over two elements.
      byte[] bytes = random(100_000, 7);
      try (SharedBuffer shared = SharedBuffer.allocate(1 << 20)) {
        ByteBuffer out = shared.slice(0, 100_000);
        out.put(bytes).flip();
        assertEquals(100_000, await(ch.write("/t/shared", "kvcache", List.of(out), 0)));
        ByteBuffer a = shared.slice(200_000, 50_000);
        ByteBuffer b = shared.slice(400_000, 50_000);
        assertEquals(100_000, await(ch.read("/t/shared", 0, List.of(a, b), 0)));
        byte[] got = new byte[100_000];
        a.get(got, 0, 50_000);
        b.get(got, 50_000, 50_000);
        assertArrayEquals(bytes, got);
      }
    }
  }

  /**
   * Requests whose buffers together pass the channel's staging segment (64 MiB), one alone and two at once:
   * each takes its room all at once (or a segment of its own), so none waits on room another holds half of.
   */
  @Test
  void shouldStageRequestsLargerThanTheStagingSegmentAndSeveralAtOnce() throws Exception {
    int piece = 16 << 20;
    try (LocalChannel ch = attach(Caller.UNCHECKED_ADMIN)) {
      List<byte[]> five = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) five.add(random(piece, 50 + i));
      assertEquals(5L * piece, await(ch.write("/t/staged-5", "", five.stream().map(ByteBuffer::wrap).toList(), 0)));
      List<ByteBuffer> back = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) back.add(ByteBuffer.allocate(piece));
      assertEquals(5L * piece, await(ch.read("/t/staged-5", 0, back, 0)));
      for (int i = 0; i < 5; i++) assertArrayEquals(five.get(i), back.get(i).array(), "piece " + i);

      List<CompletableFuture<Long>> both = new java.util.ArrayList<>();
      for (int w = 0; w < 2; w++) {
        List<ByteBuffer> three = List.of(ByteBuffer.wrap(five.get(w)), ByteBuffer.wrap(five.get(w + 1)),
            ByteBuffer.wrap(five.get(w + 2)));
        String path = "/t/staged-3-" + w;
        both.add(CompletableFuture.supplyAsync(() -> ch.write(path, "", three, 0)).thenCompose(f -> f));
      }
      for (CompletableFuture<Long> w : both) assertEquals(3L * piece, await(w));
    }
  }

  @Test
  void shouldPutGetExistsAndRemoveKvBlocks() throws Exception {
    try (LocalChannel ch = attach(Caller.UNCHECKED_ADMIN)) {
      ChannelKv kv = new ChannelKv(ch);
      byte[] small = random(100, 1);
      byte[] large = random(300 << 10, 2);
      List<ChannelKv.KvResult> put = await(kv.put("kvt", List.of("a", "b"), List.of(ByteBuffer.wrap(small), ByteBuffer.wrap(large))));
      assertTrue(put.stream().allMatch(ChannelKv.KvResult::ok), put.toString());
      ByteBuffer outA = ByteBuffer.allocate(200);
      ByteBuffer outB = ByteBuffer.allocate(300 << 10);
      ByteBuffer outC = ByteBuffer.allocate(10);
      List<ChannelKv.KvResult> got = await(kv.get("kvt", List.of("a", "b", "c"), List.of(outA, outB, outC)));
      assertEquals("OK", got.get(0).status());
      assertEquals(100, got.get(0).length());
      assertArrayEquals(small, Arrays.copyOf(outA.array(), 100));
      assertEquals(0, outA.array()[100], "nothing written past the block");
      assertEquals("OK", got.get(1).status());
      assertArrayEquals(large, outB.array());
      assertEquals("NOT_FOUND", got.get(2).status());
      List<ChannelKv.KvResult> tooSmall = await(kv.get("kvt", List.of("b"), List.of(ByteBuffer.allocate(10))));
      assertEquals("TOO_LARGE", tooSmall.get(0).status());
      assertEquals(300 << 10, tooSmall.get(0).length());

      ChannelKv.KvExists exists = await(kv.exists("kvt", List.of("a", "b", "c", "a")));
      assertEquals(List.of(true, true, false, true), exists.present());
      assertEquals(2, exists.prefix());
      assertEquals(List.of(true, false), await(kv.remove("kvt", List.of("a", "c"))));
      assertEquals(List.of(false, true), await(kv.exists("kvt", List.of("a", "b"))).present());
    }
  }

  @Test
  void shouldAnswerMalformedRecordsWithBadRequestAndKeepServing() throws Exception {
    try (LocalChannel ch = attach(Caller.UNCHECKED_ADMIN); SharedBuffer shared = SharedBuffer.allocate(4096)) {
      int before = channels.malformed();
      assertBad(ch, s -> s.begin(99, 0, 0, 0).finish(0), "unknown op 99");
      assertBad(ch, s -> {
        s.begin(5, 0, 5000, 0);
        s.string("t");
        s.results(0);
        s.finish(0);
      }, "keys");
      assertBad(ch, s -> {
        s.begin(1, 0, 0, 0);
        s.u32(0xFFFF); // a path length far past the arguments
        s.finish(0);
      }, "path runs past");
      assertBad(ch, s -> {
        s.begin(1, 0, 1, 0);
        s.string("/t/x");
        s.align8();
        s.sge(0xFFFFFFFF, 16 << 10, 1);
        s.finish(0);
      }, "outside the slot");
      assertBad(ch, s -> {
        s.begin(1, 0, 1, 0);
        s.string("/t/x");
        s.align8();
        s.sge(4242, 0, 1);
        s.finish(0);
      }, "no buffer 4242");
      int id = await(ch.registerHost(shared.name(), 4096));
      assertTrue(id >= 1);
      await(ch.write("/t/x", "", List.of(ByteBuffer.wrap(new byte[8192])), 0));
      assertBad(ch, s -> {
        s.begin(1, 0, 1, 0);
        s.string("/t/x");
        s.align8();
        s.sge(id, 4000, 200);
        s.finish(0);
      }, "outside it");
      assertBad(ch, s -> s.begin(9, 0, 0, 999).finish(0), "no buffer 999");
      assertTrue(channels.malformed() >= before + 5);
      assertEquals(0L, ch.join(ch.nop(), WAIT), "the node still serves the channel");
      // A registered buffer gone: its id is refused from then on.
      assertEquals(0L, await(ch.submit(s -> s.begin(9, 0, 0, id).finish(0), Slot::value)));
    }
  }

  private static void assertBad(LocalChannel ch, java.util.function.Consumer<Slot> encode, String says) {
    ChannelException e = assertThrows(ChannelException.class, () -> ch.join(ch.submit(encode, Slot::value), WAIT));
    assertEquals(Status.BAD_REQUEST, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(says), e.getMessage());
  }

  @Test
  void shouldRefuseGpuRegistrationOnANodeWithoutAGpu() throws Exception {
    try (LocalChannel ch = attach(Caller.UNCHECKED_ADMIN)) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(ch.registerGpu(new byte[64], 0, 1 << 20)));
      assertEquals(Status.UNAVAILABLE, ((ChannelException) e.getCause()).code());
    }
  }

  @Test
  void shouldRunRequestsAsTheCallerThatAttached() throws Exception {
    try (LocalChannel admin = attach(Caller.UNCHECKED_ADMIN)) {
      await(admin.write("/a/readable", "", List.of(ByteBuffer.wrap(new byte[] {42})), 0));
    }
    try (LocalChannel reader = attach(new Caller("tok", Role.READ_ONLY, "a"))) {
      ByteBuffer one = ByteBuffer.allocate(1);
      assertEquals(1L, await(reader.read("/a/readable", 0, List.of(one), 0)));
      assertEquals(42, one.get(0));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> await(reader.write("/a/nope", "", List.of(ByteBuffer.wrap(new byte[1])), 0)));
      assertEquals(Status.FORBIDDEN, ((ChannelException) e.getCause()).code());
      e = assertThrows(ExecutionException.class, () -> await(reader.read("/b/other", 0, List.of(one), 0)));
      assertEquals(Status.FORBIDDEN, ((ChannelException) e.getCause()).code());
      e = assertThrows(ExecutionException.class,
          () -> await(new ChannelKv(reader).put("a", List.of("k"), List.of(ByteBuffer.wrap(new byte[1])))));
      assertEquals(Status.FORBIDDEN, ((ChannelException) e.getCause()).code());
    }
  }

  @Test
  void shouldRefuseAnAttachWithABadNonceOrNoFile() throws Exception {
    var missing = io.tensorfs.gateway.grpc.v1.AttachLocalRequest.newBuilder().setShmName("tfs-ch-1-nothere").setPid(1)
        .setNonce(com.google.protobuf.ByteString.copyFrom(new byte[16])).build();
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(channels.attach(Caller.UNCHECKED_ADMIN, missing)));
    assertEquals(io.tensorfs.core.ErrorCode.NOT_FOUND, ((TfsException) e.getCause()).code());
    ExecutionException wrong = assertThrows(ExecutionException.class, () -> LocalChannel.attach(SHM, 8, 16 << 10,
        ProcessHandle.current().pid(), r -> channels.attach(Caller.UNCHECKED_ADMIN, r.toBuilder()
            .setNonce(com.google.protobuf.ByteString.copyFrom(new byte[16])).build())).toCompletableFuture().get());
    assertTrue(wrong.getCause().getMessage().contains("nonce"), wrong.getCause().getMessage());
  }

  @Test
  void shouldDetachWhenTheClientCloses() throws Exception {
    LocalChannel ch = attach(Caller.UNCHECKED_ADMIN);
    int attached = channels.attached();
    Path file = SHM.resolve(ch.name());
    ch.close();
    awaitTrue(() -> channels.attached() == attached - 1, "the node detaches a closed channel");
    assertFalse(Files.exists(file));
  }

  @Test
  void shouldDetachAndReleaseWhenTheClientProcessEnds() throws Exception {
    Process client = new ProcessBuilder("sleep", "600").start();
    try {
      LocalChannel ch = attach(Caller.UNCHECKED_ADMIN, client.pid());
      Path file = SHM.resolve(ch.name());
      try (SharedBuffer shared = SharedBuffer.allocate(4096)) {
        await(ch.registerHost(shared.name(), 4096));
        // A request in flight when the client dies: a KV get of a large block into staging.
        await(new ChannelKv(ch).put("dead", List.of("k"), List.of(ByteBuffer.wrap(random(1 << 20, 3)))));
        int attached = channels.attached();
        client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        awaitTrue(() -> channels.attached() == attached - 1, "the node detaches the channel of an ended process");
        awaitTrue(() -> !Files.exists(file), "the node removes the channel file of an ended client");
      }
      try (LocalChannel other = attach(Caller.UNCHECKED_ADMIN)) {
        assertEquals(0L, other.join(other.nop(), WAIT), "the node still serves other channels");
      }
    } finally {
      client.destroyForcibly();
    }
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within " + WAIT);
      Thread.sleep(20);
    }
  }
}
