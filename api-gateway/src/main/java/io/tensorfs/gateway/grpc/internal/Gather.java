package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.gpu.DeviceCopies;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The bytes of a write's elements in order (pwritev), as a stream of pieces of at most
 * {@code pieceBytes}. Each piece is copied out of the client's memory only when the stream asks for
 * it, so a write holds a few pieces at a time however large it is; GPU pieces come through the
 * submission's staging buffer, one copy at a time.
 */
final class Gather {
  private Gather() {}

  static Source<ByteString, NotUsed> source(List<Memory> sources, DeviceCopies gpus, Staging staging, int pieceBytes) {
    return Source.from(sources).flatMapConcat(m -> m instanceof Memory.Host host
        ? hostPieces(host, pieceBytes)
        : gpuPieces((Memory.Gpu) m, gpus, staging));
  }

  private static Source<ByteString, NotUsed> hostPieces(Memory.Host host, int pieceBytes) {
    List<ByteBuffer> pieces = new ArrayList<>();
    for (ByteBuffer s : host.slices()) {
      for (int pos = 0; pos < s.limit(); pos += pieceBytes) {
        pieces.add(s.slice(pos, Math.min(pieceBytes, s.limit() - pos)));
      }
    }
    return Source.from(pieces).map(ByteString::fromByteBuffer);
  }

  private static Source<ByteString, NotUsed> gpuPieces(Memory.Gpu gpu, DeviceCopies gpus, Staging staging) {
    List<long[]> pieces = new ArrayList<>();
    for (long pos = 0; pos < gpu.length(); pos += staging.capacity()) {
      pieces.add(new long[] {pos, Math.min(staging.capacity(), gpu.length() - pos)});
    }
    return Source.from(pieces).mapAsync(1, p -> {
      ByteBuffer b = staging.buffer().clear().limit((int) p[1]);
      return staging.track(gpus.fromDevice(gpu.buffer().slice(p[0], p[1]), List.of(b)))
          // The device fills [0, p[1]) of the buffer; its position is not a measure of that.
          .thenApply(copied -> ByteString.fromByteBuffer(b.duplicate().position(0).limit((int) p[1])));
    });
  }
}
