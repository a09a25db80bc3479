package io.tensorfs.sharding.operator;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;

/**
 * Paths that belong to the node, not to plain file writes: a {@value #CHECKPOINTS} segment anywhere in a
 * path holds the part files of checkpoints, written and deleted only by the checkpoint operator, so that
 * no plain PUT or DELETE can break a checkpoint. Such files can be read and listed like any other.
 */
public final class ReservedPaths {
  /** The directory segment under a job that holds its checkpoints' part files. */
  public static final String CHECKPOINTS = ".checkpoints";

  private ReservedPaths() {}

  public static boolean isReserved(TfsPath path) {
    return path.segments().contains(CHECKPOINTS);
  }

  /** The BAD_PATH failure of a plain {@code what} ("write", "delete") of a reserved path. */
  static TfsException refusal(TfsPath path, String what) {
    return new TfsException(ErrorCode.BAD_PATH, "cannot " + what + " " + path + ": paths with a '" + CHECKPOINTS
        + "' segment hold checkpoints; use the checkpoint API");
  }
}
