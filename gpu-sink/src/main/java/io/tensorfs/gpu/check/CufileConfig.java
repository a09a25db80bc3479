package io.tensorfs.gpu.check;

import java.nio.file.Path;

/**
 * A cufile.json for the check's attempts, pointed at by {@code CUFILE_ENV_PATH_JSON}: compatibility mode
 * allowed (and forced, when asked), the log in a folder of the check's own. Only keys of the GDS
 * configuration reference; the library takes defaults for the rest.
 */
final class CufileConfig {
  private CufileConfig() {}

  static String json(Path logDir, boolean forceCompat) {
    return """
        {
          "logging": { "dir": "%s", "level": "INFO" },
          "properties": {
            "allow_compat_mode": true,
            "force_compat_mode": %s,
            "use_poll_mode": false
          }
        }
        """.formatted(logDir.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\""), forceCompat);
  }
}
