package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;

/**
 * One sealed part of a checkpoint item: an ordinary file version, written through the node's operator,
 * holding the item's bytes {@code [offset, offset + lengthBytes)} where offset is the sum of the parts
 * before it. Immutable.
 *
 * @param path    the part's reserved path under the job's {@code .checkpoints} directory
 * @param version the file version the part was sealed as
 * @param crc32c  CRC32C of the part's bytes
 */
public record Part(TfsPath path, FileId fileId, long version, long lengthBytes, int crc32c)
    implements CborSerializable {}
