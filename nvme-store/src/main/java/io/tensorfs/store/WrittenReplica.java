package io.tensorfs.store;

import io.tensorfs.core.ChunkId;

/** A replica written in full: its store, its length in bytes and the CRC32C of all its bytes. */
public record WrittenReplica(ChunkId chunk, String store, long lengthBytes, int crc32c) {}
