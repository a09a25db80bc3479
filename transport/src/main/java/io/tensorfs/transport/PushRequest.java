package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsPath;

/**
 * A replica pushed to a peer: {@code lengthBytes} bytes of {@code chunk}, from offset 0.
 *
 * @param context opaque bytes for the receiving {@link ChunkService} (e.g. the rest of a replication
 *     chain); at most {@link #MAX_CONTEXT_BYTES}
 */
public record PushRequest(ChunkId chunk, TfsPath owner, boolean durable, long lengthBytes, byte[] context) {
  public static final int MAX_CONTEXT_BYTES = 32 * 1024;

  public PushRequest {
    if (chunk == null || owner == null) throw new IllegalArgumentException("chunk and owner are required");
    if (lengthBytes < 0) throw new IllegalArgumentException("negative length " + lengthBytes);
    context = context == null ? new byte[0] : context;
    if (context.length > MAX_CONTEXT_BYTES) {
      throw new IllegalArgumentException("context of " + context.length + " bytes, more than " + MAX_CONTEXT_BYTES);
    }
  }
}
