package io.tensorfs.gpu.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a copy between host buffers and one device range into pieces for the streams. Pure: reads only the
 * positions and limits of the buffers it is given.
 *
 * <p>The bytes of a copy are the remaining bytes of each buffer, in list order, laid end to end from
 * {@code deviceOffset}. A piece never spans two buffers and is at most {@code pieceBytes}; pieces come out
 * in device order and go to the streams in turn, starting at {@code firstStream}, so that consecutive
 * pieces run on different copy queues.
 */
public final class PiecePlanner {
  private PiecePlanner() {}

  public static List<Piece> plan(List<ByteBuffer> buffers, long deviceOffset, long pieceBytes, int streams,
      int firstStream) {
    if (pieceBytes <= 0) throw new IllegalArgumentException("pieceBytes must be positive, not " + pieceBytes);
    if (streams <= 0) throw new IllegalArgumentException("streams must be positive, not " + streams);
    if (deviceOffset < 0) throw new IllegalArgumentException("deviceOffset must not be negative");
    List<Piece> pieces = new ArrayList<>();
    long device = deviceOffset;
    int stream = Math.floorMod(firstStream, streams);
    for (int b = 0; b < buffers.size(); b++) {
      ByteBuffer buffer = buffers.get(b);
      long host = buffer.position();
      long left = buffer.remaining();
      while (left > 0) {
        long bytes = Math.min(left, pieceBytes);
        pieces.add(new Piece(stream, b, host, device, bytes));
        stream = (stream + 1) % streams;
        host += bytes;
        device += bytes;
        left -= bytes;
      }
    }
    return pieces;
  }

  /** The bytes a plan over {@code buffers} moves: the sum of their remaining bytes. */
  public static long totalBytes(List<ByteBuffer> buffers) {
    long total = 0;
    for (ByteBuffer b : buffers) total += b.remaining();
    return total;
  }
}
