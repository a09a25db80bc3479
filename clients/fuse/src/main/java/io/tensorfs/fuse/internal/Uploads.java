package io.tensorfs.fuse.internal;

import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.io.InputStream;

/** How a spool becomes the file's new version on the node: its bytes, and the attributes the mount keeps. Stateless. */
final class Uploads {
  private Uploads() {}

  /**
   * Uploads {@code bytes} as {@code path}'s new version with the mount's mode and owner; {@code mtimeMillis} 0
   * lets the node set the seal time (a file written), else keeps the time set by utimens since the last write.
   */
  static FileInfo write(NodeCalls node, String path, String policy, Attrs attrs, long mtimeMillis, InputStream bytes,
      long sizeBytes) {
    WriteChunk header = WriteChunk.newBuilder().setPath(path).setPolicy(policy).setMode(attrs.mode())
        .setUid(attrs.uid()).setGid(attrs.gid()).setMtimeMillis(mtimeMillis).build();
    return node.write(header, bytes, sizeBytes);
  }
}
