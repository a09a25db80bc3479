package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.aeron.driver.MediaDriver;
import io.tensorfs.transport.internal.AeronDrivers;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Nodes of one host that start at the same moment share one media driver. */
class AeronDriversTest {
  @Test
  void shouldStartOneDriverWhenNodesStartTogether() throws Exception {
    String dir = new File(System.getProperty("java.io.tmpdir"), "tensorfs-drivers-test-" + UUID.randomUUID()).getPath();
    TransportSettings.Aeron a = TransportSettings.from(TransportContract.base("tensorfs.transport { kind = aeron, aeron { dir = \""
        + dir + "\", embedded-driver = off, term-length-bytes = 16 MiB, ipc-term-length-bytes = 16 MiB } }")).aeron();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<MediaDriver>> starts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      starts.add(CompletableFuture.supplyAsync(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return AeronDrivers.embedIfNeeded(a);
      }));
    }
    go.countDown();
    List<MediaDriver> started = starts.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList();
    try {
      assertEquals(1, started.size(), "drivers started at " + dir);
    } finally {
      started.forEach(MediaDriver::close);
      Files.deleteIfExists(Path.of(dir + ".lock"));
    }
    AeronTestDirs.assertRemoved(dir);
  }
}
