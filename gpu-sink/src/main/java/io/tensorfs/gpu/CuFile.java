package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>The driver session is opened once per library and process and kept open until the process ends:
 * {@link #open} hands out that one session, {@link #close()} releases nothing. libcufile keeps process-wide
 * state (its configuration, read once when the driver opens; registered handles and buffers) and does not
 * promise that a session closed with cuFileDriverClose opens cleanly again in the same process, so a probe
 * that opened and closed it must not leave the next user with a half torn-down library.
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
  /** CUfileFileHandleType: CU_FILE_HANDLE_TYPE_OPAQUE_FD (a Linux fd); 2 is a Windows handle, 3 a user-space FS. */
  static final int HANDLE_TYPE_OPAQUE_FD = 1;
  /** CUFileBoolConfigParameter_t values for cuFileSetParameterBool (GDS 1.14 and later). */
  static final int PARAM_ALLOW_COMPAT_MODE = 1;
  static final int PARAM_FORCE_COMPAT_MODE = 2;
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

    @SaveError
    long cuFileHandleRegister(Pointer handleOut, Pointer descr);

    /** Only before the driver opens; missing before GDS 1.14 (CUDA 12.4). */
    long cuFileSetParameterBool(int param, int value);

    /** 1000 * major + 10 * minor of the library; missing in old libraries. */
    long cuFileGetVersion(Pointer version);

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

    /** Both fields as the library returned them, for a report: {@code err=5027 cu_err=0}. */
    public String fields() {
      return "err=" + err + " cu_err=" + cuErr;
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

  /** The open sessions of this process, by library name as asked for. */
  private static final Map<String, CuFile> SESSIONS = new ConcurrentHashMap<>();

  private final Library lib;
  private final Runtime runtime;
  private final String library;
  private final String mode;
  private final String setup;

  private CuFile(Library lib, String library, String mode, String setup) {
    this.lib = lib;
    this.runtime = Runtime.getRuntime(lib);
    this.library = library;
    this.mode = mode;
    this.setup = setup;
  }

  /**
   * The process's cuFile session of libcufile ({@code explicitPath}, or searched for when empty): loaded and
   * the driver opened on the first call, the same session after. Throws TfsException(UNAVAILABLE) with the
   * reason when either fails (and tries again on the next call).
   */
  public static CuFile open(String explicitPath) {
    return open(explicitPath, false);
  }

  /**
   * {@link #open(String)}; with {@code forceCompat}, the first open of the process first sets the
   * compatibility-mode parameters (allow and force: POSIX reads staged through host memory, no nvidia-fs
   * or file system checks), which libcufile takes only before its driver opens. {@link #setup()} says
   * whether they were taken.
   */
  public static synchronized CuFile open(String explicitPath, boolean forceCompat) {
    String key = explicitPath == null ? "" : explicitPath.trim();
    CuFile open = SESSIONS.get(key);
    if (open != null) return open;
    Loaded loaded = load(key);
    String setup = forceCompat ? forceCompat(loaded.lib()) : "library defaults";
    Status status;
    try {
      status = Status.of(loaded.lib().cuFileDriverOpen());
    } catch (LinkageError e) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "cuFileDriverOpen did not link: " + e.getMessage());
    }
    if (!status.ok()) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "cuFileDriverOpen failed: " + status + " (" + setup + ")");
    }
    CuFile session = new CuFile(loaded.lib(), loaded.name(), readMode(loaded.lib()), setup + ", " + version(loaded.lib()));
    SESSIONS.put(key, session);
    return session;
  }

  private static String forceCompat(Library lib) {
    try {
      Status allow = Status.of(lib.cuFileSetParameterBool(PARAM_ALLOW_COMPAT_MODE, 1));
      Status force = Status.of(lib.cuFileSetParameterBool(PARAM_FORCE_COMPAT_MODE, 1));
      return "cuFileSetParameterBool allow_compat_mode: " + allow + ", force_compat_mode: " + force;
    } catch (LinkageError e) {
      return "cuFileSetParameterBool missing (library older than GDS 1.14): compatibility not forced";
    }
  }

  private static String version(Library lib) {
    try {
      Pointer v = Memory.allocateDirect(Runtime.getRuntime(lib), 4, true);
      Status s = Status.of(lib.cuFileGetVersion(v));
      if (!s.ok()) return "cuFileGetVersion: " + s;
      int n = v.getInt(0);
      return "libcufile version " + n / 1000 + "." + n % 1000 / 10;
    } catch (LinkageError e) {
      return "no cuFileGetVersion";
    }
  }

  /** Looks for cuFile and opens its session (kept for the process) to say whether it can be used. Never throws. */
  public static Probe probe(String explicitPath) {
    try {
      CuFile c = open(explicitPath);
      return new Probe(true, c.library, c.mode, "cuFile " + c.library + ", mode " + c.mode + "; " + c.setup);
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

  /** How the session was set up: the parameters set before the driver opened, and the library's version. */
  public String setup() {
    return setup;
  }

  /**
   * The CUfileDescr_t of {@code fd} as libcufile reads it on x86-64 and aarch64 (LP64, little-endian): the
   * handle type, an int, at 0; the union of an int fd and a void* handle, 8-aligned, at 8 (the fd in its
   * first four bytes, the rest zero); the {@code const CUfileFSOps_t*} at 16, null for a plain fd: 24 bytes.
   */
  public static byte[] descriptor(int fd) {
    ByteBuffer b = ByteBuffer.allocate(DESCR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(DESCR_TYPE, HANDLE_TYPE_OPAQUE_FD);
    b.putInt(DESCR_FD, fd);
    b.putLong(DESCR_FS_OPS, 0L);
    return b.array();
  }

  /**
   * Registers an open fd with cuFile; returns the cuFile handle. A refusal throws TfsException(IO_ERROR)
   * whose message carries both status fields, the errno the call left and the descriptor's bytes.
   */
  public long registerHandle(int fd) {
    byte[] bytes = descriptor(fd);
    Pointer descr = Memory.allocateDirect(runtime, DESCR_BYTES, true);
    descr.put(0, bytes, 0, bytes.length);
    Pointer handle = Memory.allocateDirect(runtime, 8, true);
    runtime.setLastError(0);
    long raw = lib.cuFileHandleRegister(handle, descr);
    int errno = runtime.getLastError();
    Status s = Status.of(raw);
    if (!s.ok()) {
      throw new TfsException(ErrorCode.IO_ERROR, "cuFileHandleRegister failed: " + s + " [" + s.fields()
          + ", raw 0x" + Long.toHexString(raw) + ", errno " + errno
          + (errno != 0 ? " (" + io.tensorfs.gpu.internal.LibC.get().strerror(errno) + ")" : "")
          + ", fd " + fd + ", descriptor " + HexFormat.of().formatHex(bytes) + "; mode " + mode + "; " + setup + "]");
    }
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

  /**
   * Releases nothing: the session stays open for the process (see the class comment); libcufile closes
   * it when the process exits.
   */
  @Override
  public void close() {
    // Deliberately empty: a reopen after cuFileDriverClose is not something libcufile promises.
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
