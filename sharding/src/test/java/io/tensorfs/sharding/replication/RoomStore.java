package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** A store that only knows its id and its room, which a test sets: for placement, which reads nothing else. */
final class RoomStore implements ChunkStore {
  private final String id;
  private volatile long usableBytes;

  RoomStore(String id, long usableBytes) {
    this.id = id;
    this.usableBytes = usableBytes;
  }

  void setUsableBytes(long bytes) {
    usableBytes = bytes;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public long usableBytes() {
    return usableBytes;
  }

  @Override
  public Path directory() {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public int blockBytes() {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable) {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public CompletionStage<Done> deleteFile(FileId file) {
    throw new UnsupportedOperationException("placement only");
  }

  @Override
  public CompletionStage<Map<FileId, StoredFile>> scan() {
    throw new UnsupportedOperationException("placement only");
  }
}
