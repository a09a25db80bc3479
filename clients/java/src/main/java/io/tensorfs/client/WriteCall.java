package io.tensorfs.client;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.Precondition;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One Write call: the path, policy, precondition and attributes first, then the stream's bytes in pieces, sent only while the
 * connection is ready for more (grpc-java's outbound flow control), so a large file is never held in
 * memory. Every method runs on the call's serialized grpc-java executor.
 */
final class WriteCall implements ClientResponseObserver<WriteChunk, FileInfo> {
  private final CompletableFuture<FileInfo> result = new CompletableFuture<>();
  private final WriteChunk header;
  private final InputStream bytes;
  private final int pieceBytes;
  private ClientCallStreamObserver<WriteChunk> requests;
  private boolean headerSent;
  private boolean done;
  private FileInfo reply;

  WriteCall(String path, String policy, Precondition precondition, InputStream bytes, int pieceBytes) {
    this(WriteChunk.newBuilder().setPath(path).setPolicy(policy).setPrecondition(precondition).build(), bytes,
        pieceBytes);
  }

  /** @param header the first message: path, policy, precondition and the new version's attributes, no bytes */
  WriteCall(WriteChunk header, InputStream bytes, int pieceBytes) {
    this.header = header;
    this.bytes = bytes;
    this.pieceBytes = pieceBytes;
  }

  CompletionStage<FileInfo> result() {
    return result;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<WriteChunk> requests) {
    this.requests = requests;
    requests.setOnReadyHandler(this::sendWhileReady);
  }

  private void sendWhileReady() {
    try {
      while (!done && requests.isReady()) {
        if (!headerSent) {
          requests.onNext(header);
          headerSent = true;
          continue;
        }
        // A fresh buffer per piece: the message wraps it and may wait in grpc-java's queue.
        byte[] piece = new byte[pieceBytes];
        int n = bytes.readNBytes(piece, 0, pieceBytes);
        if (n > 0) requests.onNext(WriteChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(piece, 0, n)).build());
        if (n < pieceBytes) {
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

  private void finish() {
    done = true;
    try {
      bytes.close();
    } catch (IOException ignored) {
      // The bytes were all read or the call failed already; nothing depends on the close.
    }
  }

  @Override
  public void onNext(FileInfo value) {
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
