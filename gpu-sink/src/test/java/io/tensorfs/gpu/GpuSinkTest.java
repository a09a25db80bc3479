package io.tensorfs.gpu;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.gpu.GpuSinksTest.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gpu.internal.FakeCudaRuntime;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sinks' actors, copy engine and watcher over CUDA in memory. */
class GpuSinkTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private ActorTestKit testKit;
  private FakeCudaRuntime cuda;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create();
    cuda = new FakeCudaRuntime(2);
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  private GpuSinks sinks(GpuSettings settings, List<ByteBuffer> regions) {
    return GpuSinks.start(testKit.system(), settings, regions, () -> cuda);
  }

  private GpuSinks sinks() {
    return sinks(GpuSettings.defaults().withStreams(3).withCopyPieceBytes(4096), List.of());
  }

  private static void awaitCondition(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void shouldCopyBytesThereAndBackWhenBuffersHavePositionsAndUnevenSizes() throws Exception {
    GpuSinks sinks = sinks();
    assertTrue(sinks.available());
    assertEquals(2, sinks.sinks().size());
    byte[] handle = cuda.allocate(100_000);
    byte[] data = FakeCudaRuntime.randomBytes(50_001, 7);
    List<ByteBuffer> sources = FakeCudaRuntime.directPieces(data, new int[] {1, 4097, 20_000, 20_000, 33_333}, 13);
    GpuBuffer target = new GpuBuffer(handle, 1, 12_345, data.length);

    assertEquals(data.length, await(sinks.toDevice(sources, target)));
    byte[] device = cuda.contents(handle);
    byte[] written = new byte[data.length];
    System.arraycopy(device, 12_345, written, 0, data.length);
    assertArrayEquals(data, written);
    assertEquals(13, sources.get(0).position(), "source positions are left alone");

    List<ByteBuffer> targets = FakeCudaRuntime.directPieces(new byte[data.length], new int[] {9_999, 10_000}, 5);
    assertEquals(data.length, await(sinks.fromDevice(target, targets)));
    ByteBuffer back = ByteBuffer.allocate(data.length);
    targets.forEach(t -> back.put(t.duplicate()));
    assertArrayEquals(data, back.array());
    assertEquals(1, cuda.opens(), "one mapping for both directions");
  }

  @Test
  void shouldCompleteWithZeroWhenTheRangeIsEmpty() throws Exception {
    byte[] handle = cuda.allocate(10);
    assertEquals(0L, await(sinks().toDevice(List.of(), new GpuBuffer(handle, 0, 0, 0))));
  }

  @Test
  void shouldRefuseWithBadRequestWhenTheHandleIsUnknown() throws Exception {
    TfsException e = failure(sinks().toDevice(List.of(ByteBuffer.allocateDirect(8)),
        new GpuBuffer(new byte[64], 0, 0, 8)));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().startsWith("CUDA IPC handle refused: fakeError"), e.getMessage());
  }

  @Test
  void shouldRefuseWithBadRequestWhenSizesDisagree() throws Exception {
    byte[] handle = cuda.allocate(100);
    TfsException e = failure(sinks().toDevice(List.of(ByteBuffer.allocateDirect(8)), new GpuBuffer(handle, 0, 0, 9)));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().contains("8 bytes for a GPU range of 9"), e.getMessage());
  }

  @Test
  void shouldRefuseWithBadRequestWhenTheRangeLeavesTheAllocation() throws Exception {
    GpuSinks sinks = sinks();
    byte[] handle = cuda.allocate(100);
    TfsException e = failure(sinks.toDevice(List.of(ByteBuffer.allocateDirect(8)), new GpuBuffer(handle, 0, 95, 8)));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().contains("beyond its allocation of 100 bytes"), e.getMessage());
    // The refused copy gave its use of the mapping back: a valid copy still works.
    assertEquals(8L, await(sinks.toDevice(List.of(ByteBuffer.allocateDirect(8)), new GpuBuffer(handle, 0, 92, 8))));
  }

  @Test
  void shouldRefuseWithBadRequestWhenHostBuffersAreNotDirect() throws Exception {
    byte[] handle = cuda.allocate(100);
    TfsException e = failure(sinks().toDevice(List.of(ByteBuffer.allocate(8)), new GpuBuffer(handle, 0, 0, 8)));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
  }

  @Test
  void shouldRefuseWithBadRequestWhenTheDeviceIsNotOnTheNode() throws Exception {
    byte[] handle = cuda.allocate(100);
    TfsException e = failure(sinks().toDevice(List.of(ByteBuffer.allocateDirect(8)), new GpuBuffer(handle, 2, 0, 8)));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().contains("no GPU 2"), e.getMessage());
  }

  @Test
  void shouldFailWithIoErrorWhenTheDeviceReportsAnError() throws Exception {
    byte[] handle = cuda.allocate(100);
    cuda.failEvents(FakeCudaRuntime.LAUNCH_FAILURE);
    TfsException e = failure(sinks().toDevice(List.of(ByteBuffer.allocateDirect(8)), new GpuBuffer(handle, 0, 0, 8)));
    assertEquals(ErrorCode.IO_ERROR, e.code());
    assertTrue(e.getMessage().contains("fakeError" + FakeCudaRuntime.LAUNCH_FAILURE), e.getMessage());
  }

  @Test
  void shouldCompleteOnlyWhenTheDeviceIsDoneAndKeepABusyMappingOpenWhenEvicting() throws Exception {
    GpuSinks sinks = sinks(GpuSettings.defaults().withIpcCacheEntries(1).withCopyPieceBytes(4096), List.of());
    byte[] a = cuda.allocate(10_000);
    byte[] b = cuda.allocate(10_000);
    cuda.holdCompletions(true);
    CompletionStage<Long> first = sinks.toDevice(List.of(ByteBuffer.allocateDirect(9_000)), new GpuBuffer(a, 0, 0, 9_000));
    CompletionStage<Long> second = sinks.toDevice(List.of(ByteBuffer.allocateDirect(10)), new GpuBuffer(b, 0, 0, 10));
    awaitCondition(() -> cuda.opens() == 2, "both allocations mapped");
    assertFalse(first.toCompletableFuture().isDone(), "the device has not finished");
    assertTrue(cuda.isOpen(a) && cuda.isOpen(b), "no mapping is closed while its copy runs");

    cuda.holdCompletions(false);
    assertEquals(9_000L, await(first));
    assertEquals(10L, await(second));
    awaitCondition(() -> cuda.closes() == 1, "one mapping closed once idle and over capacity");
    assertTrue(cuda.isOpen(a) ^ cuda.isOpen(b));
  }

  @Test
  void shouldReopenAnEvictedHandleWhenItComesBack() throws Exception {
    GpuSinks sinks = sinks(GpuSettings.defaults().withIpcCacheEntries(1), List.of());
    byte[] a = cuda.allocate(64);
    byte[] b = cuda.allocate(64);
    for (byte[] h : List.of(a, b, a)) {
      await(sinks.toDevice(List.of(ByteBuffer.allocateDirect(64)), new GpuBuffer(h, 0, 0, 64)));
    }
    assertEquals(3, cuda.opens());
    awaitCondition(() -> cuda.closes() == 2, "a and then b closed");
    assertTrue(cuda.isOpen(a));
    assertFalse(cuda.isOpen(b));
  }

  @Test
  void shouldPinTheHostRegionsOnceWhenStarting() {
    List<ByteBuffer> regions = List.of(ByteBuffer.allocateDirect(8192), ByteBuffer.allocateDirect(4096));
    GpuSinks sinks = sinks(GpuSettings.defaults(), regions);
    assertEquals(regions, cuda.registered());
    assertTrue(sinks.describe().contains("2 of 2 regions, 12288 bytes"), sinks.describe());
  }

  @Test
  void shouldNotPinWhenRegistrationIsOff() {
    GpuSinks sinks = sinks(GpuSettings.defaults().withRegisterHostMemory(false), List.of(ByteBuffer.allocateDirect(64)));
    assertEquals(List.of(), cuda.registered());
    assertTrue(sinks.available());
  }

  @Test
  void shouldFailFileReadsUnavailableWithTheReasonWhenCufileIsOff() throws Exception {
    GpuSinks sinks = sinks(GpuSettings.defaults(), List.of());
    byte[] handle = cuda.allocate(4096);
    TfsException e = failure(sinks.readFile(java.nio.file.Path.of("/nonexistent"), 0, new GpuBuffer(handle, 0, 0, 4096)));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("tensorfs.gpu.cufile = off"), e.getMessage());
    assertFalse(sinks.fileReads().available());
    assertTrue(sinks.fileReads().describe().contains("cufile = off"), sinks.fileReads().describe());
  }

  @Test
  void shouldFailFileReadsUnavailableWithTheLoadFailureWhenLibcufileIsMissing() throws Exception {
    GpuSinks sinks = sinks(new GpuSettings(GpuSettings.Enabled.AUTO, 4, 8L << 20, 64, true, true,
        "/nonexistent/libcufile.so.0"), List.of());
    assertFalse(sinks.fileReads().available());
    TfsException e = failure(sinks.readFile(java.nio.file.Path.of("/nonexistent"), 0,
        new GpuBuffer(cuda.allocate(4096), 0, 0, 4096)));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("/nonexistent/libcufile.so.0"), e.getMessage());
  }
}
