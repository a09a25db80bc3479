package io.tensorfs.transport.internal;

/**
 * What the transfer engine needs from configuration.
 *
 * @param windowBytes credit a receiver grants ahead of what its consumer took: the most bytes in
 *     flight or buffered per transfer
 * @param outboxBytes data a sending stream may hand to the engine ahead of the wire, per transfer
 * @param idleTimeoutNs a transfer with nothing heard from its peer this long fails (peers send
 *     keep-alives at a third of it)
 * @param connectTimeoutNs a peer that cannot be reached this long fails its transfers
 * @param maxParkNs longest the idle engine thread sleeps between polls
 * @param requestMaxAgeNs a signed request whose time is further than this from this node's clock is refused
 */
public record EngineSettings(
    long windowBytes, long outboxBytes, long idleTimeoutNs, long connectTimeoutNs, long maxParkNs, long requestMaxAgeNs) {
  public EngineSettings {
    if (windowBytes < 2L * 1024 * 1024) throw new IllegalArgumentException("window-bytes must be at least 2 MiB");
    if (outboxBytes <= 0 || idleTimeoutNs <= 0 || connectTimeoutNs <= 0 || maxParkNs <= 0 || requestMaxAgeNs <= 0) {
      throw new IllegalArgumentException("transport sizes and timeouts must be positive");
    }
  }
}
