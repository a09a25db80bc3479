package io.tensorfs.sharding.operator.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Cuts an upload's byte stream at chunk boundaries: every emitted {@link Piece} lies inside one chunk.
 * Slicing a ByteString shares its bytes; nothing is copied here. While the store is busy with the
 * last piece, the bytes arriving meanwhile are gathered (as a rope, still uncopied) into one piece of up
 * to {@code batchBytes}, so the store sees few large appends. Refuses a stream longer than
 * {@code maxBytes} with TOO_LARGE.
 */
public final class ChunkCutter {
  private ChunkCutter() {}

  public static Flow<ByteString, List<Piece>, NotUsed> flow(int chunkSizeBytes, long maxBytes, int batchBytes) {
    return Flow.<ByteString>create()
        .statefulMapConcat(() -> new Cutter(chunkSizeBytes, maxBytes)::cut)
        .batchWeighted(batchBytes, p -> (long) p.bytes().size(), ChunkCutter::startBatch, ChunkCutter::addToBatch);
  }

  private static List<Piece> startBatch(Piece first) {
    List<Piece> batch = new ArrayList<>(2);
    batch.add(first);
    return batch;
  }

  /** Joins a piece to the batch's last piece when both lie in one chunk; a new chunk starts a new piece. */
  private static List<Piece> addToBatch(List<Piece> batch, Piece next) {
    Piece last = batch.get(batch.size() - 1);
    if (last.chunkIndex() == next.chunkIndex()) {
      batch.set(batch.size() - 1, new Piece(last.chunkIndex(), last.bytes().concat(next.bytes())));
    } else {
      batch.add(next);
    }
    return batch;
  }

  private static final class Cutter {
    private final int chunkSizeBytes;
    private final long maxBytes;
    private long position;

    Cutter(int chunkSizeBytes, long maxBytes) {
      this.chunkSizeBytes = chunkSizeBytes;
      this.maxBytes = maxBytes;
    }

    List<Piece> cut(ByteString bytes) {
      if (position + bytes.size() > maxBytes) {
        throw new TfsException(ErrorCode.TOO_LARGE, "upload is larger than the limit of " + maxBytes + " bytes");
      }
      List<Piece> out = new ArrayList<>(2);
      ByteString rest = bytes;
      while (!rest.isEmpty()) {
        int index = (int) (position / chunkSizeBytes);
        int room = (int) ((long) (index + 1) * chunkSizeBytes - position);
        ByteString part = rest.size() <= room ? rest : rest.take(room);
        out.add(new Piece(index, part));
        position += part.size();
        rest = rest.drop(part.size());
      }
      return out;
    }
  }
}
