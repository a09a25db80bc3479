package io.tensorfs.store.scrub;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.CorruptReplica;
import io.tensorfs.store.FileChunkStore;
import io.tensorfs.store.StoreSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScrubberTest {
  private static final TfsPath OWNER = TfsPath.parse("/tenant/ckpt/step-1");
  private static final int BLOCK = 4096;
  /** Five full blocks and a short one. */
  private static final int LENGTH = 5 * BLOCK + 700;

  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<CorruptReplica> heard = new CopyOnWriteArrayList<>();

  @TempDir Path d0;
  @TempDir Path d1;

  @AfterEach
  void stop() {
    io.shutdownNow();
    timer.shutdownNow();
  }

  private FileChunkStore store(String id, Path dir) {
    StoreSettings settings = StoreSettings.defaults(List.of(dir)).withBlockBytes(BLOCK).withWriteBufferBytes(2 * BLOCK)
        .withReservedBytes(0).withDirectIo(StoreSettings.DirectIo.OFF);
    return new FileChunkStore(id, dir, settings, io, heard::add);
  }

  private static ScrubSettings settings(long bytesPerSecond) {
    return new ScrubSettings(true, bytesPerSecond, 2 * BLOCK, Duration.ZERO, Duration.ofHours(1));
  }

  @Test
  void shouldFindAFlippedByteThatNobodyReadAndVerifyEveryBlockWhenAPassRuns() throws IOException {
    FileChunkStore first = store("d0", d0);
    FileChunkStore second = store("d1", d1);
    ChunkId good = new ChunkId(FileId.random(), 0);
    ChunkId bad = new ChunkId(FileId.random(), 3);
    write(first, good, 1);
    write(second, good, 1);
    write(second, bad, 2);
    flipByte(d1.resolve("chunks").resolve(bad.fileId().value()).resolve("3.data"), 4 * BLOCK + 10);

    ScrubReport report = await(new Scrubber(List.of(first, second), settings(1L << 30), timer).pass());

    assertEquals(List.of("d1:" + bad), report.corrupt());
    assertEquals(2, report.replicas(), "the two good replicas were read to their end");
    // Two whole replicas of 6 blocks, and the corrupt one up to the segment holding its bad block 4.
    assertEquals(2 * 6 + 4, report.blocks());
    assertEquals(0, report.failed());
    assertEquals(1, heard.size(), "the store told its listener: " + heard);
    assertEquals(bad, heard.get(0).chunk());
    assertEquals("d1", heard.get(0).storeId());
  }

  @Test
  void shouldFindADamagedChecksumTableWhenAPassRuns() throws IOException {
    FileChunkStore store = store("d0", d0);
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    write(store, chunk, 3);
    flipByte(d0.resolve("chunks").resolve(chunk.fileId().value()).resolve("0.crc"), 25);

    ScrubReport report = await(new Scrubber(List.of(store), settings(1L << 30), timer).pass());

    assertEquals(List.of("d0:" + chunk), report.corrupt());
    assertEquals(chunk, heard.get(0).chunk());
  }

  @Test
  void shouldReadNoFasterThanItsShareWhenBytesPerSecondIsLow() {
    FileChunkStore store = store("d0", d0);
    for (int i = 0; i < 4; i++) write(store, new ChunkId(FileId.random(), 0), 10 + i);
    long total = 4L * LENGTH;
    long perSecond = total / 2; // the pass may save up one second of credit: at least about a second more

    long start = System.nanoTime();
    ScrubReport report = await(new Scrubber(List.of(store), settings(perSecond), timer).pass());
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(total, report.bytes());
    assertTrue(tookMillis >= 800, "a pass of " + total + " bytes at " + perSecond + " bytes/s took " + tookMillis + " ms");
  }

  @Test
  void shouldRunPassesOnItsOwnWhenStarted() throws Exception {
    FileChunkStore store = store("d0", d0);
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    write(store, chunk, 4);
    flipByte(d0.resolve("chunks").resolve(chunk.fileId().value()).resolve("0.data"), 3);

    try (Scrubber scrubber = new Scrubber(List.of(store),
        new ScrubSettings(true, 1L << 30, BLOCK, Duration.ZERO, Duration.ofMillis(50)), timer).start()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (heard.size() < 2 && System.nanoTime() < until) TimeUnit.MILLISECONDS.sleep(10);
    }
    assertTrue(heard.size() >= 2, "two passes found the corrupt replica: " + heard);
  }

  private static void write(ChunkStore store, ChunkId chunk, long seed) {
    byte[] bytes = new byte[LENGTH];
    new Random(seed).nextBytes(bytes);
    ChunkWriter writer = store.openWriter(chunk, OWNER, true);
    await(writer.append(ByteString.fromArray(bytes)));
    await(writer.finish());
  }

  private static void flipByte(Path path, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      ch.write(one, position);
    }
  }
}
