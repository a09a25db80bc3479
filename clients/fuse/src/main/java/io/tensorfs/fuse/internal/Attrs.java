package io.tensorfs.fuse.internal;

import io.tensorfs.gateway.grpc.v1.FileInfo;

/**
 * What getattr answers for one name: a directory or a file, its size in bytes, POSIX mode bits (07777), owner, and
 * modification time in milliseconds since the epoch. Immutable.
 */
public record Attrs(boolean dir, long size, int mode, int uid, int gid, long mtimeMillis, String policy) {
  /** Mode bits of a directory the node knows nothing more about. */
  public static final int DIR_MODE = 0755;
  /** Mode bits of a file the node knows nothing more about. */
  public static final int FILE_MODE = 0644;

  /** A directory with default attributes. */
  public static Attrs directory(long mtimeMillis) {
    return new Attrs(true, 0, DIR_MODE, 0, 0, mtimeMillis, "");
  }

  /** A new, empty file. */
  public static Attrs newFile(int mode, int uid, int gid, long nowMillis, String policy) {
    return new Attrs(false, 0, mode & 07777, uid, gid, nowMillis, policy);
  }

  /** The attributes the node answered in a stat. */
  public static Attrs of(FileInfo info) {
    int mode = info.getMode() != 0 ? info.getMode() & 07777 : info.getIsDir() ? DIR_MODE : FILE_MODE;
    long mtime = info.getMtimeMillis() != 0 ? info.getMtimeMillis() : info.getSealedAtMillis();
    return new Attrs(info.getIsDir(), info.getIsDir() ? 0 : info.getSize(), mode, info.getUid(), info.getGid(), mtime,
        info.getPolicy());
  }

  public Attrs withSize(long sizeBytes) {
    return new Attrs(dir, sizeBytes, mode, uid, gid, mtimeMillis, policy);
  }

  public Attrs withMode(int newMode) {
    return new Attrs(dir, size, newMode & 07777, uid, gid, mtimeMillis, policy);
  }

  public Attrs withOwner(int newUid, int newGid) {
    return new Attrs(dir, size, mode, newUid, newGid, mtimeMillis, policy);
  }

  public Attrs withMtime(long millis) {
    return new Attrs(dir, size, mode, uid, gid, millis, policy);
  }
}
