package io.tensorfs.fuse.internal;

import io.tensorfs.fuse.FuseSettings;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The FUSE callbacks: each translates a request into calls of {@link NodeCalls} and the mount's {@link FileTable}
 * and answers 0 or {@code -errno}. A FUSE path {@code /a/b} is the node's {@code <root>/a/b}, {@code root} being
 * {@code /<tenant>}. Called on libfuse's worker threads, several at once.
 */
public final class TensorfsFileSystem extends FuseStubFS {
  private static final Logger LOG = LoggerFactory.getLogger(TensorfsFileSystem.class);
  private static final int O_ACCMODE = 03;
  private static final int O_RDONLY = 0;
  private static final int O_TRUNC = 01000;
  private static final int O_APPEND = 02000;
  private static final int BLOCK_BYTES = 4096;
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  private final NodeCalls node;
  private final FileTable files;
  private final String root;
  private final long mountedAtMillis = System.currentTimeMillis();

  public TensorfsFileSystem(NodeCalls node, FileTable files, String root) {
    this.node = node;
    this.files = files;
    this.root = root;
    nullPathOk();
  }

  /**
   * Sets libfuse's {@code flag_nullpath_ok}: calls on a handle whose file was unlinked while open (hard_remove) then
   * reach us with no path, which the handle's calls never need, instead of failing ENOENT inside libfuse. jnr-fuse
   * declares the C bit field as one byte per flag, so the flag's byte holds bit 0 of the C word.
   */
  private void nullPathOk() {
    try {
      java.lang.reflect.Method offset = Class.forName("jnr.ffi.Struct$Member").getDeclaredMethod("offset");
      offset.setAccessible(true);
      long at = (long) offset.invoke(fuseOperations.flag_nullpath_ok);
      Pointer memory = jnr.ffi.Struct.getMemory(fuseOperations);
      memory.putByte(at, (byte) (memory.getByte(at) | 1));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot set libfuse's flag_nullpath_ok through jnr-fuse", e);
    }
  }

  /** The node's path of a FUSE path. */
  String nodePath(String path) {
    if (path.equals("/")) return root.isEmpty() ? "/" : root;
    return root + path;
  }

  private static int answer(String op, String path, IntSupplier body) {
    try {
      return body.getAsInt();
    } catch (FsError e) {
      if (e.errno() == ErrorCodes.EIO()) LOG.warn("{} {}: {}", op, path, e.getMessage());
      return -e.errno();
    } catch (RuntimeException e) {
      LOG.error("{} {} failed", op, path, e);
      return -ErrorCodes.EIO();
    }
  }

  // --- attributes ------------------------------------------------------------------------------------

  /** The attributes of a FUSE path; ENOENT when nothing has that name. */
  Attrs attrs(String path) {
    if (path.equals("/")) return Attrs.directory(mountedAtMillis);
    String p = nodePath(path);
    Optional<OpenFile> open = files.open(p);
    if (open.isPresent()) return open.get().attrs();
    Optional<FileInfo> info = node.stat(p);
    if (info.isPresent()) return Attrs.of(info.get());
    throw new FsError(ErrorCodes.ENOENT(), p);
  }

  static void fill(FileStat stat, Attrs a) {
    stat.st_mode.set((a.dir() ? FileStat.S_IFDIR : FileStat.S_IFREG) | a.mode());
    stat.st_nlink.set(a.dir() ? 2 : 1);
    stat.st_size.set(a.size());
    stat.st_uid.set(a.uid());
    stat.st_gid.set(a.gid());
    stat.st_blksize.set(128 << 10);
    stat.st_blocks.set((a.size() + 511) / 512);
    long sec = Math.floorDiv(a.mtimeMillis(), 1000);
    long nsec = Math.floorMod(a.mtimeMillis(), 1000) * 1_000_000L;
    for (Timespec t : new Timespec[] {stat.st_mtim, stat.st_ctim, stat.st_atim}) {
      t.tv_sec.set(sec);
      t.tv_nsec.set(nsec);
    }
  }

  @Override
  public int getattr(String path, FileStat stat) {
    return answer("getattr", path, () -> {
      fill(stat, attrs(path));
      return 0;
    });
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    return answer("fgetattr", path, () -> {
      fill(stat, files.handle(fi.fh.get()).file().attrs());
      return 0;
    });
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
    return answer("readdir", path, () -> {
      String p = nodePath(path);
      List<ListReply.Entry> entries = node.list(p);
      filter.apply(buf, ".", null, 0);
      filter.apply(buf, "..", null, 0);
      Set<String> seen = new HashSet<>();
      for (ListReply.Entry e : entries) {
        seen.add(e.getName());
        filter.apply(buf, e.getName(), null, 0);
      }
      for (String name : files.namesIn(p)) {
        if (seen.add(name)) filter.apply(buf, name, null, 0);
      }
      return 0;
    });
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    // The node answers no capacity through the client: a large, constant figure, so tools that check free space
    // before writing go ahead; a write past the real limit fails with ENOSPC or EDQUOT at upload.
    stbuf.f_bsize.set(BLOCK_BYTES);
    stbuf.f_frsize.set(BLOCK_BYTES);
    stbuf.f_blocks.set(1L << 32);
    stbuf.f_bfree.set(1L << 31);
    stbuf.f_bavail.set(1L << 31);
    stbuf.f_files.set(1L << 30);
    stbuf.f_ffree.set(1L << 29);
    stbuf.f_favail.set(1L << 29);
    stbuf.f_namemax.set(255);
    return 0;
  }

  // --- open files ------------------------------------------------------------------------------------

  @Override
  public int open(String path, FuseFileInfo fi) {
    return answer("open", path, () -> {
      int flags = fi.flags.get();
      boolean writable = (flags & O_ACCMODE) != O_RDONLY;
      String p = nodePath(path);
      Optional<OpenFile> already = files.open(p);
      Attrs a = already.map(OpenFile::attrs).orElseGet(() -> attrs(path));
      if (a.dir()) {
        if (writable) throw new FsError(ErrorCodes.EISDIR(), p);
      }
      long fh = files.open(p, a, false, writable, (flags & O_APPEND) != 0);
      try {
        if (writable) files.handle(fh).file().openForWriting((flags & O_TRUNC) != 0);
      } catch (RuntimeException e) {
        files.release(fh);
        throw e;
      }
      fi.fh.set(fh);
      return 0;
    });
  }

  @Override
  public int create(String path, @mode_t long mode, FuseFileInfo fi) {
    return answer("create", path, () -> {
      String p = nodePath(path);
      int flags = fi.flags.get();
      Attrs a = Attrs.newFile((int) mode, (int) getContext().uid.get(), (int) getContext().gid.get(),
          System.currentTimeMillis(), "");
      long fh = files.open(p, a, true, true, (flags & O_APPEND) != 0);
      fi.fh.set(fh);
      return 0;
    });
  }

  @Override
  public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return answer("read", path, () -> files.handle(fi.fh.get()).file().read(buf, offset, (int) size));
  }

  @Override
  public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return answer("write", path, () -> {
      FileTable.Handle h = files.handle(fi.fh.get());
      if (!h.writable()) throw new FsError(ErrorCodes.EBADF(), "opened read-only");
      return h.file().write(buf, offset, (int) size, h.append());
    });
  }

  @Override
  public int flush(String path, FuseFileInfo fi) {
    return answer("flush", path, () -> {
      files.handle(fi.fh.get()).file().upload();
      return 0;
    });
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return answer("fsync", path, () -> {
      files.handle(fi.fh.get()).file().upload();
      return 0;
    });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return answer("release", path, () -> {
      long fh = fi.fh.get();
      try {
        files.handle(fh).file().upload();
      } finally {
        files.release(fh);
      }
      return 0;
    });
  }

  @Override
  public int truncate(String path, @off_t long size) {
    return answer("truncate", path, () -> {
      String p = nodePath(path);
      Optional<OpenFile> open = files.open(p);
      if (open.isPresent()) {
        open.get().truncate(size);
        return 0;
      }
      Attrs a = attrs(path);
      if (a.dir()) throw new FsError(ErrorCodes.EISDIR(), p);
      long fh = files.open(p, a, false, true, false);
      try {
        OpenFile f = files.handle(fh).file();
        f.truncate(size);
        f.upload();
      } finally {
        files.release(fh);
      }
      return 0;
    });
  }

  @Override
  public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
    return answer("ftruncate", path, () -> {
      FileTable.Handle h = files.handle(fi.fh.get());
      if (!h.writable()) throw new FsError(ErrorCodes.EBADF(), "opened read-only");
      h.file().truncate(size);
      return 0;
    });
  }

  @Override
  public int unlink(String path) {
    return answer("unlink", path, () -> {
      String p = nodePath(path);
      OpenFile open = files.unlinked(p);
      try {
        node.delete(p);
      } catch (FsError e) {
        if (open != null && e.errno() == ErrorCodes.ENOENT()) return 0;
        // The name is still on the node (the delete failed or timed out): its open file must upload its writes.
        if (open != null) files.relinked(p, open);
        throw e;
      }
      return 0;
    });
  }

  @Override
  public int access(String path, int mask) {
    return answer("access", path, () -> {
      attrs(path);
      return 0;
    });
  }
  // --- names and attributes (the node's metadata calls) ---------------------------------------------

  @Override
  public int mkdir(String path, @mode_t long mode) {
    return answer("mkdir", path, () -> {
      node.mkdir(nodePath(path), (int) mode & 07777, (int) getContext().uid.get(), (int) getContext().gid.get());
      return 0;
    });
  }

  @Override
  public int rmdir(String path) {
    return answer("rmdir", path, () -> {
      node.rmdir(nodePath(path));
      return 0;
    });
  }

  /** A file: atomic on the node (the target becomes the source's version); a directory: entry by entry. */
  @Override
  public int rename(String oldpath, String newpath) {
    return answer("rename", oldpath, () -> {
      String from = nodePath(oldpath);
      String to = nodePath(newpath);
      Optional<OpenFile> open = files.open(from);
      if (open.isPresent()) open.get().upload();
      node.rename(from, to);
      files.renamed(from, to);
      return 0;
    });
  }

  @Override
  public int chmod(String path, @mode_t long mode) {
    return answer("chmod", path, () -> {
      int bits = (int) mode & 07777;
      change(path, a -> a.withMode(bits), SetAttributesRequest.newBuilder().setMode(bits));
      return 0;
    });
  }

  @Override
  public int chown(String path, @uid_t long uid, @gid_t long gid) {
    return answer("chown", path, () -> {
      boolean keepUid = uid == -1 || uid == 0xFFFF_FFFFL;
      boolean keepGid = gid == -1 || gid == 0xFFFF_FFFFL;
      SetAttributesRequest.Builder request = SetAttributesRequest.newBuilder();
      if (!keepUid) request.setUid((int) uid);
      if (!keepGid) request.setGid((int) gid);
      change(path, a -> a.withOwner(keepUid ? a.uid() : (int) uid, keepGid ? a.gid() : (int) gid), request);
      return 0;
    });
  }

  @Override
  public int utimens(String path, Timespec[] timespec) {
    return answer("utimens", path, () -> {
      Timespec m = timespec[1];
      long nsec = m.tv_nsec.longValue();
      if (nsec == UTIME_OMIT) return 0;
      long millis = nsec == UTIME_NOW ? System.currentTimeMillis() : m.tv_sec.get() * 1000 + nsec / 1_000_000;
      change(path, a -> a.withMtime(millis), SetAttributesRequest.newBuilder().setMtimeMillis(millis));
      return 0;
    });
  }

  /** An attribute change: kept for the next upload of a file with changes not uploaded, else sent to the node now. */
  private void change(String path, java.util.function.UnaryOperator<Attrs> local, SetAttributesRequest.Builder request) {
    String p = nodePath(path);
    Optional<OpenFile> open = files.open(p);
    if (open.isPresent() && open.get().attrs(local)) return;
    node.setAttributes(request.setPath(p).build());
  }
}
