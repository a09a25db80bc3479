package io.tensorfs.core.memory.internal;

import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uintptr_t;

/** The few C library calls the page pool makes, bound by jnr-ffi (which needs the interface public). */
public interface LibC {
  /** {@code madvise(2)}: 0 on success, -1 with errno set. */
  @SaveError
  int madvise(@uintptr_t long address, @size_t long length, int advice);
}
