package io.tensorfs.store;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;

/** Helpers for the store tests: small settings, writing a replica in pieces, awaiting stages. */
final class StoreTesting {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final TfsPath OWNER = TfsPath.parse("/tenant/models/weights.bin");

  private StoreTesting() {}

  /** 4 KiB blocks, a write buffer of two blocks and read segments that do not fall on blocks. */
  static StoreSettings smallSettings(Path dir, StoreSettings.DirectIo mode) {
    return StoreSettings.defaults(List.of(dir))
        .withBlockBytes(4096)
        .withWriteBufferBytes(8192)
        .withReadSegmentBytes(5000)
        .withReservedBytes(0)
        .withDirectIo(mode)
        .withCollectRetry(Duration.ofMillis(50));
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Writes {@code bytes} in appends of {@code pieceBytes}, then finishes. */
  static WrittenReplica write(ChunkStore store, ChunkId chunk, byte[] bytes, int pieceBytes) {
    ChunkWriter writer = store.openWriter(chunk, OWNER, true);
    appendAll(writer, bytes, pieceBytes);
    return await(writer.finish());
  }

  static void appendAll(ChunkWriter writer, byte[] bytes, int pieceBytes) {
    for (int at = 0; at < bytes.length; at += pieceBytes) {
      await(writer.append(ByteString.fromArray(bytes, at, Math.min(pieceBytes, bytes.length - at))));
    }
  }

  /** The TfsException a stage fails with. */
  static TfsException failure(CompletionStage<?> stage) {
    return assertInstanceOf(TfsException.class, Awaits.failure(stage, TIMEOUT));
  }

  /** Flips some bits of the byte at {@code position} of a file, as a bad disk would. */
  static void flipByte(Path path, long position) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path,
        java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      ch.write(one, position);
    }
  }

  /** Every file under {@code dir}, relative to it, as strings. */
  static List<String> filesUnder(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  /** The newest modification time, in ms, of the regular files under {@code dir}. */
  static long newestModified(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      long newest = 0;
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
      }
      return newest;
    }
  }
}
