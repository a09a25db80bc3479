package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's memory registered with a {@link Nic} once at start (the page pool's regions), sorted by
 * address, with each region's lkey: where the send ring looks up whether a payload can be sent from
 * where it lies. A region the device refused is logged once and left out (its payloads are copied).
 * Registration counts against the process's memlock limit ({@link Nic#lockableBytes}), which the
 * connections' rings need too: regions are registered only while what they take leaves a reserve for
 * rings under the limit; the rest are left out (copied from), so rings are never refused because of them.
 * Made on the opening thread, then read by the engine's agent thread only; nothing is allocated by
 * {@link #find}.
 */
final class RegisteredRegions {
  private static final Logger log = LoggerFactory.getLogger(RegisteredRegions.class);

  /** Nothing registered. */
  static final RegisteredRegions NONE = new RegisteredRegions(null, List.of());

  private final Nic nic;
  private final List<ByteBuffer> buffers;
  private final long[] starts;
  private final long[] ends;
  private final int[] lkeys;

  private RegisteredRegions(Nic nic, List<ByteBuffer> registered) {
    this.nic = nic;
    this.buffers = List.copyOf(registered);
    int n = registered.size();
    this.starts = new long[n];
    this.ends = new long[n];
    this.lkeys = new int[n];
  }

  /** Registers every region the device takes, keeping no reserve ({@link #register(Nic, List, long)}). */
  static RegisteredRegions register(Nic nic, List<ByteBuffer> regions) {
    return register(nic, regions, 0);
  }

  /**
   * Registers each of {@code regions} with {@code nic} for local access ({@link Nic#register}), in address
   * order, as long as the bytes registered plus {@code reserveBytes} (what the connections' rings will
   * register) stay within {@link Nic#lockableBytes}; a region past that, or one the device refuses, is
   * logged and left out.
   */
  static RegisteredRegions register(Nic nic, List<ByteBuffer> regions, long reserveBytes) {
    if (regions.isEmpty()) return NONE;
    List<ByteBuffer> sorted = new ArrayList<>(regions);
    sorted.sort(Comparator.comparingLong(RegisteredRegions::address));
    long limit = nic.lockableBytes();
    long allowed = limit == MemlockLimit.UNLIMITED ? Long.MAX_VALUE : limit - reserveBytes;
    List<ByteBuffer> registered = new ArrayList<>();
    List<Integer> keys = new ArrayList<>();
    long taken = 0;
    int overLimit = 0;
    for (ByteBuffer region : sorted) {
      if (region.capacity() > allowed - taken) {
        overLimit++;
        continue;
      }
      try {
        keys.add(nic.register(region));
        registered.add(region);
        taken += region.capacity();
      } catch (RuntimeException e) {
        log.warn("RDMA: registering {} bytes of the page pool or serve region at {} on {} failed, frames from it are copied: {}", region.capacity(),
            Long.toHexString(address(region)), nic.device(), e.getMessage());
      }
    }
    if (overLimit > 0) {
      log.warn("RDMA: {} of {} regions (page pool, serve region) left unregistered on {}, frames from them are copied: the memlock limit of {} bytes"
          + " must leave {} bytes for connection rings (tensorfs.transport.rdma.memlock-reserve-rings); for zero-copy sends raise"
          + " it (ulimit -l) to cover those regions plus that", overLimit, regions.size(), nic.device(), limit, reserveBytes);
    }
    RegisteredRegions made = new RegisteredRegions(nic, registered);
    for (int i = 0; i < registered.size(); i++) {
      made.starts[i] = address(registered.get(i));
      made.ends[i] = made.starts[i] + registered.get(i).capacity();
      made.lkeys[i] = keys.get(i);
    }
    log.info("RDMA: {} of {} regions (page pool, serve region) registered on {} ({} bytes)", registered.size(), regions.size(), nic.device(), taken);
    return made;
  }

  private static long address(ByteBuffer region) {
    return new UnsafeBuffer(region).addressOffset();
  }

  /** The region holding all of {@code length} bytes at {@code address}; -1 when none does (the bytes are copied). */
  int find(long address, int length) {
    int lo = 0;
    int hi = starts.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (starts[mid] > address) hi = mid - 1;
      else if (ends[mid] <= address) lo = mid + 1;
      else return address + length <= ends[mid] ? mid : -1;
    }
    return -1;
  }

  /** The lkey of region {@code region} ({@link #find}). */
  int lkey(int region) {
    return lkeys[region];
  }

  int count() {
    return starts.length;
  }

  /** Deregisters every region (nothing may send from them any more). */
  void deregister() {
    for (ByteBuffer b : buffers) nic.deregister(b);
  }
}
