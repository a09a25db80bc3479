package io.tensorfs.client;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/**
 * One item a rank saves: its key, its whole size, and its bytes from {@code offset} (0, or the item's
 * acknowledged offset when a cut-off save resumes). The stream is read as the connection takes it and
 * closed by the save.
 */
public record CheckpointItem(String key, long sizeBytes, long offset, InputStream bytes) {
  public static CheckpointItem of(String key, byte[] bytes) {
    return new CheckpointItem(key, bytes.length, 0, new ByteArrayInputStream(bytes));
  }
}
