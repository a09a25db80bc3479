package io.tensorfs.gateway.files;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Cuts an upload's byte stream at chunk boundaries: every emitted {@link Piece} lies inside one chunk.
 * Slicing a ByteString shares its bytes; nothing is copied here. Refuses a stream longer than
 * {@code maxBytes} with TOO_LARGE.
 */
final class ChunkCutter {
  private ChunkCutter() {}

  static Flow<ByteString, Piece, NotUsed> flow(int chunkSizeBytes, long maxBytes) {
    return Flow.<ByteString>create().statefulMapConcat(() -> new Cutter(chunkSizeBytes, maxBytes)::cut);
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
