package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads of local files straight into clients' GPU memory (cuFile), past the node's page cache: what the
 * gateway's FLAG_CUFILE reads need. The bytes never pass through the CPU, so nothing checks them against
 * the chunk's block CRCs: a caller that needs checked bytes reads through the cache. Thread safe.
 */
public interface DeviceFileReads {
  /** Whether cuFile was loaded and its driver opened on this node. */
  boolean available();

  /** One line: the cuFile library and mode, or why reads of this kind are unavailable. */
  String describe();

  /**
   * Reads {@code target.length()} bytes of {@code file} from {@code fileOffset} into {@code target}.
   * Completes with the bytes read (fewer only where the file ends); fails with TfsException: UNAVAILABLE
   * when cuFile is not usable here, BAD_REQUEST for a GPU buffer the driver refuses, NOT_FOUND or IO_ERROR
   * for the file.
   */
  CompletionStage<Long> readFile(Path file, long fileOffset, GpuBuffer target);

  /** Reads of this kind that always fail with UNAVAILABLE and {@code reason}. */
  static DeviceFileReads unavailable(String reason) {
    return new DeviceFileReads() {
      @Override
      public boolean available() {
        return false;
      }

      @Override
      public String describe() {
        return reason;
      }

      @Override
      public CompletionStage<Long> readFile(Path file, long fileOffset, GpuBuffer target) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE,
            "cuFile reads are unavailable on this node: " + reason));
      }
    };
  }
}
