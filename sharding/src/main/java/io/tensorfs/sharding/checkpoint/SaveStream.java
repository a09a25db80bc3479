package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The state of one rank's save stream: which item it is in and where, the items it touched. Pieces are
 * checked and cut at part boundaries by {@link #tag}; each part's bytes are written as one file by
 * {@link #writePart} and recorded in the job's entity, in order. Used by one stream: {@link #tag} runs
 * under {@code mapAsync(1)}, so its plain fields are safe; {@link #writePart} runs for up to
 * {@link #PARTS_IN_FLIGHT} parts at once (one streams while the one before seals) and touches only its
 * part and the completions handed to it.
 */
final class SaveStream {
  /** Parts written at once: the next part streams while the one before is sealed and recorded. */
  static final int PARTS_IN_FLIGHT = 2;

  /**
   * Bytes of one part of an item; {@code startsPart} on the first piece of a part in this stream, which
   * also carries the completion of the part before ({@code before}) and its own ({@code stored}): parts
   * are written two at a time but recorded in order.
   */
  record Tagged(Item item, int partIndex, long partStart, long partLength, ByteString bytes, boolean startsPart,
      CompletableFuture<Done> before, CompletableFuture<Done> stored) {}

  /** A part the stream ended inside of: its bytes are dropped and the item stays acknowledged before it. */
  private static final class ShortPart extends RuntimeException {
    ShortPart() {
      super("the stream ended inside a part", null, false, false);
    }
  }

  private final Checkpoints checkpoints;
  private final Checkpoint checkpoint;
  private final int rank;
  private final TfsPath job;

  private Item current;
  private long position;
  /** Items of this stream: their declared state and where this stream left each. */
  private final Map<String, Item> items = new HashMap<>();
  private final Map<String, Long> positions = new HashMap<>();
  private final Set<String> touched = new LinkedHashSet<>();
  private boolean rankDone;
  /** Completes when the last part this stream started is recorded (or dropped). */
  private CompletableFuture<Done> lastStored = CompletableFuture.completedFuture(Done.getInstance());

  SaveStream(Checkpoints checkpoints, Checkpoint checkpoint, int rank) {
    this.checkpoints = checkpoints;
    this.checkpoint = checkpoint;
    this.rank = rank;
    this.job = checkpoint.job();
  }

  /** Checks a piece against its item and cuts its bytes at part boundaries. */
  CompletionStage<List<Tagged>> tag(SavePiece piece) {
    if (piece.rankDone()) rankDone = true;
    if (piece.key().isEmpty()) {
      if (!piece.bytes().isEmpty()) return failed(ErrorCode.BAD_REQUEST, "bytes need the key of their item");
      return CompletableFuture.completedFuture(List.of());
    }
    CompletionStage<Done> entered = current != null && current.key().equals(piece.key())
        ? CompletableFuture.completedFuture(Done.getInstance())
        : enter(piece);
    return entered.thenApply(d -> cut(piece));
  }

  private CompletionStage<Done> enter(SavePiece piece) {
    if (current != null) {
      positions.put(current.key(), position);
      if (position < current.sizeBytes() && position % checkpoint.partSizeBytes() != 0) {
        return failed(ErrorCode.BAD_REQUEST, "item " + current.describe() + " stops at offset " + position
            + ", inside a part: send each item's bytes in one run (or end the stream there)");
      }
    }
    Item known = items.get(piece.key());
    if (known != null) {
      if (piece.sizeBytes().isPresent() && piece.sizeBytes().getAsLong() != known.sizeBytes()) {
        return failed(ErrorCode.BAD_REQUEST, "item " + known.describe() + " was declared with "
            + known.sizeBytes() + " bytes; its size cannot change to " + piece.sizeBytes().getAsLong());
      }
      return at(known, positions.get(piece.key()), piece.offset());
    }
    return checkpoints.askItem(job, r -> new CheckpointJobEntity.Declare(checkpoint.step(), rank, piece.key(),
        piece.sizeBytes().orElse(-1), r)).thenCompose(item -> {
          items.put(item.key(), item);
          return at(item, item.acknowledged(), piece.offset());
        });
  }

  private CompletionStage<Done> at(Item item, long acknowledged, long offset) {
    if (offset != acknowledged) {
      return failed(ErrorCode.PRECONDITION_FAILED, "item " + item.describe() + " of " + checkpoint.name()
          + " is acknowledged up to offset " + acknowledged + "; send from there, not from " + offset);
    }
    current = item;
    position = acknowledged;
    touched.add(item.key());
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  private List<Tagged> cut(SavePiece piece) {
    if (piece.offset() != position) {
      throw new TfsException(ErrorCode.PRECONDITION_FAILED, "item " + current.describe() + " continues at offset "
          + position + " in this stream, not " + piece.offset());
    }
    ByteString rest = piece.bytes();
    if (position + rest.size() > current.sizeBytes()) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "item " + current.describe() + " of " + checkpoint.name()
          + " is larger than declared: " + current.sizeBytes() + " bytes declared, bytes sent up to "
          + (position + rest.size()));
    }
    List<Tagged> out = new ArrayList<>(2);
    long partSize = checkpoint.partSizeBytes();
    while (!rest.isEmpty()) {
      int index = (int) (position / partSize);
      long start = index * partSize;
      long end = Math.min(start + partSize, current.sizeBytes());
      int take = (int) Math.min(rest.size(), end - position);
      boolean starts = position == start;
      CompletableFuture<Done> before = lastStored;
      CompletableFuture<Done> stored = starts ? new CompletableFuture<>() : null;
      if (starts) lastStored = stored;
      out.add(new Tagged(current, index, start, end - start, rest.take(take), starts, before, stored));
      position += take;
      rest = rest.drop(take);
    }
    return out;
  }

  /**
   * Writes one part's bytes as its file and records it in the job's entity. A part the stream ended
   * inside of is dropped (its put fails and removes what it wrote) and the stream goes on to its end.
   */
  CompletionStage<Done> writePart(Tagged head, Source<Tagged, NotUsed> tail) {
    Item item = head.item();
    TfsPath path = checkpoint.partPath(item, head.partIndex());
    long length = head.partLength();
    AtomicLong received = new AtomicLong();
    Source<ByteString, NotUsed> body = Source.single(head).concat(tail)
        .map(t -> {
          received.addAndGet(t.bytes().size());
          return t.bytes();
        })
        // Judged once the part's bytes have all passed: concat would ask the check at once.
        .concatLazy(Source.lazySource(() -> received.get() == length ? Source.<ByteString>empty()
            : Source.<ByteString>failed(new ShortPart())).mapMaterializedValue(m -> NotUsed.getInstance()));
    return checkpoints.files()
        .putReserved(path, checkpoint.policy(), checkpoint.partSizeBytes(), OptionalLong.of(length), length, body)
        .thenCompose(v -> head.before().thenCompose(d -> checkpoints.askItem(job, r -> new CheckpointJobEntity.StorePart(
                checkpoint.step(), checkpoint.id(), rank, item.key(), head.partStart(),
                new Part(path, v.fileId(), v.version(), v.size(), v.crc32c()), r)))
            .exceptionallyCompose(e -> checkpoints.files().deleteReserved(path)
                .handle((x, y) -> (Item) null)
                .thenCompose(x -> CompletableFuture.<Item>failedFuture(Failures.unwrap(e)))))
        .handle((stored, e) -> {
          if (e == null || Failures.unwrap(e) instanceof ShortPart) {
            head.stored().complete(Done.getInstance());
            return Done.getInstance();
          }
          head.stored().completeExceptionally(Failures.unwrap(e));
          throw e instanceof RuntimeException re ? re : new TfsException(ErrorCode.INTERNAL, e.toString(), e);
        });
  }

  /** After the last part: the rank's done when it said so; the state of every item this stream touched. */
  CompletionStage<List<Item>> finish() {
    CompletionStage<Checkpoint> now = rankDone
        ? checkpoints.rankDone(checkpoint.name(), rank)
        : checkpoints.describe(checkpoint.name());
    return now.thenApply(c -> touched.stream().map(key -> c.item(rank, key).orElseThrow()).toList());
  }

  private static <T> CompletionStage<T> failed(ErrorCode code, String message) {
    return CompletableFuture.failedFuture(new TfsException(code, message));
  }
}
