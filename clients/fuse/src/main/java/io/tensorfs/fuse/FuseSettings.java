package io.tensorfs.fuse;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The mount's settings, read once from {@code tensorfs.fuse} (the module's {@code reference.conf}) and validated.
 * Immutable.
 *
 * @param callTimeout the longest one call to the node may take before the file system answers EIO
 * @param uploadFloorBytesPerSecond an upload may take {@code callTimeout} plus one second per this many bytes
 * @param readWindowBytes bytes asked of the node per read request (and kept for the next reads)
 * @param readWindows windows shared by every open file
 * @param windowsPerFile windows one open file may hold at once
 * @param spoolDir where files open for writing are spooled; null = a folder of its own under java.io.tmpdir
 * @param policy the policy of new files; "" = the node's default
 * @param kernelCacheSeconds FUSE attr_timeout and entry_timeout
 */
public record FuseSettings(Duration callTimeout, long uploadFloorBytesPerSecond, int readWindowBytes, int readWindows,
    int windowsPerFile, Path spoolDir, String policy, int kernelCacheSeconds) {

  public FuseSettings {
    if (callTimeout.isNegative() || callTimeout.isZero()) throw new IllegalArgumentException("tensorfs.fuse.call-timeout must be > 0");
    if (uploadFloorBytesPerSecond < 1) throw new IllegalArgumentException("tensorfs.fuse.upload-floor-rate must be >= 1 byte");
    if (readWindowBytes < (1 << 20) || readWindowBytes > (256 << 20)) {
      throw new IllegalArgumentException("tensorfs.fuse.read-window must be 1 MiB..256 MiB, not " + readWindowBytes);
    }
    if (readWindows < 1 || windowsPerFile < 1) throw new IllegalArgumentException("tensorfs.fuse read-windows and windows-per-file must be >= 1");
    if ((long) readWindows * readWindowBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensorfs.fuse read-window x read-windows must stay under 2 GiB");
    }
    if (kernelCacheSeconds < 0) throw new IllegalArgumentException("tensorfs.fuse.kernel-cache-seconds must be >= 0");
  }

  /** The settings under {@code tensorfs.fuse} of {@code config}. */
  public static FuseSettings from(Config config) {
    Config c = config.getConfig("tensorfs.fuse");
    String spool = c.getString("spool-dir");
    return new FuseSettings(c.getDuration("call-timeout"), c.getBytes("upload-floor-rate"),
        Math.toIntExact(c.getBytes("read-window")), c.getInt("read-windows"), c.getInt("windows-per-file"),
        spool.isEmpty() ? null : Path.of(spool), c.getString("policy"), c.getInt("kernel-cache-seconds"));
  }

  /** How long uploading {@code bytes} may take. */
  public Duration uploadTimeout(long bytes) {
    return callTimeout.plusSeconds(bytes / uploadFloorBytesPerSecond);
  }
}
