package io.tensorfs.sharding.operator.internal;

import org.apache.pekko.util.ByteString;

/** Bytes of an upload that all fall in chunk {@code chunkIndex}. */
public record Piece(int chunkIndex, ByteString bytes) {}
