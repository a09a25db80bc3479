package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import java.util.List;

/** Translation between domain types and the gRPC messages: the only place that knows both. */
public final class Wire {
  private Wire() {}

  public static FileInfo fileInfo(FileVersion v) {
    return FileInfo.newBuilder()
        .setPath(v.path().toString())
        .setSize(v.size())
        .setVersion(v.version())
        .setPolicy(v.policy().text())
        .setChunkSize(v.chunkSizeBytes())
        .setChunks(v.chunks().size())
        .setCrc32C(v.crc32c())
        .setSealedAtMillis(v.sealedAtMillis())
        .build();
  }

  public static ListReply listing(List<DirEntry> entries) {
    ListReply.Builder b = ListReply.newBuilder();
    for (DirEntry e : entries) {
      b.addEntries(ListReply.Entry.newBuilder()
          .setName(e.name())
          .setDirectory(e.type() == DirEntry.Type.DIR)
          .setSize(e.size()));
    }
    return b.build();
  }
}
