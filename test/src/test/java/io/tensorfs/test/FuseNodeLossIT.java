package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.MountProcess;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A mount whose node is killed: every call that needs the node answers EIO within the mount's call timeout (never
 * hangs), and the mount still unmounts cleanly.
 */
class FuseNodeLossIT {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);
  /** The call timeout, the second the mount waits past it, and room for a loaded CI machine. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  @Test
  void shouldAnswerEioWithoutHangingAndUnmountCleanlyWhenTheNodeIsKilled() throws Exception {
    Path dir = RepoPaths.scratch("fuse-loss");
    SharedCassandra.deleteTree(dir);
    ExecutorService calls = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fuse-loss-call");
      t.setDaemon(true);
      return t;
    });
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(),
        "it_fuse_loss", List.of()).start(Duration.ofMinutes(3));
        MountProcess mount = new MountProcess(dir.resolve("mnt"), node.grpcAddress(), AdminToken.of(node), "loss",
            dir.resolve("mount.log"), List.of("-Dtensorfs.fuse.call-timeout=" + CALL_TIMEOUT.toSeconds() + "s"))
            .start(Duration.ofMinutes(1))) {
      Path mnt = mount.dir();
      byte[] bytes = new byte[3 << 20];
      new java.util.Random(7).nextBytes(bytes);
      Files.write(mnt.resolve("kept.bin"), bytes);
      assertArrayEquals(bytes, Files.readAllBytes(mnt.resolve("kept.bin")), "the mount works while the node runs");

      node.kill();

      expectEio(calls, "stat of a name not seen yet", () -> Files.readAttributes(mnt.resolve("never-seen"), BasicFileAttributes.class));
      expectEio(calls, "listing the root", () -> {
        try (var s = Files.list(mnt)) {
          return s.count();
        }
      });
      expectEio(calls, "writing a new file (the upload at close)", () -> Files.write(mnt.resolve("lost.bin"), bytes));
      expectEio(calls, "reading a file", () -> Files.readAllBytes(mnt.resolve("kept.bin")));

      assertEquals(0, mount.unmount(Duration.ofSeconds(30)), "the mount process ends cleanly:\n" + mount.logTail());
      assertFalse(MountProcess.mounted(mnt));
    } finally {
      calls.shutdownNow();
    }
  }

  private static void expectEio(ExecutorService calls, String what, Callable<?> call) throws Exception {
    long start = System.nanoTime();
    Future<?> f = calls.submit(call);
    try {
      f.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
      fail(what + " succeeded with the node gone");
    } catch (TimeoutException e) {
      fail(what + " hung past " + BOUND);
    } catch (java.util.concurrent.ExecutionException e) {
      // A directory stream reports its failure wrapped in an UncheckedIOException.
      Throwable cause = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
      assertTrue(cause instanceof IOException, what + ": " + e.getCause());
      String message = String.valueOf(cause.getMessage());
      assertTrue(message.contains("Input/output error"), what + " answers EIO, not: " + message);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(BOUND) < 0, what + " took " + took);
  }
}
