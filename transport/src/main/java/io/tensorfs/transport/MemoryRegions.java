package io.tensorfs.transport;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The node's memory that a transport may register with its device once at start, so that frames whose
 * payload lies in it are sent from where they lie instead of copied: the page pool's regions, which are
 * taken at start and never moved or freed while the process lives. The RDMA wire registers them; the TCP
 * wire writes payloads that lie in them to its sockets from where they lie; Aeron copies every payload into
 * its term. Immutable; the buffers are views of the regions.
 *
 * @param regions direct buffers, each a whole region from its start to its capacity
 */
public record MemoryRegions(List<ByteBuffer> regions) {
  /** No memory to register: every payload is copied. */
  public static final MemoryRegions NONE = new MemoryRegions(List.of());

  public MemoryRegions {
    for (ByteBuffer r : regions) {
      if (!r.isDirect()) throw new IllegalArgumentException("only direct memory can be registered");
    }
    regions = regions.stream().map(ByteBuffer::duplicate).toList();
  }
}
