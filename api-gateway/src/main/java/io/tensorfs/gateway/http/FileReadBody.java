package io.tensorfs.gateway.http;

import io.tensorfs.gateway.front.BodyPiece;
import io.tensorfs.gateway.front.BodySource;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.ReadPiece;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * The front door's body of one file read: its pieces, each the cache pages of one chunk, handed out without a
 * copy. Owned by the connection thread that writes it (see {@link BodySource}).
 */
public record FileReadBody(FileRead read) implements BodySource {
  @Override
  public CompletionStage<BodyPiece> next() {
    return read.next().thenApply(piece -> piece == null ? null : new Piece(piece));
  }

  @Override
  public void close() {
    read.close();
  }

  private record Piece(ReadPiece piece) implements BodyPiece {
    @Override
    public ByteBuffer[] buffers() {
      return piece.buffers().toArray(ByteBuffer[]::new);
    }

    @Override
    public void release() {
      piece.release();
    }
  }
}
