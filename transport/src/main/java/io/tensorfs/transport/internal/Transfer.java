package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;

/**
 * One fetch or push as one side sees it. Fields without {@code volatile} belong to the engine's agent
 * thread.
 */
abstract class Transfer {
  final long id;
  /** The endpoint of the peer's side of this transfer: its link's key. */
  final String peerEndpoint;
  /**
   * The peer as this side's caller named it, for messages: the endpoint the node advertises, where it
   * has several lanes and {@link #peerEndpoint} is one of them; else the same.
   */
  String peerName;
  /** Resolved by the engine when it registers the transfer. */
  Peer peer;
  /** Whether this side started the transfer (sent FETCH or PUSH). */
  final boolean requester;
  final ChunkId chunk;
  final long fileHi;
  final long fileLo;
  /** When this side opened it (the engine's clock): for a fetch served here, when its request arrived. */
  final long openedNs;
  long lastHeardNs;
  long lastSentNs;
  boolean closed;

  Transfer(long id, String peerEndpoint, boolean requester, ChunkId chunk, long nowNs) {
    this.id = id;
    this.peerEndpoint = peerEndpoint;
    this.peerName = peerEndpoint;
    this.requester = requester;
    this.chunk = chunk;
    this.fileHi = Frames.fileHi(chunk.fileId());
    this.fileLo = Frames.fileLo(chunk.fileId());
    this.openedNs = nowNs;
    this.lastHeardNs = nowNs;
    this.lastSentNs = nowNs;
  }

  /** Names the peer in this transfer's messages as {@code name}. */
  <T extends Transfer> T named(String name) {
    this.peerName = name;
    @SuppressWarnings("unchecked")
    T self = (T) this;
    return self;
  }

  /** Flags for frames this side sends. */
  byte flags() {
    return requester ? Frames.FROM_REQUESTER : 0;
  }

  boolean sameChunk(long hi, long lo, int index) {
    return hi == fileHi && lo == fileLo && index == chunk.index();
  }

  /** Whether the idle timeout applies now (a transfer owed nothing by its peer is exempt). */
  abstract boolean expectsPeer();

  /** Ends the transfer locally with {@code cause}; the engine tells the peer separately. */
  abstract void fail(TfsException cause);
}
