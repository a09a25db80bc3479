package io.tensorfs.gateway.front;

/**
 * Counts of a {@link FrontServer} since it started.
 *
 * @param accepted  connections accepted and served
 * @param refused   connections answered 503 because {@code max-connections} were open
 * @param direct    responses written from {@link DirectReads} in full (HEAD included)
 * @param forwarded requests without a body handed to the full server one at a time, its answer passed on
 * @param handedOff connections relayed to the full server from some request on, for the rest of their life
 * @param cutOff    direct responses cut off after their head was sent (source failed, client gone)
 * @param open      connections open now
 */
public record FrontStats(long accepted, long refused, long direct, long forwarded, long handedOff, long cutOff,
    int open) {}
