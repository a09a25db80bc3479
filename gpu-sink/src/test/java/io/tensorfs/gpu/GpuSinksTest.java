package io.tensorfs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.gpu.internal.JCudaRuntime;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GpuSinks with the real JCuda on a machine without a GPU: these tests are skipped where one answers. */
class GpuSinksTest {
  private static ActorTestKit testKit;
  private static final GpuBuffer TARGET = new GpuBuffer(new byte[64], 0, 0, 16);

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static void assumeNoGpu() {
    assumeTrue(new JCudaRuntime().probe().devices() == 0, "a GPU answers here");
  }

  static TfsException failure(CompletionStage<Long> stage) {
    Throwable cause = Awaits.failure(stage, Duration.ofSeconds(10));
    assertTrue(cause instanceof TfsException, "not a TfsException: " + cause);
    return (TfsException) cause;
  }

  @Test
  void shouldBeUnavailableWithAReasonWhenNoGpuAnswers() throws Exception {
    assumeNoGpu();
    GpuSinks sinks = GpuSinks.start(testKit.system(), GpuSettings.defaults(),
        List.of(ByteBuffer.allocateDirect(1 << 16)));
    assertFalse(sinks.available());
    assertFalse(sinks.describe().isBlank());
    assertTrue(sinks.describe().contains("no GPU") || sinks.describe().contains("CUDA"), sinks.describe());
    assertEquals(List.of(), sinks.sinks());

    TfsException to = failure(sinks.toDevice(List.of(ByteBuffer.allocateDirect(16)), TARGET));
    assertEquals(ErrorCode.UNAVAILABLE, to.code());
    assertTrue(to.getMessage().startsWith("no GPU on node "), to.getMessage());
    assertTrue(to.getMessage().endsWith(sinks.describe()), to.getMessage());

    TfsException from = failure(sinks.fromDevice(TARGET, List.of(ByteBuffer.allocateDirect(16))));
    assertEquals(ErrorCode.UNAVAILABLE, from.code());
  }

  @Test
  void shouldFailTheStartWhenAGpuIsRequiredAndNoneAnswers() {
    assumeNoGpu();
    TfsException e = assertThrows(TfsException.class, () -> GpuSinks.start(testKit.system(),
        GpuSettings.defaults().withEnabled(GpuSettings.Enabled.ON), List.of()));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("enabled = on"), e.getMessage());
  }

  @Test
  void shouldNotLookForGpusWhenTurnedOff() throws Exception {
    GpuSinks sinks = GpuSinks.start(testKit.system(), GpuSettings.defaults().withEnabled(GpuSettings.Enabled.OFF),
        List.of(), () -> {
          throw new AssertionError("CUDA must not be loaded when off");
        });
    assertFalse(sinks.available());
    assertTrue(sinks.describe().contains("off"), sinks.describe());
    assertEquals(ErrorCode.UNAVAILABLE, failure(sinks.toDevice(List.of(), TARGET)).code());
  }

  @Test
  void shouldReportALoadFailureAsTheReasonWhenCudaCannotLoad() {
    GpuSinks sinks = GpuSinks.start(testKit.system(), GpuSettings.defaults(), List.of(), () -> {
      throw new UnsatisfiedLinkError("libJCudaRuntime: no such file");
    });
    assertFalse(sinks.available());
    assertTrue(sinks.describe().contains("libJCudaRuntime"), sinks.describe());
  }
}
