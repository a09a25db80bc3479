package io.tensorfs.sharding.operator;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;

/**
 * A cache hint on a file or a directory tree: {@code willneed} warms every chunk on a node that has it
 * on disk, {@code dontneed} drops it from every node's cache, {@code pin} and {@code unpin} keep it from
 * eviction on every node or let it go.
 */
public enum HintOp {
  WILLNEED, DONTNEED, PIN, UNPIN;

  /** The op named {@code text} (any case); BAD_REQUEST for another name. */
  public static HintOp parse(String text) {
    for (HintOp op : values()) if (op.name().equalsIgnoreCase(text == null ? "" : text)) return op;
    throw new TfsException(ErrorCode.BAD_REQUEST, "op must be willneed, dontneed, pin or unpin, not '" + text + "'");
  }

  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
