package io.tensorfs.store;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.store.StoreTesting.failure;
import static io.tensorfs.store.StoreTesting.randomBytes;
import static io.tensorfs.store.StoreTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    int start = target.position();
    int expected = (int) Math.min(target.remaining(), LENGTH - offset);
    int count = await(store.readInto(chunk, offset, target));
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
   * Read straight into an aligned buffer, the bytes are off the disk before they are checked: the caller is
   * told in between (so a corrupt block is reported after it), once; through a scratch buffer it is not told.
   */
  @Test
  void shouldTellWhenTheBytesAreOffTheDiskBeforeCheckingThem() throws IOException {
    FileChunkStore store = written(DirectIo.AUTO);
    assumeTrue(store.directIo(), "O_DIRECT is refused under " + dir);
    java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
    ByteBuffer target = alignedDirect(8 * BLOCK);
    assertEquals(LENGTH, (int) await(store.readInto(chunk, 0, target, told::incrementAndGet)));
    assertEquals(1, told.get(), "told once");
    assertArrayEquals(bytes, Arrays.copyOf(readBack(target), LENGTH));

    told.set(0);
    await(store.readInto(chunk, 100, ByteBuffer.allocate(1000), told::incrementAndGet));
    assertEquals(0, told.get(), "through a scratch buffer the read and the check go pass by pass: nothing to tell");

    Path data = dir.resolve("chunks").resolve(chunk.fileId().value()).resolve("0.data");
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (bytes[3 * BLOCK + 5] ^ 0x40)}), 3 * BLOCK + 5);
    }
    assertEquals(ErrorCode.CHECKSUM_MISMATCH,
        failure(store.readInto(chunk, 0, alignedDirect(8 * BLOCK), told::incrementAndGet)).code());
    assertEquals(1, told.get(), "the bytes left the disk before the check found the corrupt block");
  }

  private static byte[] readBack(ByteBuffer target) {
    byte[] out = new byte[target.position()];
    target.duplicate().flip().get(out);
    return out;
  }

  @Test
  void shouldFailWhenReplicaIsMissingOrRangeIsOutside() {
    FileChunkStore store = written(DirectIo.AUTO);
    assertEquals(ErrorCode.NOT_FOUND,
        failure(store.readInto(new ChunkId(chunk.fileId(), 1), 0, alignedDirect(BLOCK))).code());
    assertEquals(ErrorCode.RANGE_NOT_SATISFIABLE, failure(store.readInto(chunk, LENGTH + 1, alignedDirect(BLOCK))).code());
  }
}
