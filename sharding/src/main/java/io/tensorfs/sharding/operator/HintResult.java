package io.tensorfs.sharding.operator;

import java.util.List;

/**
 * What a cache hint did. Immutable.
 *
 * @param files      files the hint reached (one, or every file under a directory)
 * @param chunks     their chunks
 * @param bytes      their bytes
 * @param failed     chunks a willneed could not load (cache full, replica lost)
 * @param firstError the first failure's message, or null when none failed
 * @param nodes      the nodes whose caches the hint reached
 */
public record HintResult(String path, String op, int files, int chunks, long bytes, int failed, String firstError,
    List<String> nodes) {}
