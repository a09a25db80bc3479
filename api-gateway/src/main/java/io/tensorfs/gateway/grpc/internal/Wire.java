package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.operator.PageToken;
import io.tensorfs.sharding.FileVersion;
import java.util.ArrayList;
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

  /**
   * A request's preconditions: each tag is {@code *} or a version number ({@code 7}, or {@code "7"} as
   * an HTTP ETag writes it); anything else is BAD_REQUEST.
   */
  public static Precondition precondition(io.tensorfs.gateway.grpc.v1.Precondition in) {
    if (in.getIfMatchCount() == 0 && in.getIfNoneMatchCount() == 0) return Precondition.NONE;
    return new Precondition(tags("if_match", in.getIfMatchList()), tags("if_none_match", in.getIfNoneMatchList()));
  }

  private static List<String> tags(String field, List<String> in) {
    List<String> out = new ArrayList<>(in.size());
    for (String raw : in) {
      String tag = raw.strip();
      if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) tag = tag.substring(1, tag.length() - 1);
      if (tag.equals(Precondition.ANY)) {
        out.add(tag);
        continue;
      }
      try {
        long version = Long.parseLong(tag);
        if (version < 0) throw new NumberFormatException();
        out.add(Long.toString(version));
      } catch (NumberFormatException e) {
        throw new TfsException(ErrorCode.BAD_REQUEST, field + ": '" + raw + "' is not * or a version number");
      }
    }
    return out;
  }

  public static ListReply listing(Metadata.Page page) {
    ListReply.Builder b = ListReply.newBuilder();
    page.lastName().ifPresent(last -> b.setNextPageToken(PageToken.of(last)));
    for (DirEntry e : page.entries()) {
      b.addEntries(ListReply.Entry.newBuilder()
          .setName(e.name())
          .setDirectory(e.type() == DirEntry.Type.DIR)
          .setSize(e.size()));
    }
    return b.build();
  }
}
