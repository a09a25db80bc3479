package io.tensorfs.store;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.internal.AlignedBufferPool;
import io.tensorfs.store.internal.ChunkLayout;
import io.tensorfs.store.internal.DirectIoProbe;
import io.tensorfs.store.internal.FileChunkWriter;
import io.tensorfs.store.internal.FileSync;
import io.tensorfs.store.internal.IoFailures;
import io.tensorfs.store.internal.IoRunner;
import io.tensorfs.store.internal.ReplicaReader;
import io.tensorfs.store.internal.ReplicaScan;
import io.tensorfs.store.internal.StoreContext;
import io.tensorfs.store.internal.StoreMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunk replicas of one data directory, as files: {@code chunks/<fileId>/owner},
 * {@code chunks/<fileId>/<index>.data} and {@code <index>.crc} (see {@link ChunkStore} for the
 * checksum rules). Uses O_DIRECT where the settings allow and the file system takes it. Every file
 * operation runs on the given executor. Every read that finds a replica corrupt (a block's CRC32C, a
 * damaged table, a data file of the wrong length) tells the {@link CorruptReplica.Listener}, whoever
 * read: this node's reads, another node's fetch, the scrubber. Thread-safe.
 *
 * <p>Construction does a little blocking I/O (creates the folders, tries direct I/O once): build stores
 * at start, before serving.
 */
public final class FileChunkStore implements ChunkStore {
  private static final Logger log = LoggerFactory.getLogger(FileChunkStore.class);
  private static final int MAX_POOLED_BUFFERS = 16;

  private final Path directory;
  private final StoreSettings settings;
  private final StoreContext context;
  private final CorruptReplica.Listener corruption;

  /** A store that tells nobody of the corrupt replicas it finds (tests). */
  public FileChunkStore(String id, Path directory, StoreSettings settings, Executor ioExecutor) {
    this(id, directory, settings, ioExecutor, CorruptReplica.Listener.NONE);
  }

  /**
   * @param id         this store's id on the node, e.g. {@code d0}
   * @param ioExecutor bounded executor for blocking file I/O (the {@code tensorfs.store.io-dispatcher})
   * @param corruption told of each replica whose bytes fail their check, by any reader of this store
   * @throws UncheckedIOException when the directory cannot be created or inspected
   * @throws IllegalStateException when {@code direct-io = on} and the file system refuses it
   */
  public FileChunkStore(String id, Path directory, StoreSettings settings, Executor ioExecutor,
      CorruptReplica.Listener corruption) {
    this.directory = directory.toAbsolutePath().normalize();
    this.settings = settings;
    this.corruption = corruption;
    ChunkLayout layout = new ChunkLayout(this.directory);
    try {
      Files.createDirectories(layout.chunksRoot());
      FileStore fileStore = Files.getFileStore(this.directory);
      int align = DirectIoProbe.alignment(this.directory);
      boolean direct = decideDirectIo(id, align);
      int poolAlign = direct ? align : 4096;
      int readBytes = (int) StoreContext.alignUp(
          StoreContext.alignUp(settings.readSegmentBytes(), settings.blockBytes()) + settings.blockBytes(), poolAlign);
      int writeBytes = (int) StoreContext.alignUp(settings.writeBufferBytes(), poolAlign);
      this.context = new StoreContext(id, layout, fileStore, direct, align, settings.blockBytes(),
          settings.reservedBytes(),
          new AlignedBufferPool(writeBytes, poolAlign, MAX_POOLED_BUFFERS),
          new AlignedBufferPool(readBytes, poolAlign, MAX_POOLED_BUFFERS),
          new IoRunner(ioExecutor, new StoreMetrics(id)), ConcurrentHashMap.newKeySet());
      StoreMetrics.registerSpace(this, fileStore);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open store " + id + " in " + this.directory, e);
    }
  }

  private boolean decideDirectIo(String id, int align) {
    if (settings.directIo() == StoreSettings.DirectIo.OFF) return false;
    String refusal = settings.blockBytes() % align != 0
        ? "block-bytes " + settings.blockBytes() + " is not a multiple of the device alignment " + align
        : DirectIoProbe.refusal(directory, align);
    if (refusal == null) return true;
    if (settings.directIo() == StoreSettings.DirectIo.ON) {
      throw new IllegalStateException("store " + id + " in " + directory
          + ": direct-io = on but O_DIRECT is refused: " + refusal);
    }
    log.info("store {} in {}: no direct I/O ({}); using the page cache", id, directory, refusal);
    return false;
  }

  @Override
  public String id() {
    return context.storeId();
  }

  @Override
  public Path directory() {
    return directory;
  }

  @Override
  public Optional<Path> dataFile(ChunkId chunk) {
    Path data = context.layout().data(chunk);
    return Files.isRegularFile(data) ? Optional.of(data) : Optional.empty();
  }

  @Override
  public int blockBytes() {
    return settings.blockBytes();
  }

  /** Decided once, at construction. */
  @Override
  public boolean directIo() {
    return context.directIo();
  }

  @Override
  public ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable) {
    boolean claimed = context.writing().add(chunk);
    return new FileChunkWriter(chunk, owner, durable, claimed, context);
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    return checked(chunk, () -> {
      try (ReplicaReader reader = ReplicaReader.open(chunk, context)) {
        ByteString bytes = reader.read(offset, length);
        context.io().metrics().read(bytes.size());
        return bytes;
      }
    });
  }

  /** Straight into {@code target} without a copy where it is direct and aligned for O_DIRECT. */
  @Override
  public CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target) {
    return readInto(chunk, offset, target, DiskTurn.NONE);
  }

  @Override
  public CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target, DiskTurn turn) {
    return checked(chunk, () -> {
      try (ReplicaReader reader = ReplicaReader.open(chunk, context)) {
        int count = reader.readInto(offset, target, turn);
        context.io().metrics().read(count);
        return count;
      }
    });
  }

  /** Reads the blocks into a scratch buffer of the store's and checks them there: nothing is copied out. */
  @Override
  public CompletionStage<Integer> verify(ChunkId chunk, long offset, int length) {
    return checked(chunk, () -> {
      try (ReplicaReader reader = ReplicaReader.open(chunk, context)) {
        int count = reader.verify(offset, length);
        context.io().metrics().read(count);
        return count;
      }
    });
  }

  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    String what = reading(chunk);
    int segment = settings.readSegmentBytes();
    return Source.unfoldResourceAsync(
        () -> checked(chunk, () -> new Cursor(ReplicaReader.open(chunk, context), offset, offset + length)),
        cursor -> checked(chunk, () -> cursor.next(segment, context.io().metrics())),
        cursor -> context.io().run(what, () -> {
          cursor.reader.close();
          return Done.done();
        }));
  }

  /** Where a source stands in its replica; used by one stream, one call at a time. */
  private static final class Cursor {
    final ReplicaReader reader;
    long position;
    final long end;

    Cursor(ReplicaReader reader, long offset, long end) {
      this.reader = reader;
      this.position = offset;
      this.end = Math.min(end, reader.length());
    }

    Optional<ByteString> next(int segmentBytes, StoreMetrics metrics) throws IOException {
      if (position >= end) {
        // Still checks the range once: a source starting past the end fails as a read would.
        if (position > reader.length()) reader.read(position, 0);
        return Optional.empty();
      }
      ByteString bytes = reader.read(position, (int) Math.min(segmentBytes, end - position));
      position += bytes.size();
      metrics.read(bytes.size());
      return bytes.isEmpty() ? Optional.empty() : Optional.of(bytes);
    }
  }

  @Override
  public CompletionStage<Done> deleteFile(FileId file) {
    return context.io().run("deleting file version " + file + " on store " + id(), () -> {
      FileSync.deleteTree(context.layout().fileDir(file));
      return Done.done();
    });
  }

  /** A reader that opened the replica before keeps reading it: the files go when it closes them. */
  @Override
  public CompletionStage<Done> deleteChunk(ChunkId chunk) {
    return context.io().run("deleting chunk " + chunk + " on store " + id(), () -> {
      ChunkLayout layout = context.layout();
      Files.deleteIfExists(layout.data(chunk));
      Files.deleteIfExists(layout.crc(chunk));
      Path dir = layout.fileDir(chunk.fileId());
      if (Files.isDirectory(dir) && onlyOwnerLeft(dir)) FileSync.deleteTree(dir);
      return Done.done();
    });
  }

  private static boolean onlyOwnerLeft(Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.allMatch(p -> p.getFileName().toString().equals(ChunkLayout.OWNER));
    }
  }

  /**
   * Also removes what interrupted writes left (see {@link ReplicaScan}). Meant for the start, before
   * writes; a chunk whose writer is open here is neither listed nor swept.
   */
  @Override
  public CompletionStage<Map<FileId, StoredFile>> scan() {
    return context.io().run("scanning store " + id(), () -> ReplicaScan.run(context));
  }

  /** Usable bytes of the file system minus the reserve; never negative. A cheap statvfs call. */
  @Override
  public long usableBytes() {
    try {
      return context.usableBytes();
    } catch (IOException e) {
      throw IoFailures.translate(e, "reading free space of store " + id());
    }
  }

  private String reading(ChunkId chunk) {
    return "reading chunk " + chunk + " on store " + id();
  }

  /** Runs a read of {@code chunk} on the I/O executor; a checksum failure is also told to the listener. */
  private <T> CompletionStage<T> checked(ChunkId chunk, IoRunner.IoTask<T> read) {
    return context.io().run(reading(chunk), () -> {
      try {
        return read.call();
      } catch (TfsException e) {
        if (e.code() == ErrorCode.CHECKSUM_MISMATCH) reportCorrupt(chunk, e.getMessage());
        throw e;
      }
    });
  }

  private void reportCorrupt(ChunkId chunk, String reason) {
    Optional<TfsPath> owner;
    try {
      owner = Optional.of(TfsPath.parse(Files.readString(context.layout().owner(chunk.fileId()), StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException unreadable) {
      owner = Optional.empty();
    }
    try {
      corruption.found(new CorruptReplica(id(), chunk, owner, reason));
    } catch (RuntimeException e) {
      log.error("store {}: the listener of corrupt replicas failed for chunk {}", id(), chunk, e);
    }
  }

  @Override
  public String toString() {
    return "FileChunkStore(" + id() + ", " + directory + (directIo() ? ", direct I/O)" : ")");
  }
}
