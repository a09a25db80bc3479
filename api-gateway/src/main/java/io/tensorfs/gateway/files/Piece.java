package io.tensorfs.gateway.files;

import org.apache.pekko.util.ByteString;

/** Bytes of an upload that all fall in chunk {@code chunkIndex}. */
record Piece(int chunkIndex, ByteString bytes) {}
