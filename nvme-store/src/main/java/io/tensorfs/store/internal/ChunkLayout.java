package io.tensorfs.store.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Where a store keeps its files: {@code chunks/<fileId>/owner}, {@code chunks/<fileId>/<index>.data}
 * and {@code <index>.crc}. A name ending in {@code .part} is being written and never read. Immutable.
 */
public final class ChunkLayout {
  public static final String OWNER = "owner";
  public static final String DATA = ".data";
  public static final String CRC = ".crc";
  public static final String PART = ".part";

  private final Path chunks;

  public ChunkLayout(Path storeDirectory) {
    this.chunks = storeDirectory.resolve("chunks");
  }

  /** The folder of all file versions. */
  public Path chunksRoot() {
    return chunks;
  }

  public Path fileDir(FileId file) {
    return chunks.resolve(file.value());
  }

  public Path owner(FileId file) {
    return fileDir(file).resolve(OWNER);
  }

  public Path data(ChunkId chunk) {
    return fileDir(chunk.fileId()).resolve(chunk.index() + DATA);
  }

  public Path crc(ChunkId chunk) {
    return fileDir(chunk.fileId()).resolve(chunk.index() + CRC);
  }

  public static Path part(Path finalName) {
    return finalName.resolveSibling(finalName.getFileName() + PART);
  }

  /** The chunk index a file name of a chunk folder belongs to ({@code 3.data}, {@code 3.crc.part}). */
  public static OptionalInt indexOf(String fileName) {
    int dot = fileName.indexOf('.');
    if (dot <= 0 || dot > 10) return OptionalInt.empty();
    for (int i = 0; i < dot; i++) {
      if (!Character.isDigit(fileName.charAt(i))) return OptionalInt.empty();
    }
    long index = Long.parseLong(fileName.substring(0, dot));
    return index > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) index);
  }
}
