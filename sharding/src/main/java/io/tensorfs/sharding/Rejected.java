package io.tensorfs.sharding;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;

/**
 * The one failure reply of the entities: an expected refusal (not found, conflict, precondition) with
 * its error code. {@link ShardedMetadata} turns it into a {@link TfsException}.
 */
public record Rejected(ErrorCode code, String message)
    implements FileEntity.BeginReply, FileEntity.SealReply, FileEntity.DeleteReply, FileEntity.AttributesReply,
        FileEntity.RenameReply, ChunkEntity.AllocateReply,
        ChunkEntity.CommitReply, DirectoryEntity.AddChildReply, DirectoryEntity.RemoveChildReply,
        DirectoryEntity.ListReply {

  public TfsException toException() {
    return new TfsException(code, message);
  }
}
