package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;

/**
 * What the receiver of a push answers once it stored the replica: its length and CRC32C as the
 * receiver computed them, and opaque bytes for the pusher (e.g. the chain's acknowledgements).
 */
public record PushAck(ChunkId chunk, long lengthBytes, int crc32c, byte[] context) {
  public PushAck {
    context = context == null ? new byte[0] : context;
    if (context.length > PushRequest.MAX_CONTEXT_BYTES) {
      throw new IllegalArgumentException("context of " + context.length + " bytes, more than " + PushRequest.MAX_CONTEXT_BYTES);
    }
  }
}
