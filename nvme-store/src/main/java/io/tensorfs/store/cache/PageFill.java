package io.tensorfs.store.cache;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.memory.Page;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ServedBytes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads a loading chunk into its pages, all pages at once, each from the first store in order that
 * serves its range whole and verified (a missing or corrupt replica sends that page to the next store).
 * Completes only when every page's read has ended, so a failed load never hands back a page that a
 * read still writes into. Stateless.
 */
final class PageFill {
  private PageFill() {}

  /** Completes normally when every page is filled, else with the last error of a page that no store served. */
  static CompletionStage<Void> fill(CacheEntry entry, List<ChunkStore> stores, int pageBytes) {
    if (stores.isEmpty() && !entry.pages.isEmpty()) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND,
          "no store named for chunk " + entry.id));
    }
    List<CompletableFuture<Throwable>> pages = new ArrayList<>();
    for (int i = 0; i < entry.pages.size(); i++) {
      pages.add(readPage(entry, i, stores, 0, pageBytes)
          .handle((count, failure) -> failure).toCompletableFuture());
    }
    return CompletableFuture.allOf(pages.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      for (CompletableFuture<Throwable> page : pages) {
        Throwable failure = page.getNow(null); // all complete: allOf has
        if (failure != null) return CompletableFuture.failedFuture(Failures.unwrap(failure));
      }
      return CompletableFuture.completedFuture(null);
    });
  }

  private static CompletionStage<Integer> readPage(CacheEntry entry, int page, List<ChunkStore> stores, int attempt,
      int pageBytes) {
    long offset = (long) page * pageBytes;
    int expected = (int) Math.min(pageBytes, entry.length - offset);
    ChunkStore store = stores.get(attempt);
    Page target = entry.pages.get(page);
    CompletionStage<Integer> read = readFrom(store, entry, offset, target)
        .thenApply(count -> {
          if (count != expected) {
            throw new TfsException(ErrorCode.CHECKSUM_MISMATCH, "replica of chunk " + entry.id + " on store "
                + store.id() + " has " + count + " bytes at " + offset + " where " + expected + " were expected");
          }
          return count;
        });
    if (attempt + 1 == stores.size()) return read;
    return read.exceptionallyCompose(failure -> readPage(entry, page, stores, attempt + 1, pageBytes));
  }

  private static CompletionStage<Integer> readFrom(ChunkStore store, CacheEntry entry, long offset, Page target) {
    try {
      ChunkStore from = store;
      return store.readInto(entry.id, offset, target.buffer()).thenApply(count -> {
        ServedBytes.fromStore(from, count);
        return count;
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

}
