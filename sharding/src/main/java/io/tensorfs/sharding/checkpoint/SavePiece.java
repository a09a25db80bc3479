package io.tensorfs.sharding.checkpoint;

import java.util.OptionalLong;
import org.apache.pekko.util.ByteString;

/**
 * One piece of a rank's save stream: bytes of one item at an offset, and/or the rank's "done".
 *
 * @param key       the item; empty for a piece that carries only {@code rankDone}
 * @param offset    where {@code bytes} go in the item: the item's acknowledged offset on its first piece
 *                  in a stream, then the bytes sent since
 * @param sizeBytes the item's whole size on its first piece in a stream; empty means "as declared" (a new
 *                  item is then empty)
 * @param rankDone  the rank has sent all its items
 */
public record SavePiece(String key, long offset, OptionalLong sizeBytes, ByteString bytes, boolean rankDone) {
  public static SavePiece done() {
    return new SavePiece("", 0, OptionalLong.empty(), ByteString.emptyByteString(), true);
  }
}
