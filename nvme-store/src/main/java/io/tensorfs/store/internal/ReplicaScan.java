package io.tensorfs.store.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore.StoredFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the file versions of a store and sweeps what interrupted writes left: {@code .part} files of
 * chunks no open writer holds, and a {@code .data} whose {@code .crc} never appeared. Blocking: runs on
 * the store's executor.
 */
public final class ReplicaScan {
  private static final Logger log = LoggerFactory.getLogger(ReplicaScan.class);

  private final StoreContext store;
  private int removed;

  private ReplicaScan(StoreContext store) {
    this.store = store;
  }

  public static Map<FileId, StoredFile> run(StoreContext store) throws IOException {
    ReplicaScan scan = new ReplicaScan(store);
    Map<FileId, StoredFile> found = scan.all();
    if (scan.removed > 0) {
      log.info("store {}: removed {} files left by interrupted writes", store.storeId(), scan.removed);
    }
    return found;
  }

  private Map<FileId, StoredFile> all() throws IOException {
    Map<FileId, StoredFile> found = new HashMap<>();
    for (Path dir : list(store.layout().chunksRoot())) {
      FileId file = fileIdOf(dir);
      if (file == null) {
        log.warn("store {}: ignoring {}, not a file version folder", store.storeId(), dir);
        continue;
      }
      StoredFile stored = one(file, dir);
      if (stored != null) found.put(file, stored);
    }
    return found;
  }

  private StoredFile one(FileId file, Path dir) throws IOException {
    boolean writing = store.writing().stream().anyMatch(c -> c.fileId().equals(file));
    Set<Integer> dataFiles = new TreeSet<>();
    Set<Integer> crcFiles = new TreeSet<>();
    for (Path p : list(dir)) {
      String name = p.getFileName().toString();
      OptionalInt index = ChunkLayout.indexOf(name);
      if (name.endsWith(ChunkLayout.PART)) {
        boolean ownerPart = name.startsWith(ChunkLayout.OWNER + ".");
        boolean live = ownerPart ? writing
            : index.isPresent() && store.writing().contains(new ChunkId(file, index.getAsInt()));
        if (!live) delete(p);
      } else if (index.isPresent() && name.equals(index.getAsInt() + ChunkLayout.DATA)) {
        dataFiles.add(index.getAsInt());
      } else if (index.isPresent() && name.equals(index.getAsInt() + ChunkLayout.CRC)) {
        crcFiles.add(index.getAsInt());
      }
    }
    Set<Integer> complete = new TreeSet<>(dataFiles);
    complete.retainAll(crcFiles);
    sweepHalves(file, dataFiles, complete, ChunkLayout.DATA);
    sweepHalves(file, crcFiles, complete, ChunkLayout.CRC);
    TfsPath owner = readOwner(file);
    if (owner != null) return new StoredFile(file, owner, Set.copyOf(complete), lastWritten(dir));
    if (complete.isEmpty() && !writing) {
      // The owner is written before any chunk: without one, no write of this version got anywhere.
      FileSync.deleteTree(dir);
      removed++;
    } else if (!complete.isEmpty()) {
      log.warn("store {}: file version {} has chunks but no readable owner; kept, not reported",
          store.storeId(), file);
    }
    return null;
  }

  /** A .data without its .crc (or the reverse) is a replica whose finish was cut short. */
  private void sweepHalves(FileId file, Set<Integer> halves, Set<Integer> complete, String suffix)
      throws IOException {
    for (int index : halves) {
      ChunkId chunk = new ChunkId(file, index);
      if (complete.contains(index) || store.writing().contains(chunk)) continue;
      // A writer that finished since the listing renamed its .crc before it let go of the chunk.
      if (suffix.equals(ChunkLayout.DATA) && Files.exists(store.layout().crc(chunk))) continue;
      delete(store.layout().fileDir(file).resolve(index + suffix));
    }
  }

  private TfsPath readOwner(FileId file) throws IOException {
    try {
      return TfsPath.parse(Files.readString(store.layout().owner(file), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return null;
    } catch (TfsException | java.nio.charset.CharacterCodingException e) {
      log.warn("store {}: owner of file version {} is unreadable: {}", store.storeId(), file, e.getMessage());
      return null;
    }
  }

  /** The newest modification time of what the sweeps left in {@code dir}, in ms. */
  private static long lastWritten(Path dir) throws IOException {
    long newest = 0;
    for (Path p : list(dir)) newest = Math.max(newest, modifiedMillis(p));
    return newest;
  }

  /** When {@code p} was last modified; 0 when it is gone (removed meanwhile). */
  private static long modifiedMillis(Path p) throws IOException {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  private void delete(Path p) throws IOException {
    if (Files.deleteIfExists(p)) removed++;
  }

  private static FileId fileIdOf(Path dir) {
    try {
      return Files.isDirectory(dir) ? new FileId(dir.getFileName().toString()) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(out::add);
    } catch (NoSuchFileException e) {
      // removed meanwhile (a deleteFile): nothing in it
    }
    return out;
  }
}
