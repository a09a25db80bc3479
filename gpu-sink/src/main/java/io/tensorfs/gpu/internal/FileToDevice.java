package io.tensorfs.gpu.internal;

import java.nio.file.Path;
import java.util.concurrent.CompletionStage;

/** Reads a file range into device memory of one GPU, off the caller's thread: cuFile in production. */
public interface FileToDevice {
  /**
   * Reads {@code bytes} of {@code file} from {@code fileOffset} to {@code deviceAddress} on GPU {@code device};
   * completes with the bytes read (fewer only where the file ends) or fails with a TfsException.
   */
  CompletionStage<Long> read(int device, Path file, long fileOffset, long deviceAddress, long bytes);

  /** Stops taking reads; those queued still run. */
  void close();
}
