package io.tensorfs.client.local;

import static io.tensorfs.client.local.Layout.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The data buffers of one request and where the node finds them: in place when a buffer is a
 * {@link SharedBuffer}'s, else in the slot itself when they fit, else in the channel's staging segment.
 * Bytes to the node are copied in when the request is written; bytes from it are copied out into the
 * caller's buffers when it completes (their positions are not moved). Used by one request.
 */
final class Transfer {
  private final LocalChannel channel;
  private final List<ByteBuffer> buffers;
  private final boolean toNode;
  private final int[] sharedIds;
  private final long[] sharedOffsets;
  private final Staging.Lease[] leases;
  private final ByteBuffer[] from;

  Transfer(LocalChannel channel, List<ByteBuffer> buffers, boolean toNode) {
    this.channel = channel;
    this.buffers = buffers;
    this.toNode = toNode;
    this.sharedIds = new int[buffers.size()];
    this.sharedOffsets = new long[buffers.size()];
    this.leases = new Staging.Lease[buffers.size()];
    this.from = new ByteBuffer[buffers.size()];
  }

  /**
   * Registers the shared segments the buffers lie in and lends staging to the large others that could not go
   * in the slot ({@code inlineRoom}: the bytes of inline data the slot takes at most); completes when all is ready.
   */
  CompletableFuture<Transfer> prepare(long inlineRoom) {
    List<CompletableFuture<?>> ready = new ArrayList<>();
    List<Integer> staged = new ArrayList<>();
    long inline = 0;
    for (int i = 0; i < buffers.size(); i++) {
      ByteBuffer b = buffers.get(i);
      int k = i;
      var located = SharedBuffer.locate(b);
      if (located.isPresent()) {
        SharedBuffer shared = located.get().shared();
        sharedOffsets[i] = located.get().offset() + b.position();
        ready.add(channel.registerHost(shared.name(), shared.sizeBytes()).thenAccept(id -> sharedIds[k] = id));
      } else if (inline + b.remaining() + 64 <= inlineRoom) {
        inline += b.remaining() + 64;
      } else {
        staged.add(i);
      }
    }
    if (!staged.isEmpty()) {
      List<Long> lengths = staged.stream().map(i -> (long) buffers.get(i).remaining()).toList();
      ready.add(channel.staging().lendAll(lengths).thenAccept(lent -> {
        for (int j = 0; j < lent.size(); j++) leases[staged.get(j)] = lent.get(j);
      }));
    }
    return CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).handle((x, e) -> {
      if (e != null) {
        release();
        throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
      }
      return this;
    });
  }

  /** Writes the SGEs, one per buffer, from {@code sgeAt} in the slot (room for them is already taken). */
  void encode(Slot slot, int sgeAt) {
    for (int i = 0; i < buffers.size(); i++) {
      ByteBuffer b = buffers.get(i);
      int length = b.remaining();
      int at = sgeAt + SGE_BYTES * i;
      if (sharedIds[i] != 0) {
        slot.sgeAt(at, sharedIds[i], sharedOffsets[i], length);
      } else if (leases[i] != null) {
        Staging.Lease lease = leases[i];
        if (toNode) lease.view().duplicate().put(b.duplicate());
        else from[i] = lease.view();
        slot.sgeAt(at, lease.bufferId(), lease.offset(), length);
      } else {
        int inline = slot.inline(length);
        if (inline < 0) throw new IllegalStateException("inline data does not fit in the slot");
        ByteBuffer view = slot.view(inline, length);
        if (toNode) view.put(b.duplicate());
        else from[i] = view;
        slot.sgeAt(at, INLINE_BUFFER, inline, length);
      }
    }
  }

  /** Copies the first {@code lengths[i]} bytes the node wrote for buffer {@code i} into the caller's buffer. */
  void copyBack(long[] lengths) {
    for (int i = 0; i < from.length; i++) {
      if (from[i] == null) continue;
      int n = (int) Math.min(lengths[i], buffers.get(i).remaining());
      if (n > 0) buffers.get(i).duplicate().put(from[i].duplicate().limit(n));
    }
  }

  /** Copies the first {@code total} bytes the node wrote, spread over the buffers in order (a read). */
  void copyBack(long total) {
    long[] lengths = new long[buffers.size()];
    for (int i = 0; i < lengths.length && total > 0; i++) {
      lengths[i] = Math.min(total, buffers.get(i).remaining());
      total -= lengths[i];
    }
    copyBack(lengths);
  }

  /** Gives back the staging this request borrowed; after its completion, whatever it was. */
  void release() {
    for (int i = 0; i < leases.length; i++) {
      if (leases[i] != null) {
        leases[i].release().run();
        leases[i] = null;
      }
    }
  }
}
