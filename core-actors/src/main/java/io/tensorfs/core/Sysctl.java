package io.tensorfs.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The kernel's settings under {@code /proc/sys}, read whole. Such a file reports a size of 0, and
 * {@code Files.readString} of it returns only its first characters ({@code "4"} for a {@code rmem_max} of
 * 4194304); reading it line by line returns all of it. Stateless; any thread.
 */
public final class Sysctl {
  private Sysctl() {}

  /** The setting {@code name} (as {@code net/core/rmem_max}), stripped; empty where it cannot be read. */
  public static Optional<String> read(String name) {
    try {
      return Optional.of(String.join("\n", Files.readAllLines(Path.of("/proc/sys", name))).strip());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The first field of the setting {@code name} as a number (the value of {@code net/core/rmem_max}, the low
   * end of {@code net/ipv4/ip_local_port_range}); empty where it cannot be read or is not a number.
   */
  public static OptionalLong firstNumber(String name) {
    Optional<String> value = read(name);
    if (value.isEmpty()) return OptionalLong.empty();
    try {
      return OptionalLong.of(Long.parseLong(value.get().split("\\s+")[0]));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
