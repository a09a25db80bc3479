package io.tensorfs.store.cache;

import io.tensorfs.core.CborSerializable;

/**
 * A snapshot of a node's memory cache.
 *
 * @param capacityBytes memory of the cache
 * @param usedBytes     pages the cache holds (resident, loading or being written) times the page size
 * @param pinnedBytes   pages of resident chunks of pinned files times the page size
 * @param dirtyBytes    bytes of resident chunks not yet written to their store
 * @param residentBytes bytes of resident chunks: loaded or written whole, readable from memory (unlike
 *                      {@code usedBytes}, not counting chunks still loading)
 * @param files         files with at least one resident chunk
 * @param hits          lookups and loads that found their chunk resident
 * @param misses        loads that did not
 * @param evictions     files evicted to make room
 * @param pageSizeBytes bytes of one page
 * @param memoryKind    what backs the pages: {@code hugetlbfs}, {@code thp}, {@code thp-requested} or
 *                      {@code regular}
 */
public record CacheStats(
    long capacityBytes,
    long usedBytes,
    long pinnedBytes,
    long dirtyBytes,
    long residentBytes,
    int files,
    long hits,
    long misses,
    long evictions,
    int pageSizeBytes,
    String memoryKind) implements CborSerializable {}
