package io.tensorfs.store;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.store.StoreTesting.newestModified;
import static io.tensorfs.store.StoreTesting.OWNER;
import static io.tensorfs.store.StoreTesting.failure;
import static io.tensorfs.store.StoreTesting.filesUnder;
import static io.tensorfs.store.StoreTesting.flipByte;
import static io.tensorfs.store.StoreTesting.randomBytes;
import static io.tensorfs.store.StoreTesting.smallSettings;
import static io.tensorfs.store.StoreTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.StoreSettings.DirectIo;
import io.tensorfs.store.internal.DirectIoProbe;
import io.tensorfs.store.internal.FileSync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FileChunkStoreTest {
  /** Three full write buffers, then a partial block: 6 full blocks and one of 1234 bytes. */
  private static final int LENGTH = 3 * 8192 + 1234;
  private static final ActorTestKit testKit = ActorTestKit.create();

  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final FileId file = FileId.random();
  private final ChunkId chunk = new ChunkId(file, 0);

  @TempDir Path dir;

  @AfterEach
  void stopExecutor() {
    io.shutdownNow();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  private FileChunkStore open(DirectIo mode) {
    return new FileChunkStore("d0", dir, smallSettings(dir, mode), io);
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldReadBackWholeAndRangesWhenWritten(DirectIo mode) {
    FileChunkStore store = open(mode);
    byte[] bytes = randomBytes(LENGTH, 1);
    write(store, chunk, bytes, 1000);

    assertArrayEquals(bytes, await(store.read(chunk, 0, LENGTH)).toArray());
    assertRange(store, bytes, 0, 1);
    assertRange(store, bytes, 4095, 2); // crosses a block boundary
    assertRange(store, bytes, 3, 4096 * 3 + 7); // unaligned, four blocks
    assertRange(store, bytes, 6 * 4096, 1234); // exactly the last partial block
    assertRange(store, bytes, LENGTH - 10, 10);
    assertEquals(10, await(store.read(chunk, LENGTH - 10, 500)).size(), "fewer bytes at the end");
    assertEquals(0, await(store.read(chunk, LENGTH, 5)).size());
  }

  private void assertRange(ChunkStore store, byte[] bytes, int offset, int length) {
    ByteString got = await(store.read(chunk, offset, length));
    assertArrayEquals(Arrays.copyOfRange(bytes, offset, offset + length), got.toArray(),
        "bytes " + offset + "+" + length);
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldReportCrcOfAllBytesWhenFinished(DirectIo mode) {
    FileChunkStore store = open(mode);
    byte[] bytes = randomBytes(LENGTH, 2);

    WrittenReplica written = write(store, chunk, bytes, 3000);

    CRC32C expected = new CRC32C();
    expected.update(bytes);
    assertEquals((int) expected.getValue(), written.crc32c());
    assertEquals(LENGTH, written.lengthBytes());
    assertEquals(chunk, written.chunk());
    assertEquals("d0", written.store());
  }

  @Test
  void shouldWriteAndReadAnEmptyReplicaWhenNothingIsAppended() {
    FileChunkStore store = open(DirectIo.AUTO);

    WrittenReplica written = await(store.openWriter(chunk, OWNER, false).finish());

    assertEquals(0, written.lengthBytes());
    assertEquals(0, written.crc32c());
    assertEquals(0, await(store.read(chunk, 0, 100)).size());
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldFailOnlyReadsTouchingTheBlockWhenADataByteIsFlipped(DirectIo mode) throws IOException {
    FileChunkStore store = open(mode);
    byte[] bytes = randomBytes(LENGTH, 3);
    write(store, chunk, bytes, 4096);
    flipByte(dir.resolve("chunks").resolve(file.value()).resolve("0.data"), 5000); // in block 1

    TfsException e = failure(store.read(chunk, 4000, 200));
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, e.code());
    assertTrue(e.getMessage().contains(chunk.toString()) && e.getMessage().contains("block 1"), e.getMessage());
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.read(chunk, 0, LENGTH)).code());
    assertRange(store, bytes, 0, 4096);
    assertRange(store, bytes, 8192, LENGTH - 8192);
  }

  @Test
  void shouldTellTheListenerOfACorruptReplicaWhenAReadOrVerifyFindsIt() throws IOException {
    List<CorruptReplica> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    FileChunkStore store = new FileChunkStore("d0", dir, smallSettings(dir, DirectIo.AUTO), io, heard::add);
    byte[] bytes = randomBytes(LENGTH, 13);
    write(store, chunk, bytes, 4096);
    flipByte(dir.resolve("chunks").resolve(file.value()).resolve("0.data"), 9000); // in block 2

    assertRange(store, bytes, 0, 8192);
    assertEquals(8192, await(store.verify(chunk, 0, 8192)));
    assertTrue(heard.isEmpty(), "reads of good blocks report nothing: " + heard);

    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.verify(chunk, 0, LENGTH)).code());
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.read(chunk, 8192, 10)).code());
    assertEquals(2, heard.size(), "each failed read tells the listener: " + heard);
    CorruptReplica report = heard.get(0);
    assertEquals("d0", report.storeId());
    assertEquals(chunk, report.chunk());
    assertEquals(java.util.Optional.of(OWNER), report.owner());
    assertTrue(report.reason().contains("block 2"), report.reason());
  }

  @Test
  void shouldFailWithChecksumMismatchWhenTheCrcFileIsCorrupt() throws IOException {
    FileChunkStore store = open(DirectIo.AUTO);
    write(store, chunk, randomBytes(LENGTH, 4), 4096);
    Path crc = dir.resolve("chunks").resolve(file.value()).resolve("0.crc");

    flipByte(crc, 30); // inside the table: the table's own CRC catches it
    TfsException e = failure(store.read(chunk, 0, 10));
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, e.code());
    assertTrue(e.getMessage().contains(chunk.toString()), e.getMessage());

    try (FileChannel ch = FileChannel.open(crc, StandardOpenOption.WRITE)) {
      ch.truncate(12);
    }
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.read(chunk, 0, 10)).code());
  }

  @Test
  void shouldFailWithChecksumMismatchWhenTheDataFileIsCutShort() throws IOException {
    FileChunkStore store = open(DirectIo.OFF);
    write(store, chunk, randomBytes(LENGTH, 5), 4096);
    try (FileChannel ch = FileChannel.open(dir.resolve("chunks").resolve(file.value()).resolve("0.data"),
        StandardOpenOption.WRITE)) {
      ch.truncate(LENGTH - 100);
    }

    assertEquals(ErrorCode.CHECKSUM_MISMATCH, failure(store.read(chunk, 0, 10)).code());
  }

  @Test
  void shouldBeNotFoundWhenTheReplicaIsMissing() {
    FileChunkStore store = open(DirectIo.AUTO);

    TfsException e = failure(store.read(chunk, 0, 10));

    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains(chunk.toString()), e.getMessage());
  }

  @Test
  void shouldRejectARangeThatStartsPastTheEnd() {
    FileChunkStore store = open(DirectIo.OFF);
    write(store, chunk, randomBytes(100, 6), 100);

    assertEquals(ErrorCode.RANGE_NOT_SATISFIABLE, failure(store.read(chunk, 101, 1)).code());
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldStreamVerifiedSegmentsWhenSourced(DirectIo mode) {
    FileChunkStore store = open(mode);
    byte[] bytes = randomBytes(LENGTH, 7);
    write(store, chunk, bytes, 8192);

    List<ByteString> segments = await(store.source(chunk, 100, LENGTH).runWith(Sink.seq(), testKit.system()));

    ByteString all = segments.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
    assertArrayEquals(Arrays.copyOfRange(bytes, 100, LENGTH), all.toArray());
    for (int i = 0; i < segments.size() - 1; i++) assertEquals(5000, segments.get(i).size());
  }

  @Test
  void shouldFailTheStreamWhenSourcingACorruptOrMissingReplica() throws IOException {
    FileChunkStore store = open(DirectIo.AUTO);
    write(store, chunk, randomBytes(LENGTH, 8), 8192);
    flipByte(dir.resolve("chunks").resolve(file.value()).resolve("0.data"), LENGTH - 1);

    assertEquals(ErrorCode.CHECKSUM_MISMATCH,
        failure(store.source(chunk, 0, LENGTH).runWith(Sink.ignore(), testKit.system())).code());
    assertEquals(ErrorCode.NOT_FOUND,
        failure(store.source(new ChunkId(file, 9), 0, 10).runWith(Sink.ignore(), testKit.system())).code());
  }

  @ParameterizedTest
  @EnumSource(value = DirectIo.class, names = {"OFF", "AUTO"})
  void shouldLeaveNoChunkFilesWhenAborted(DirectIo mode) throws IOException {
    FileChunkStore store = open(mode);
    ChunkWriter writer = store.openWriter(chunk, OWNER, true);
    StoreTesting.appendAll(writer, randomBytes(LENGTH, 9), 5000);

    await(writer.abort());
    await(writer.abort());

    assertEquals(List.of("chunks/" + file.value() + "/owner"), filesUnder(dir));
    assertEquals(ErrorCode.NOT_FOUND, failure(store.read(chunk, 0, 1)).code());
  }

  @Test
  void shouldRunAnAbortAfterAnAppendStillInFlight() throws IOException {
    FileChunkStore store = open(DirectIo.AUTO);
    ChunkWriter writer = store.openWriter(chunk, OWNER, true);

    var append = writer.append(ByteString.fromArray(randomBytes(LENGTH, 19)));
    await(writer.abort());

    assertTrue(append.toCompletableFuture().isDone());
    assertEquals(List.of("chunks/" + file.value() + "/owner"), filesUnder(dir));
  }

  @Test
  void shouldHideAnUnfinishedWriteAndSweepItAfterARestart() throws IOException {
    FileChunkStore store = open(DirectIo.AUTO);
    write(store, new ChunkId(file, 1), randomBytes(100, 10), 100);
    ChunkWriter unfinished = store.openWriter(chunk, OWNER, true);
    StoreTesting.appendAll(unfinished, randomBytes(LENGTH, 11), 8192);

    assertEquals(ErrorCode.NOT_FOUND, failure(store.read(chunk, 0, 1)).code());
    assertEquals(Set.of(1), await(store.scan()).get(file).chunks());
    assertTrue(filesUnder(dir).contains("chunks/" + file.value() + "/0.data.part"),
        "an open writer's parts survive a scan");

    FileChunkStore restarted = open(DirectIo.AUTO); // the first writer died with its node
    Map<FileId, ChunkStore.StoredFile> found = await(restarted.scan());

    ChunkStore.StoredFile stored = found.get(file);
    assertEquals(new ChunkStore.StoredFile(file, OWNER, Set.of(1), newestModified(dir.resolve("chunks"))), stored);
    assertEquals(List.of("chunks/" + file.value() + "/1.crc", "chunks/" + file.value() + "/1.data",
        "chunks/" + file.value() + "/owner"), filesUnder(dir));
  }

  @Test
  void shouldSweepHalfFinishedReplicasAndOwnerlessFoldersWhenScanned() throws IOException {
    FileChunkStore store = open(DirectIo.OFF);
    write(store, chunk, randomBytes(100, 12), 100);
    Path fileDir = dir.resolve("chunks").resolve(file.value());
    Files.write(fileDir.resolve("3.data"), new byte[10]); // its .crc never came
    FileId ownerless = FileId.random();
    Files.createDirectories(dir.resolve("chunks").resolve(ownerless.value()));
    Files.write(dir.resolve("chunks").resolve(ownerless.value()).resolve("0.data.part"), new byte[10]);

    Map<FileId, ChunkStore.StoredFile> found = await(store.scan());

    assertEquals(Map.of(file, new ChunkStore.StoredFile(file, OWNER, Set.of(0), newestModified(fileDir))), found);
    assertFalse(Files.exists(fileDir.resolve("3.data")));
    assertFalse(Files.exists(dir.resolve("chunks").resolve(ownerless.value())));
  }

  @Test
  void shouldFailWithNoSpaceAndRemoveThePartWhenTheReserveWouldBeUsed() throws IOException {
    FileChunkStore store = new FileChunkStore("d0", dir,
        smallSettings(dir, DirectIo.AUTO).withReservedBytes(Long.MAX_VALUE / 2), io);
    ChunkWriter writer = store.openWriter(chunk, OWNER, true);

    TfsException e = failure(writer.append(ByteString.fromArray(randomBytes(100, 13))));

    assertEquals(ErrorCode.NO_SPACE, e.code());
    assertEquals(0, store.usableBytes());
    await(writer.abort());
    assertTrue(filesUnder(dir).stream().noneMatch(f -> f.endsWith(".part") || f.endsWith(".data")),
        filesUnder(dir).toString());
  }

  @Test
  void shouldRefuseASecondWriterOfTheSameChunkWithoutHarmingTheFirst() {
    FileChunkStore store = open(DirectIo.AUTO);
    byte[] bytes = randomBytes(LENGTH, 14);
    ChunkWriter first = store.openWriter(chunk, OWNER, true);
    StoreTesting.appendAll(first, bytes, 8192);

    ChunkWriter second = store.openWriter(chunk, OWNER, true);
    assertEquals(ErrorCode.CONFLICT, failure(second.append(ByteString.fromArray(bytes))).code());
    await(second.abort());

    await(first.finish());
    assertArrayEquals(bytes, await(store.read(chunk, 0, LENGTH)).toArray());
  }

  @Test
  void shouldRemoveEveryChunkOfAVersionWhenItsFileIsDeleted() throws IOException {
    FileChunkStore store = open(DirectIo.AUTO);
    FileId other = FileId.random();
    write(store, chunk, randomBytes(100, 15), 100);
    write(store, new ChunkId(file, 1), randomBytes(100, 16), 100);
    write(store, new ChunkId(other, 0), randomBytes(100, 17), 100);

    await(store.deleteFile(file));
    await(store.deleteFile(file)); // absent is not an error

    assertEquals(Set.of(other), await(store.scan()).keySet());
    assertEquals(ErrorCode.NOT_FOUND, failure(store.read(chunk, 0, 1)).code());
  }

  @Test
  void shouldRemoveOneChunkThenTheFileVersionWithItsLastChunk() {
    FileChunkStore store = open(DirectIo.AUTO);
    FileId file = FileId.random();
    ChunkId first = new ChunkId(file, 0);
    ChunkId second = new ChunkId(file, 1);
    write(store, first, randomBytes(100, 18), 100);
    write(store, second, randomBytes(100, 19), 100);

    await(store.deleteChunk(first));

    assertEquals(Set.of(1), await(store.scan()).get(file).chunks());
    assertEquals(ErrorCode.NOT_FOUND, failure(store.read(first, 0, 1)).code());
    assertEquals(100, await(store.read(second, 0, 100)).size());

    await(store.deleteChunk(second));
    await(store.deleteChunk(second)); // absent is not an error

    assertTrue(await(store.scan()).isEmpty());
    assertFalse(Files.exists(dir.resolve("chunks").resolve(file.value())), "the file version's folder is gone");
  }

  @Test
  void shouldUseDirectIoWhenAutoAndTheFileSystemTakesIt() throws IOException {
    Assumptions.assumeTrue(DirectIoProbe.refusal(dir, DirectIoProbe.alignment(dir)) == null,
        "the temporary directory refuses O_DIRECT");

    assertTrue(open(DirectIo.AUTO).directIo());
    assertTrue(open(DirectIo.ON).directIo());
    assertFalse(open(DirectIo.OFF).directIo());
  }

  /** Older kernels' tmpfs refuses O_DIRECT (6.6 and later take it): then auto falls back, on fails. */
  @Test
  void shouldFallBackToThePageCacheWhenAutoMeetsAFileSystemThatRefusesDirectIo() throws IOException {
    Path shm = Path.of("/dev/shm");
    Assumptions.assumeTrue(Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type()),
        "needs a tmpfs at /dev/shm");
    Path tmpfsDir = Files.createTempDirectory(shm, "tensorfs-store-test");
    try {
      Assumptions.assumeTrue(DirectIoProbe.refusal(tmpfsDir, 4096) != null, "this tmpfs takes O_DIRECT");
      FileChunkStore store = new FileChunkStore("d0", tmpfsDir, smallSettings(tmpfsDir, DirectIo.AUTO), io);
      assertFalse(store.directIo());
      byte[] bytes = randomBytes(LENGTH, 18);
      write(store, chunk, bytes, 1000);
      assertArrayEquals(bytes, await(store.read(chunk, 0, LENGTH)).toArray());

      assertThrows(IllegalStateException.class,
          () -> new FileChunkStore("d0", tmpfsDir, smallSettings(tmpfsDir, DirectIo.ON), io));
    } finally {
      FileSync.deleteTree(tmpfsDir);
    }
  }

}
