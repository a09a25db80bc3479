package io.tensorfs.store;

import io.tensorfs.core.FileId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The file versions being read on this node. A reader holds a {@link Lease} for the whole of a GET,
 * so that the bytes of a version overwritten or deleted meanwhile are collected only after it (see
 * {@link StoreActor.CollectFile}). One per node, shared by all its stores. Thread-safe.
 */
public final class ReadLeases {
  private final ConcurrentHashMap<FileId, Integer> readers = new ConcurrentHashMap<>();

  /** One reader of one file version. Closing it releases it; closing again does nothing. */
  public final class Lease implements AutoCloseable {
    private final FileId file;
    private final AtomicBoolean released = new AtomicBoolean();

    private Lease(FileId file) {
      this.file = file;
    }

    public FileId file() {
      return file;
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        readers.computeIfPresent(file, (f, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  /** Marks one more reader of {@code file}; close the lease when the read is done. */
  public Lease acquire(FileId file) {
    readers.merge(file, 1, Integer::sum);
    return new Lease(file);
  }

  /** Whether any reader of {@code file} is still holding a lease. */
  public boolean held(FileId file) {
    return readers.containsKey(file);
  }

  /** How many leases of {@code file} are held. */
  public int readers(FileId file) {
    return readers.getOrDefault(file, 0);
  }
}
