package io.tensorfs.store;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.store.StoreTesting.failure;
import static io.tensorfs.store.StoreTesting.randomBytes;
import static io.tensorfs.store.StoreTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.store.StoreSettings.DirectIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReadIntoTest {
  private static final int BLOCK = 4096;
  /** Seven full blocks and a partial one. */
  private static final int LENGTH = 7 * BLOCK + 1234;

  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final ChunkId chunk = new ChunkId(FileId.random(), 0);
  private final byte[] bytes = randomBytes(LENGTH, 7);

  @TempDir Path dir;

  @AfterEach
  void stopExecutor() {
    io.shutdownNow();
  }

  private FileChunkStore written(DirectIo mode) {
    FileChunkStore store = new FileChunkStore("d0", dir, StoreSettings.defaults(List.of(dir))
        .withBlockBytes(BLOCK).withWriteBufferBytes(2 * BLOCK).withReservedBytes(0).withDirectIo(mode), io);
    write(store, chunk, bytes, 3000);
    return store;
  }

  private static ByteBuffer alignedDirect(int bytes) {
    return ByteBuffer.allocateDirect(bytes + 8192).alignedSlice(4096).limit(bytes).slice();
  }

  private void assertReadInto(ChunkStore store, long offset, ByteBuffer target) {
    assertReadInto(store, offset, target, DiskTurn.NONE);
  }

  private void assertReadInto(ChunkStore store, long offset, ByteBuffer target, DiskTurn turn) {
    int start = target.position();
    int expected = (int) Math.min(target.remaining(), LENGTH - offset);
    int count = await(store.readInto(chunk, offset, target, turn));
    assertEquals(expected, count);
    assertEquals(start + count, target.position(), "the position moves past the bytes");
    byte[] got = new byte[count];
    target.duplicate().position(start).get(got);
    assertArrayEquals(Arrays.copyOfRange(bytes, (int) offset, (int) offset + count), got,
        "offset " + offset + ", " + count + " bytes");
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldReadStraightIntoAlignedDirectBufferWhenWholeBlocks(DirectIo mode) {
    FileChunkStore store = written(mode);
    assertReadInto(store, 0, alignedDirect(4 * BLOCK));
    assertReadInto(store, 2 * BLOCK, alignedDirect(3 * BLOCK));
    assertReadInto(store, 4 * BLOCK, alignedDirect(2 << 20)); // the tail, short of the target
    assertReadInto(store, 0, alignedDirect(2 << 20));
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldReadThroughScratchWhenTargetOrRangeIsNotAligned(DirectIo mode) {
    FileChunkStore store = written(mode);
    assertReadInto(store, 100, alignedDirect(3 * BLOCK));
    assertReadInto(store, BLOCK, alignedDirect(BLOCK + 10));
    assertReadInto(store, 0, ByteBuffer.allocate(LENGTH + 5));
    assertReadInto(store, 5000, ByteBuffer.allocate(10_000).position(17));
    assertReadInto(store, 0, alignedDirect(4 * BLOCK + 512).position(512));
    assertReadInto(store, LENGTH, alignedDirect(BLOCK));
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldFailAndNeverServeCorruptBlockWhenReadingInto(DirectIo mode) throws IOException {
    FileChunkStore store = written(mode);
    Path data = dir.resolve("chunks").resolve(chunk.fileId().value()).resolve("0.data");
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (bytes[3 * BLOCK + 5] ^ 0x40)}), 3 * BLOCK + 5);
    }
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.readInto(chunk, 0, alignedDirect(8 * BLOCK))).code());
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.readInto(chunk, 10, ByteBuffer.allocate(LENGTH))).code());
    assertReadInto(store, 4 * BLOCK, alignedDirect(4 * BLOCK)); // the blocks after it are fine
  }

  /**
   * A read asks the disk inside its turn, once, and leaves the turn before its blocks are checked where they
   * lie in the target: a byte flipped in the target as the turn is left is caught by the check. Through a
   * scratch buffer, where each pass reads and checks, the turn covers the whole read.
   */
  @Test
  void shouldAskTheDiskInsideTheTurnAndCheckAfterLeavingIt() {
    FileChunkStore store = written(DirectIo.AUTO);
    assumeTrue(store.directIo(), "O_DIRECT is refused under " + dir);
    List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    DiskTurn recorded = new DiskTurn() {
      @Override
      public void enter() {
        events.add("enter");
      }

      @Override
      public void leave() {
        events.add("leave");
      }
    };
    assertReadInto(store, 0, alignedDirect(8 * BLOCK), recorded);
    assertEquals(List.of("enter", "leave"), events);
    events.clear();
    assertReadInto(store, 100, ByteBuffer.allocate(1000), recorded);
    assertEquals(List.of("enter", "leave"), events, "through a scratch buffer");

    ByteBuffer target = alignedDirect(8 * BLOCK);
    DiskTurn flipping = new DiskTurn() {
      @Override
      public void enter() {}

      @Override
      public void leave() {
        target.put(3 * BLOCK + 5, (byte) (target.get(3 * BLOCK + 5) ^ 0x40));
      }
    };
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.readInto(chunk, 0, target, flipping)).code(),
        "the blocks are checked after the turn, in the target");
  }

  /** A read waiting for its turn at the disk when the store's threads are stopped fails as unavailable, saying why. */
  @Test
  void shouldFailAsUnavailableWhenStoppedWaitingForTheDisk() throws InterruptedException {
    FileChunkStore store = written(DirectIo.AUTO);
    java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1);
    DiskTurn never = new DiskTurn() {
      @Override
      public void enter() throws InterruptedException {
        waiting.countDown();
        new java.util.concurrent.Semaphore(0).acquire();
      }

      @Override
      public void leave() {}
    };
    var read = store.readInto(chunk, 0, alignedDirect(8 * BLOCK), never);
    assertTrue(waiting.await(10, java.util.concurrent.TimeUnit.SECONDS), "the read waits for its turn");
    io.shutdownNow();
    var failed = failure(read);
    assertEquals(ErrorCode.UNAVAILABLE, failed.code(), failed.getMessage());
    assertTrue(failed.getMessage().contains("interrupted waiting for the disk"), failed.getMessage());
  }

  @Test
  void shouldFailWhenReplicaIsMissingOrRangeIsOutside() {
    FileChunkStore store = written(DirectIo.AUTO);
    assertEquals(ErrorCode.NOT_FOUND,
        failure(store.readInto(new ChunkId(chunk.fileId(), 1), 0, alignedDirect(BLOCK))).code());
    assertEquals(ErrorCode.RANGE_NOT_SATISFIABLE, failure(store.readInto(chunk, LENGTH + 1, alignedDirect(BLOCK))).code());
  }
}
