package io.tensorfs.sharding.operator.internal;

import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.ReadPiece;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Pieces fetched before a read began, handed out once each; those never taken are released at close.
 * Thread-safe (every method holds the lock).
 */
public final class Prefetched {
  private final List<FileRead.Span> spans;
  private final List<ReadPiece> pieces;
  private final boolean[] taken;

  public Prefetched(List<FileRead.Span> spans, List<ReadPiece> pieces) {
    this.spans = spans;
    this.pieces = pieces;
    this.taken = new boolean[pieces.size()];
  }

  public synchronized CompletionStage<ReadPiece> take(FileRead.Span span) {
    int i = spans.indexOf(span);
    taken[i] = true;
    return CompletableFuture.completedFuture(pieces.get(i));
  }

  public synchronized void releaseUntaken() {
    for (int i = 0; i < taken.length; i++) {
      if (!taken[i]) {
        taken[i] = true;
        pieces.get(i).release();
      }
    }
  }
}
