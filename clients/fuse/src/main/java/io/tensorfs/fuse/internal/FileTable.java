package io.tensorfs.fuse.internal;

import io.tensorfs.fuse.FuseSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The mount's open files: by node path (one {@link OpenFile} per name, shared by its handles) and by FUSE file
 * handle. Thread-safe.
 */
public final class FileTable {
  /** One FUSE file handle: its file and how it was opened. */
  public record Handle(OpenFile file, boolean writable, boolean append) {}

  private final NodeCalls node;
  private final FuseSettings settings;
  private final WindowPool pool;
  private final Path spoolDir;
  private final Map<String, OpenFile> byPath = new ConcurrentHashMap<>();
  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  public FileTable(NodeCalls node, FuseSettings settings, WindowPool pool, Path spoolDir) {
    this.node = node;
    this.settings = settings;
    this.pool = pool;
    this.spoolDir = spoolDir;
  }

  /** The open file of that name, if the mount has it open. */
  public Optional<OpenFile> open(String path) {
    return Optional.ofNullable(byPath.get(path));
  }

  /**
   * A new handle on {@code path}, whose attributes are {@code attrs} (read by the caller) when the mount does not
   * have it open yet; {@code created}: a file the node does not hold yet.
   */
  public synchronized long open(String path, Attrs attrs, boolean created, boolean writable, boolean append) {
    OpenFile file = byPath.get(path);
    if (file == null || created) {
      if (file != null) file.unlinked();
      file = new OpenFile(node, settings, pool, spoolDir, path, attrs, !created);
      if (created) file.created();
      byPath.put(path, file);
    }
    file.retain();
    long fh = nextHandle.getAndIncrement();
    handles.put(fh, new Handle(file, writable, append));
    return fh;
  }

  public Handle handle(long fh) {
    Handle h = handles.get(fh);
    if (h == null) throw new FsError(ErrorCodes.EBADF(), "no handle " + fh);
    return h;
  }

  /** Closes a handle; the last one of a file frees its spool and windows. */
  public void release(long fh) {
    Handle h = handles.remove(fh);
    if (h == null) return;
    boolean last;
    synchronized (this) {
      last = h.file().release();
      if (last) byPath.remove(h.file().path(), h.file());
    }
    if (last) h.file().close();
  }

  /** The name is going from the node: its open file uploads nothing more. The open file, or null when none. */
  public synchronized OpenFile unlinked(String path) {
    OpenFile file = byPath.remove(path);
    if (file == null) return null;
    file.unlinked();
    return file;
  }

  /** The node did not remove the name after all: its open file is the name's again and uploads as before. */
  public synchronized void relinked(String path, OpenFile file) {
    file.relinked();
    byPath.putIfAbsent(path, file);
  }

  /** {@code from} now names nothing and {@code to} what {@code from} named (a file, or a directory and all under it). */
  public synchronized void renamed(String from, String to) {
    OpenFile replaced = byPath.remove(to);
    if (replaced != null) replaced.unlinked();
    OpenFile file = byPath.remove(from);
    if (file != null) {
      file.movedTo(to);
      byPath.put(to, file);
    }
    for (String p : List.copyOf(byPath.keySet())) {
      if (p.startsWith(from + "/")) {
        OpenFile moved = byPath.remove(p);
        String now = to + p.substring(from.length());
        moved.movedTo(now);
        byPath.put(now, moved);
      }
    }
  }

  /** Names of open files directly in {@code dir} (those created and not uploaded yet among them). */
  public List<String> namesIn(String dir) {
    String prefix = dir.endsWith("/") ? dir : dir + "/";
    List<String> names = new ArrayList<>();
    for (String p : byPath.keySet()) {
      if (p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) names.add(p.substring(prefix.length()));
    }
    return names;
  }
}
