package io.tensorfs.fuse.internal;

import io.tensorfs.fuse.FuseSettings;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * One file while the mount has it open, shared by every handle of that name: its attributes, its read windows, and
 * (once opened for writing) its {@link Spool}, uploaded as a new version when flushed, released or synced while it
 * holds changes. Follows its file through a rename; after an unlink it stays readable and writable by its handles
 * and uploads nothing. Thread-safe: one lock per file (reads from the node's windows run outside it).
 */
public final class OpenFile {
  /** The largest file whose bytes an unlink copies for the handles still open on it. */
  static final long KEEP_UNLINKED_BYTES = 256L << 20;

  private final NodeCalls node;
  private final FuseSettings settings;
  private final WindowPool pool;
  private final Path spoolDir;
  private String path;
  private Attrs attrs;
  private boolean onNode;
  private int refs;
  private Spool spool;
  private boolean dirty;
  private boolean unlinked;
  private ReadAhead readAhead;
  /** The modification time utimens set since the last write, kept by the next upload; 0: the seal time. */
  private long pinnedMtimeMillis;

  OpenFile(NodeCalls node, FuseSettings settings, WindowPool pool, Path spoolDir, String path, Attrs attrs, boolean onNode) {
    this.node = node;
    this.settings = settings;
    this.pool = pool;
    this.spoolDir = spoolDir;
    this.path = path;
    this.attrs = attrs;
    this.onNode = onNode;
  }

  synchronized void retain() {
    refs++;
  }

  /** Drops one reference; true when it was the last. */
  synchronized boolean release() {
    return --refs == 0;
  }

  public synchronized String path() {
    return path;
  }

  synchronized void movedTo(String newPath) {
    path = newPath;
    if (readAhead != null) readAhead.close();
    readAhead = null;
  }

  /**
   * The name is gone: nothing more is uploaded. Handles still open keep reading and writing the bytes: a file not
   * spooled yet is copied into a spool first, up to {@code KEEP_UNLINKED_BYTES} (reads of a larger one then fail).
   */
  synchronized void unlinked() {
    if (spool == null && onNode && attrs.size() <= KEEP_UNLINKED_BYTES) {
      try {
        ensureSpool(true);
      } catch (FsError e) {
        // The node is gone or the file was already: its handles read what the windows hold, then fail.
      }
    }
    unlinked = true;
  }

  /** Undoes {@link #unlinked()} when the node kept the name: the writes of its handles upload again. */
  synchronized void relinked() {
    unlinked = false;
  }

  /** Its attributes now: the spool's size while spooled. */
  public synchronized Attrs attrs() {
    return spool != null ? attrs.withSize(spool.size()) : attrs;
  }

  /**
   * Changes the attributes kept here (chmod, chown, utimens on an open file); true when the file holds changes not
   * uploaded yet (the next upload carries them), false when the node must be told now.
   */
  public synchronized boolean attrs(java.util.function.UnaryOperator<Attrs> change) {
    Attrs before = attrs;
    attrs = change.apply(attrs);
    if (attrs.mtimeMillis() != before.mtimeMillis()) pinnedMtimeMillis = attrs.mtimeMillis();
    return dirty && !unlinked;
  }

  /** A file just created: an empty spool that uploads at the next flush even if nothing is written. */
  synchronized void created() {
    ensureSpool(false);
    dirty = true;
  }

  /** Ready for writes through a handle: the spool, with the old bytes unless {@code truncate}. */
  public synchronized void openForWriting(boolean truncate) {
    ensureSpool(!truncate);
    if (truncate && spool.size() > 0 || truncate && onNode && attrs.size() > 0) {
      spool.truncate(0);
      dirty = true;
    }
  }

  private void ensureSpool(boolean copyOld) {
    if (spool != null) return;
    Spool s = Spool.create(spoolDir);
    try {
      if (copyOld && onNode && attrs.size() > 0) s.copyFrom(node, path, attrs.size());
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    spool = s;
    if (readAhead != null) readAhead.close();
    readAhead = null;
  }

  /** Reads up to {@code size} bytes at {@code offset}: from the spool when spooled, else the node's windows. */
  public int read(Pointer into, long offset, int size) {
    ReadAhead windows;
    long sizeBytes;
    synchronized (this) {
      if (spool != null) return spool.read(into, offset, size);
      if (readAhead == null) {
        readAhead = new ReadAhead(node, pool, path, settings.windowsPerFile(), settings.uploadTimeout(pool.windowBytes()));
      }
      windows = readAhead;
      sizeBytes = attrs.size();
    }
    return windows.read(into, offset, size, sizeBytes);
  }

  /** Writes {@code size} bytes at {@code offset} (the end when {@code append}) into the spool. */
  public synchronized int write(Pointer from, long offset, int size, boolean append) {
    if (spool == null) throw new FsError(ru.serce.jnrfuse.ErrorCodes.EBADF(), "not open for writing");
    dirty = true;
    pinnedMtimeMillis = 0;
    attrs = attrs.withMtime(System.currentTimeMillis());
    return spool.write(from, append ? spool.size() : offset, size);
  }

  /** Cuts or extends the file to {@code sizeBytes}; uploaded at the next flush. */
  public synchronized void truncate(long sizeBytes) {
    if (spool == null) {
      Spool s = Spool.create(spoolDir);
      try {
        if (onNode && sizeBytes > 0) s.copyFrom(node, path, Math.min(sizeBytes, attrs.size()));
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
      spool = s;
      if (readAhead != null) readAhead.close();
      readAhead = null;
    }
    spool.truncate(sizeBytes);
    dirty = true;
    pinnedMtimeMillis = 0;
    attrs = attrs.withMtime(System.currentTimeMillis());
  }

  /** Whether there are changes not yet uploaded. */
  public synchronized boolean dirty() {
    return dirty && !unlinked;
  }

  /** Uploads the spool as the file's new version when it holds changes (close-to-open: at flush and fsync). */
  public synchronized void upload() {
    if (!dirty || unlinked || spool == null) return;
    long size = spool.size();
    String policy = attrs.policy().isEmpty() ? settings.policy() : attrs.policy();
    FileInfo info = Uploads.write(node, path, policy, attrs, pinnedMtimeMillis, spool.stream(), size);
    attrs = Attrs.of(info).withSize(info.getSize());
    onNode = true;
    dirty = false;
  }

  /** Frees the spool and the read windows. */
  synchronized void close() {
    if (spool != null) spool.close();
    spool = null;
    if (readAhead != null) readAhead.close();
    readAhead = null;
  }
}
