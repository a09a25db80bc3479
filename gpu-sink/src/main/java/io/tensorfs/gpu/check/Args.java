package io.tensorfs.gpu.check;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;

/** GpuCheck's command line. */
final class Args {
  long bytes = 1L << 30;
  int repeat = 5;
  int device;
  Path dir = Path.of(System.getProperty("java.io.tmpdir"));
  String cufileLibrary = "";
  boolean cufile = true;
  byte[] ipcFillHandle;
  long ipcBytes;
  long ipcOffset;
  int seed = 7;
  /** Set in a child the check starts for one cuFile attempt: the attempt's name. */
  String cufileAttempt;
  Path cufileFile;
  boolean cufileForceCompat;
  boolean cufileBuffered;

  static Args parse(String[] argv) {
    Args a = new Args();
    for (int i = 0; i < argv.length; i++) {
      String flag = argv[i];
      if (flag.equals("--no-cufile")) {
        a.cufile = false;
        continue;
      }
      if (flag.equals("--cufile-force-compat")) {
        a.cufileForceCompat = true;
        continue;
      }
      if (flag.equals("--cufile-buffered")) {
        a.cufileBuffered = true;
        continue;
      }
      if (i + 1 >= argv.length) throw new IllegalArgumentException(flag + " needs a value");
      String v = argv[++i];
      switch (flag) {
        case "--bytes" -> a.bytes = size(v);
        case "--repeat" -> a.repeat = Integer.parseInt(v);
        case "--device" -> a.device = Integer.parseInt(v);
        case "--dir" -> a.dir = Path.of(v);
        case "--cufile-lib" -> a.cufileLibrary = v;
        case "--ipc-fill" -> a.ipcFillHandle = HexFormat.of().parseHex(v.trim());
        case "--ipc-bytes" -> a.ipcBytes = size(v);
        case "--ipc-offset" -> a.ipcOffset = size(v);
        case "--seed" -> a.seed = Integer.parseInt(v);
        case "--cufile-attempt" -> a.cufileAttempt = v;
        case "--cufile-file" -> a.cufileFile = Path.of(v);
        default -> throw new IllegalArgumentException("unknown option " + flag + usage());
      }
    }
    if (a.bytes <= 0 || a.bytes % (4 << 20) != 0 || a.bytes > (64L << 30)) {
      throw new IllegalArgumentException("--bytes must be a multiple of 4 MiB up to 64 GiB");
    }
    if (a.repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1");
    if (a.ipcFillHandle != null && (a.ipcFillHandle.length != 64 || a.ipcBytes <= 0)) {
      throw new IllegalArgumentException("--ipc-fill takes 64 bytes in hex, with --ipc-bytes > 0");
    }
    if (a.cufileAttempt != null && a.cufileFile == null) throw new IllegalArgumentException("--cufile-attempt needs --cufile-file");
    return a;
  }

  /** A size: a number with an optional k, m or g suffix (powers of 1024). */
  static long size(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    char last = t.charAt(t.length() - 1);
    if (last == 'k' || last == 'm' || last == 'g') {
      unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
      t = t.substring(0, t.length() - 1);
    }
    return Long.parseLong(t) * unit;
  }

  static String usage() {
    return "\nusage: GpuCheck [--bytes 1g] [--repeat 5] [--device 0] [--dir DIR] [--cufile-lib PATH] [--no-cufile]"
        + "\n       GpuCheck --cufile-attempt NAME --cufile-file F [--cufile-force-compat] [--cufile-buffered] (one cuFile try)"
        + "\n       GpuCheck --ipc-fill HANDLE_HEX --ipc-bytes N [--ipc-offset O] [--device D] [--seed S]";
  }
}
