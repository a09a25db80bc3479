package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.MkdirRequest;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import io.tensorfs.sharding.AttributeChange;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.DirInfo;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.operator.PageToken;
import io.tensorfs.sharding.FileVersion;
import java.util.ArrayList;
import java.util.List;

/** Translation between domain types and the gRPC messages: the only place that knows both. */
public final class Wire {
  private Wire() {}

  public static FileInfo fileInfo(FileVersion v) {
    FileAttributes a = v.attributes();
    return FileInfo.newBuilder()
        .setPath(v.path().toString())
        .setSize(v.size())
        .setVersion(v.version())
        .setPolicy(v.policy().text())
        .setChunkSize(v.chunkSizeBytes())
        .setChunks(v.chunks().size())
        .setCrc32C(v.crc32c())
        .setSealedAtMillis(v.sealedAtMillis())
        .setMode(a.mode())
        .setUid(a.uid())
        .setGid(a.gid())
        .setMtimeMillis(a.mtimeMillis())
        .setContentType(a.contentType())
        .setMd5Hex(a.md5Hex())
        .putAllUser(a.user())
        .build();
  }

  /** A directory's stat: path, mode, owner, mtime and {@code is_dir}. */
  public static FileInfo dirInfo(DirInfo d) {
    FileAttributes a = d.attributes();
    return FileInfo.newBuilder()
        .setPath(d.path().toString())
        .setIsDir(true)
        .setMode(a.mode())
        .setUid(a.uid())
        .setGid(a.gid())
        .setMtimeMillis(a.mtimeMillis())
        .build();
  }

  /** The attributes a Write's first message gives its new version (zeros and blanks: the defaults). */
  public static FileAttributes attributes(WriteChunk first) {
    return new FileAttributes(first.getMode() == 0 ? FileAttributes.FILE_MODE : first.getMode(), first.getUid(),
        first.getGid(), first.getMtimeMillis(), first.getContentType(), first.getMd5Hex(), first.getUserMap());
  }

  /** The attributes of a new directory (zeros: 0755, and now for the mtime). */
  public static FileAttributes dirAttributes(MkdirRequest in) {
    return new FileAttributes(in.getMode() == 0 ? FileAttributes.DIR_MODE : in.getMode(), in.getUid(), in.getGid(),
        in.getMtimeMillis() == 0 ? System.currentTimeMillis() : in.getMtimeMillis(), "", "", java.util.Map.of());
  }

  /** The fields a SetAttributes request sets. */
  public static AttributeChange change(SetAttributesRequest in) {
    AttributeChange c = AttributeChange.none();
    if (in.hasMode()) c = c.withMode(in.getMode());
    if (in.hasUid()) c = c.withUid(in.getUid());
    if (in.hasGid()) c = c.withGid(in.getGid());
    if (in.hasMtimeMillis()) c = c.withMtime(in.getMtimeMillis());
    if (in.hasContentType()) c = c.withContentType(in.getContentType());
    if (in.getReplaceUser()) c = c.withUser(in.getUserMap());
    return c;
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

  /** A page of a listing whose files carry their mtime, version and MD5. */
  public static ListReply listing(Metadata.VersionPage page) {
    ListReply.Builder b = ListReply.newBuilder();
    page.lastName().ifPresent(last -> b.setNextPageToken(PageToken.of(last)));
    for (Metadata.Listed e : page.entries()) {
      ListReply.Entry.Builder entry = ListReply.Entry.newBuilder()
          .setName(e.name())
          .setDirectory(e.type() == DirEntry.Type.DIR);
      e.version().ifPresent(v -> entry.setSize(v.size()).setVersion(v.version())
          .setMtimeMillis(v.attributes().mtimeMillis()).setMd5Hex(v.attributes().md5Hex()));
      b.addEntries(entry);
    }
    return b.build();
  }
}
