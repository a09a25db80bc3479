package io.tensorfs.client;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tensorfs.gateway.grpc.v1.SaveMessage;
import io.tensorfs.gateway.grpc.v1.SaveReply;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One Save call of a rank: the checkpoint and rank first, then each item's bytes in pieces from its
 * offset, sent only while the connection is ready for more (the node takes bytes as fast as its replicas
 * make them durable), then the rank's done when asked. Every method runs on the call's serialized
 * grpc-java executor.
 */
final class SaveCall implements ClientResponseObserver<SaveMessage, SaveReply> {
  private final CompletableFuture<SaveReply> result = new CompletableFuture<>();
  private final String name;
  private final int rank;
  private final List<CheckpointItem> items;
  private final boolean rankDone;
  private final int pieceBytes;
  private ClientCallStreamObserver<SaveMessage> requests;
  private boolean headerSent;
  private int index;
  private long offset = -1;
  private boolean done;
  private SaveReply reply;

  SaveCall(String name, int rank, List<CheckpointItem> items, boolean rankDone, int pieceBytes) {
    this.name = name;
    this.rank = rank;
    this.items = List.copyOf(items);
    this.rankDone = rankDone;
    this.pieceBytes = pieceBytes;
  }

  CompletionStage<SaveReply> result() {
    return result;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<SaveMessage> requests) {
    this.requests = requests;
    requests.setOnReadyHandler(this::sendWhileReady);
  }

  private void sendWhileReady() {
    try {
      while (!done && requests.isReady()) {
        if (!headerSent) {
          requests.onNext(SaveMessage.newBuilder().setName(name).setRank(rank).build());
          headerSent = true;
        } else if (index < items.size()) {
          sendPiece(items.get(index));
        } else {
          if (rankDone) requests.onNext(SaveMessage.newBuilder().setRankDone(true).build());
          finish();
          requests.onCompleted();
        }
      }
    } catch (IOException e) {
      finish();
      result.completeExceptionally(e);
      requests.onError(e);
    }
  }

  /** The item's next piece; its first message gives its size (and may carry no bytes, for an empty item). */
  private void sendPiece(CheckpointItem item) throws IOException {
    boolean first = offset < 0;
    if (first) offset = item.offset();
    byte[] piece = new byte[(int) Math.min(pieceBytes, Math.max(0, item.sizeBytes() - offset))];
    int n = item.bytes().readNBytes(piece, 0, piece.length);
    if (n < piece.length) throw new IOException(item.key() + " ended at offset " + (offset + n) + " of " + item.sizeBytes());
    SaveMessage.Builder m = SaveMessage.newBuilder().setKey(item.key()).setOffset(offset)
        .setData(UnsafeByteOperations.unsafeWrap(piece, 0, n));
    if (first) m.setSize(item.sizeBytes());
    requests.onNext(m.build());
    offset += n;
    if (offset >= item.sizeBytes()) {
      item.bytes().close();
      index++;
      offset = -1;
    }
  }

  private void finish() {
    done = true;
    for (int i = index; i < items.size(); i++) {
      try {
        items.get(i).bytes().close();
      } catch (IOException ignored) {
        // The call is over; nothing depends on the close.
      }
    }
  }

  @Override
  public void onNext(SaveReply value) {
    reply = value;
  }

  @Override
  public void onError(Throwable error) {
    if (!done) finish();
    result.completeExceptionally(ClientErrors.translate(error));
  }

  @Override
  public void onCompleted() {
    result.complete(reply);
  }
}
