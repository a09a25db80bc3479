package io.tensorfs.core.memory.internal;

import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Addresses of direct buffers and {@code madvise(2)}, through jnr-ffi (no {@code --add-opens} needed).
 * The C library is bound on first use; where it cannot be, {@link #available()} says so. Thread-safe.
 */
public final class NativeMemory {
  /** Back the range with transparent huge pages where possible. */
  public static final int MADV_HUGEPAGE = 14;
  /** Drop the range's pages; the next touch of private anonymous memory gets zero-filled ones. */
  public static final int MADV_DONTNEED = 4;

  private NativeMemory() {}

  /** Bound lazily, once. */
  private static final class Binding {
    static final LibC LIBC = load();

    private static LibC load() {
      try {
        return LibraryLoader.create(LibC.class).failImmediately().load("c");
      } catch (Throwable t) {
        return null;
      }
    }
  }

  /** Whether {@link #madvise} can be called here. */
  public static boolean available() {
    return Binding.LIBC != null;
  }

  /** The address of a direct buffer's first byte (its position 0). */
  public static long address(ByteBuffer direct) {
    if (!direct.isDirect()) throw new IllegalArgumentException("not a direct buffer");
    return Runtime.getSystemRuntime().getMemoryManager().newPointer(direct).address();
  }

  /**
   * Advises the kernel about the whole capacity of a direct buffer. Returns null on success, else the
   * reason (errno). The buffer's address must be a multiple of 4 KiB.
   */
  public static String madvise(ByteBuffer direct, int advice) {
    LibC libc = Binding.LIBC;
    if (libc == null) return "the C library could not be bound";
    if (libc.madvise(address(direct), direct.capacity(), advice) == 0) return null;
    return "madvise(" + advice + ") failed with errno " + Runtime.getRuntime(libc).getLastError();
  }
}
