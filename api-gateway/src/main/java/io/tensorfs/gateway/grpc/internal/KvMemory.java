package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvHeld;
import io.tensorfs.sharding.kv.KvReservation;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;

/**
 * KV blocks to and from a client's memory (a shared-memory range, copied on the calling thread, or a GPU
 * range, by device copy), for the gRPC KV calls and the local channel alike. Stateless.
 */
public final class KvMemory {
  private KvMemory() {}

  /**
   * Puts the bytes of {@code source} under {@code key}: reserves room, fills it, commits; the room is given
   * back when the fill fails. Fails as the reservation, the copy or the commit fail.
   */
  public static CompletableFuture<Done> put(KvBlocks kv, DeviceCopies gpus, String tenant, String key, Memory source) {
    KvReservation room;
    try {
      room = kv.reserve(tenant, key, source.length());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<?> filled;
    try {
      if (source instanceof Memory.Host host) {
        Memory.copy(host.slices(), room.buffers());
        filled = CompletableFuture.completedFuture(null);
      } else {
        filled = gpus.fromDevice(((Memory.Gpu) source).buffer(), duplicates(room.buffers())).toCompletableFuture();
      }
    } catch (RuntimeException e) {
      filled = CompletableFuture.failedFuture(e);
    }
    return filled.handle((x, e) -> {
      if (e != null) {
        room.abort();
        return CompletableFuture.<Done>failedFuture(e);
      }
      return room.commit().toCompletableFuture();
    }).thenCompose(c -> c);
  }

  /**
   * Copies a held block into {@code target}, which the caller has checked is large enough, then closes the
   * hold whatever happens.
   */
  public static CompletableFuture<Void> deliver(KvHeld block, Memory target, DeviceCopies gpus) {
    CompletableFuture<?> copied;
    try {
      if (target instanceof Memory.Host host) {
        Memory.copy(block.buffers(), host.slices());
        copied = CompletableFuture.completedFuture(null);
      } else if (block.length() == 0) {
        copied = CompletableFuture.completedFuture(null);
      } else {
        copied = gpus.toDevice(duplicates(block.buffers()), ((Memory.Gpu) target).buffer().slice(0, block.length()))
            .toCompletableFuture();
      }
    } catch (RuntimeException e) {
      copied = CompletableFuture.failedFuture(e);
    }
    return copied.handle((x, e) -> {
      block.close();
      if (e != null) throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
      return null;
    });
  }

  /** Fresh views of the buffers: a device copy moves their positions. */
  private static List<ByteBuffer> duplicates(List<ByteBuffer> buffers) {
    List<ByteBuffer> out = new ArrayList<>(buffers.size());
    for (ByteBuffer b : buffers) out.add(b.duplicate());
    return out;
  }
}
