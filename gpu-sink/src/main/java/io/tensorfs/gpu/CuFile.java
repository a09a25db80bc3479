package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * cuFile (GPUDirect Storage) through jnr-ffi: the library loaded, the driver session open, and the calls
 * that read files into GPU memory. Without nvidia-fs the library works in compatibility mode (POSIX reads
 * staged through host memory); {@link #mode()} says which. All calls block: make them on a blocking
 * dispatcher or a dedicated thread, with the GPU of the buffers current on that thread. Thread safe.
 */
public final class CuFile implements AutoCloseable {
  /** Where cuFile is usually installed, besides the loader's own search path. */
  private static final List<String> SEARCH_PATHS = List.of("/usr/local/cuda/lib64",
      "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu");
  private static final List<String> NAMES = List.of("cufile", "libcufile.so.0", "libcufile.so.1");

  /** CUfileDescr_t on x86-64: int type at 0, the fd (a union with a pointer) at 8, fs_ops at 16. */
  private static final int DESCR_BYTES = 24;
  private static final int DESCR_TYPE = 0;
  private static final int DESCR_FD = 8;
  private static final int DESCR_FS_OPS = 16;
  private static final int HANDLE_TYPE_OPAQUE_FD = 1;
  /** CUfileDrvProps_t is 56 bytes on x86-64 today; room for fields a newer library may add. */
  private static final int PROPS_BYTES = 512;
  private static final int PROPS_NVFS_MAJOR = 0;
  private static final int PROPS_NVFS_MINOR = 4;
  private static final int PROPS_CONTROL_FLAGS = 28;
  private static final int CONTROL_ALLOW_COMPAT_MODE = 1 << 1;
  private static final int CUFILE_BASE_ERR = 5000;

  /**
   * The functions of libcufile used here. CUfileError_t, a struct of two ints ({@code err}, {@code cu_err}),
   * is returned by value, which the x86-64 System V ABI puts in one 64-bit register: these methods return
   * it as a long, {@code err} in the low 32 bits ({@link Status#of}). Pointers to device memory and cuFile
   * handles are plain 64-bit addresses.
   */
  public interface Library {
    long cuFileDriverOpen();

    long cuFileDriverClose_v2();

    long cuFileDriverClose();

    long cuFileDriverGetProperties(Pointer props);

    long cuFileHandleRegister(Pointer handleOut, Pointer descr);

    void cuFileHandleDeregister(long handle);

    long cuFileBufRegister(long deviceBase, long bytes, int flags);

    long cuFileBufDeregister(long deviceBase);

    @SaveError
    long cuFileRead(long handle, long deviceBase, long bytes, long fileOffset, long deviceOffset);

    @SaveError
    long cuFileWrite(long handle, long deviceBase, long bytes, long fileOffset, long deviceOffset);
  }

  /** A CUfileError_t: {@code err} is a cuFile code (0 = success), {@code cuErr} the CUDA driver's when err is 5011. */
  public record Status(int err, int cuErr) {
    public static Status of(long raw) {
      return new Status((int) raw, (int) (raw >>> 32));
    }

    public boolean ok() {
      return err == 0;
    }

    @Override
    public String toString() {
      return ok() ? "CU_FILE_SUCCESS" : describeError(err) + (cuErr != 0 ? " (CUDA driver error " + cuErr + ")" : "");
    }
  }

  /** What a look for cuFile found: whether it can be used, and in which mode, or why not. */
  public record Probe(boolean available, String library, String mode, String description) {}

  private final Library lib;
  private final Runtime runtime;
  private final String library;
  private final String mode;
  private volatile boolean closed;

  private CuFile(Library lib, String library, String mode) {
    this.lib = lib;
    this.runtime = Runtime.getRuntime(lib);
    this.library = library;
    this.mode = mode;
  }

  /**
   * Loads libcufile ({@code explicitPath}, or searched for when empty) and opens the driver session.
   * Throws TfsException(UNAVAILABLE) with the reason when either fails.
   */
  public static CuFile open(String explicitPath) {
    Loaded loaded = load(explicitPath);
    Status status;
    try {
      status = Status.of(loaded.lib().cuFileDriverOpen());
    } catch (LinkageError e) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "cuFileDriverOpen did not link: " + e.getMessage());
    }
    if (!status.ok()) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "cuFileDriverOpen failed: " + status);
    }
    return new CuFile(loaded.lib(), loaded.name(), readMode(loaded.lib()));
  }

  /** Opens and closes cuFile once to say whether it can be used. Never throws. */
  public static Probe probe(String explicitPath) {
    try (CuFile c = open(explicitPath)) {
      return new Probe(true, c.library, c.mode, "cuFile " + c.library + ", mode " + c.mode);
    } catch (TfsException e) {
      return new Probe(false, "", "unknown", e.getMessage());
    } catch (LinkageError | RuntimeException e) {
      return new Probe(false, "", "unknown", "cuFile failed: " + e);
    }
  }

  /** {@link #probe(String)} with the library searched for. */
  public static Probe probe() {
    return probe("");
  }

  /** "gds (nvidia-fs loaded)", "compatibility (no nvidia-fs)" or "unknown (...)". */
  public String mode() {
    return mode;
  }

  public String library() {
    return library;
  }

  public Library lib() {
    return lib;
  }

  /** Registers an open fd with cuFile; returns the cuFile handle. */
  public long registerHandle(int fd) {
    Pointer descr = Memory.allocateDirect(runtime, DESCR_BYTES, true);
    descr.putInt(DESCR_TYPE, HANDLE_TYPE_OPAQUE_FD);
    descr.putInt(DESCR_FD, fd);
    descr.putAddress(DESCR_FS_OPS, 0L);
    Pointer handle = Memory.allocateDirect(runtime, 8, true);
    Status s = Status.of(lib.cuFileHandleRegister(handle, descr));
    if (!s.ok()) throw new TfsException(ErrorCode.IO_ERROR, "cuFileHandleRegister failed: " + s);
    return handle.getLong(0);
  }

  public void deregisterHandle(long handle) {
    lib.cuFileHandleDeregister(handle);
  }

  /** Registers device memory for direct transfers; optional, costly: once per buffer, off the data path. */
  public Status registerBuffer(long deviceBase, long bytes) {
    return Status.of(lib.cuFileBufRegister(deviceBase, bytes, 0));
  }

  public Status deregisterBuffer(long deviceBase) {
    return Status.of(lib.cuFileBufDeregister(deviceBase));
  }

  /**
   * One cuFileRead: up to {@code bytes} of the file at {@code fileOffset} into {@code deviceBase+deviceOffset}.
   * Returns the bytes read (fewer at the end of the file); throws TfsException(IO_ERROR) on failure.
   */
  public long read(long handle, long deviceBase, long bytes, long fileOffset, long deviceOffset) {
    long n = lib.cuFileRead(handle, deviceBase, bytes, fileOffset, deviceOffset);
    if (n < 0) throw new TfsException(ErrorCode.IO_ERROR, "cuFileRead failed: " + ioError(n));
    return n;
  }

  /** One cuFileWrite: the reverse of {@link #read}. */
  public long write(long handle, long deviceBase, long bytes, long fileOffset, long deviceOffset) {
    long n = lib.cuFileWrite(handle, deviceBase, bytes, fileOffset, deviceOffset);
    if (n < 0) throw new TfsException(ErrorCode.IO_ERROR, "cuFileWrite failed: " + ioError(n));
    return n;
  }

  /** cuFileRead/Write return -1 with errno set for POSIX errors, minus a cuFile code for their own. */
  private String ioError(long n) {
    if (-n > CUFILE_BASE_ERR) return describeError((int) -n);
    int errno = runtime.getLastError();
    return "errno " + errno + " (" + io.tensorfs.gpu.internal.LibC.get().strerror(errno) + ")";
  }

  /** Closes the driver session. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    try {
      lib.cuFileDriverClose_v2();
    } catch (LinkageError e) {
      lib.cuFileDriverClose();
    }
  }

  private record Loaded(Library lib, String name) {}

  private static Loaded load(String explicitPath) {
    List<String> names = explicitPath == null || explicitPath.isBlank() ? NAMES : List.of(explicitPath.trim());
    List<String> failures = new ArrayList<>();
    for (String name : names) {
      try {
        LibraryLoader<Library> loader = LibraryLoader.create(Library.class).failImmediately();
        SEARCH_PATHS.forEach(loader::search);
        return new Loaded(loader.load(name), name);
      } catch (LinkageError e) {
        failures.add(name);
      }
    }
    throw new TfsException(ErrorCode.UNAVAILABLE, "libcufile not found (tried " + String.join(", ", failures)
        + " in the loader's path and " + String.join(", ", SEARCH_PATHS) + ")");
  }

  private static String readMode(Library lib) {
    boolean nvfsLoaded = Files.exists(Path.of("/proc/driver/nvidia-fs"));
    Pointer props = Memory.allocateDirect(Runtime.getRuntime(lib), PROPS_BYTES, true);
    Status s;
    try {
      s = Status.of(lib.cuFileDriverGetProperties(props));
    } catch (LinkageError e) {
      return nvfsLoaded ? "gds (nvidia-fs loaded)" : "unknown (no nvidia-fs; cuFileDriverGetProperties missing)";
    }
    if (nvfsLoaded) {
      return "gds (nvidia-fs loaded" + (s.ok() ? ", version " + props.getInt(PROPS_NVFS_MAJOR) + "."
          + props.getInt(PROPS_NVFS_MINOR) : "") + ")";
    }
    if (!s.ok()) return "unknown (no nvidia-fs; cuFileDriverGetProperties: " + s + ")";
    boolean compat = (props.getInt(PROPS_CONTROL_FLAGS) & CONTROL_ALLOW_COMPAT_MODE) != 0;
    return compat ? "compatibility (no nvidia-fs: reads staged through host memory)"
        : "unknown (no nvidia-fs, and compatibility mode is not allowed)";
  }

  /** The cuFile codes (CUfileOpError, above 5000) in words, after the GDS API reference. */
  private static final Map<Integer, String> ERRORS = Map.ofEntries(
      Map.entry(5001, "nvidia-fs driver not loaded"),
      Map.entry(5002, "invalid property"),
      Map.entry(5003, "property out of range"),
      Map.entry(5004, "nvidia-fs driver version mismatch"),
      Map.entry(5005, "nvidia-fs driver version unreadable"),
      Map.entry(5006, "driver shutting down"),
      Map.entry(5007, "GDS not supported on this platform"),
      Map.entry(5008, "GDS not supported on this file"),
      Map.entry(5009, "GDS not supported on this GPU"),
      Map.entry(5010, "nvidia-fs ioctl failed"),
      Map.entry(5011, "CUDA driver API error"),
      Map.entry(5012, "invalid device pointer"),
      Map.entry(5013, "invalid pointer memory type"),
      Map.entry(5014, "pointer range beyond the allocation"),
      Map.entry(5015, "CUDA context mismatch"),
      Map.entry(5016, "beyond the maximum pinned memory size"),
      Map.entry(5017, "beyond the mapped size"),
      Map.entry(5018, "unsupported file type"),
      Map.entry(5019, "unsupported file open flags"),
      Map.entry(5020, "fd not opened with O_DIRECT"),
      Map.entry(5022, "invalid API arguments"),
      Map.entry(5023, "device pointer already registered"),
      Map.entry(5024, "device pointer lookup failed"),
      Map.entry(5025, "driver or file access error"),
      Map.entry(5026, "driver already open"),
      Map.entry(5027, "file descriptor not registered"),
      Map.entry(5028, "file descriptor already registered"),
      Map.entry(5029, "GPU not found"),
      Map.entry(5030, "internal error"),
      Map.entry(5031, "no new file descriptor"),
      Map.entry(5033, "nvidia-fs initialization error"),
      Map.entry(5034, "GDS disabled by config for this file"),
      Map.entry(5036, "pinning GPU memory failed"),
      Map.entry(5043, "out of memory"),
      Map.entry(5044, "I/O error"),
      Map.entry(5045, "buffer registration error"),
      Map.entry(5049, "compatibility mode is off"));

  static String describeError(int err) {
    String words = ERRORS.get(err);
    return "cuFile error " + err + (words != null ? " (" + words + ")" : "");
  }
}
