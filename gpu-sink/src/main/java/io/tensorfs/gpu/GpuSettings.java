package io.tensorfs.gpu;

import com.typesafe.config.Config;
import java.util.Locale;

/**
 * The settings of this node's GPU sinks, read once from {@code tensorfs.gpu} and validated. Immutable.
 *
 * @param enabled            whether to use GPUs: AUTO uses what is there, ON requires one, OFF never loads CUDA
 * @param streams            CUDA streams per GPU a copy is spread over
 * @param copyPieceBytes     the largest piece of a copy given to one stream
 * @param ipcCacheEntries    client allocations kept open per GPU
 * @param registerHostMemory whether to pin the page pool with cudaHostRegister at start
 * @param cufile             whether the node reads local files into GPU memory with cuFile
 * @param cufileLibrary      where libcufile is, or empty to let the loader search
 * @param cufileForceCompat  whether to force cuFile's compatibility mode (POSIX reads staged through host
 *                           memory) before its driver opens, for machines whose files GDS refuses
 */
public record GpuSettings(
    Enabled enabled,
    int streams,
    long copyPieceBytes,
    int ipcCacheEntries,
    boolean registerHostMemory,
    boolean cufile,
    String cufileLibrary,
    boolean cufileForceCompat) {

  /** The config section these settings are read from. */
  public static final String SECTION = "tensorfs.gpu";
  /** The dispatcher every GpuSink runs on: one thread per actor. */
  public static final String SINK_DISPATCHER = SECTION + ".sink-dispatcher";

  public static final int MAX_STREAMS = 64;
  public static final long MIN_PIECE_BYTES = 4096;
  public static final long MAX_PIECE_BYTES = 1L << 30;

  /** {@code enabled}: ON fails the start where no GPU answers. */
  public enum Enabled { AUTO, ON, OFF }

  public GpuSettings {
    require(enabled != null, "enabled must be auto, on or off");
    require(streams >= 1 && streams <= MAX_STREAMS, "streams must be between 1 and " + MAX_STREAMS + ", not " + streams);
    require(copyPieceBytes >= MIN_PIECE_BYTES && copyPieceBytes <= MAX_PIECE_BYTES,
        "copy-piece-bytes must be between 4 KiB and 1 GiB, not " + copyPieceBytes);
    require(ipcCacheEntries >= 1, "ipc-cache-entries must be at least 1, not " + ipcCacheEntries);
    cufileLibrary = cufileLibrary == null ? "" : cufileLibrary.trim();
  }

  /** Without forcing cuFile's compatibility mode. */
  public GpuSettings(Enabled enabled, int streams, long copyPieceBytes, int ipcCacheEntries, boolean registerHostMemory,
      boolean cufile, String cufileLibrary) {
    this(enabled, streams, copyPieceBytes, ipcCacheEntries, registerHostMemory, cufile, cufileLibrary, false);
  }

  /** Reads and validates {@code tensorfs.gpu} of {@code config}. Throws IllegalArgumentException. */
  public static GpuSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    return new GpuSettings(
        parseEnabled(c.getString("enabled")),
        c.getInt("streams"),
        c.getBytes("copy-piece-bytes"),
        c.getInt("ipc-cache-entries"),
        c.getBoolean("register-host-memory"),
        c.getBoolean("cufile"),
        c.getString("cufile-library"),
        c.getBoolean("cufile-force-compat"));
  }

  /** The defaults of {@code reference.conf}. */
  public static GpuSettings defaults() {
    return new GpuSettings(Enabled.AUTO, 4, 8L << 20, 64, true, false, "");
  }

  public GpuSettings withEnabled(Enabled value) {
    return new GpuSettings(value, streams, copyPieceBytes, ipcCacheEntries, registerHostMemory, cufile, cufileLibrary,
        cufileForceCompat);
  }

  public GpuSettings withStreams(int value) {
    return new GpuSettings(enabled, value, copyPieceBytes, ipcCacheEntries, registerHostMemory, cufile, cufileLibrary,
        cufileForceCompat);
  }

  public GpuSettings withCopyPieceBytes(long value) {
    return new GpuSettings(enabled, streams, value, ipcCacheEntries, registerHostMemory, cufile, cufileLibrary,
        cufileForceCompat);
  }

  public GpuSettings withIpcCacheEntries(int value) {
    return new GpuSettings(enabled, streams, copyPieceBytes, value, registerHostMemory, cufile, cufileLibrary,
        cufileForceCompat);
  }

  public GpuSettings withRegisterHostMemory(boolean value) {
    return new GpuSettings(enabled, streams, copyPieceBytes, ipcCacheEntries, value, cufile, cufileLibrary,
        cufileForceCompat);
  }

  public GpuSettings withCufile(boolean value, boolean forceCompat) {
    return new GpuSettings(enabled, streams, copyPieceBytes, ipcCacheEntries, registerHostMemory, value, cufileLibrary,
        forceCompat);
  }

  static Enabled parseEnabled(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> Enabled.AUTO;
      case "on", "true", "yes" -> Enabled.ON;
      case "off", "false", "no" -> Enabled.OFF;
      default -> throw new IllegalArgumentException(SECTION + ".enabled must be auto, on or off, not '" + text + "'");
    };
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(SECTION + ": " + message);
  }
}
