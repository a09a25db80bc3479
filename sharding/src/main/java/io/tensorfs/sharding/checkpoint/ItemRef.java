package io.tensorfs.sharding.checkpoint;

/** Names one item of a checkpoint: the rank that saved it and its key. */
public record ItemRef(int rank, String key) {}
