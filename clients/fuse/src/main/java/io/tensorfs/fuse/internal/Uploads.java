package io.tensorfs.fuse.internal;

import io.tensorfs.gateway.grpc.v1.FileInfo;
import java.io.InputStream;

/** How a spool becomes the file's new version on the node: its bytes, and the attributes the mount keeps. Stateless. */
final class Uploads {
  private Uploads() {}

  static FileInfo write(NodeCalls node, String path, String policy, Attrs attrs, InputStream bytes, long sizeBytes) {
    return node.write(path, policy, bytes, sizeBytes);
  }
}
