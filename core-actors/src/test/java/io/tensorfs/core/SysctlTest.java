package io.tensorfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SysctlTest {
  @Test
  void shouldReadASettingWholeAsTheKernelShowsIt() throws Exception {
    for (String name : List.of("net/core/rmem_max", "net/ipv4/ip_local_port_range")) {
      Process cat = new ProcessBuilder("cat", "/proc/sys/" + name).start();
      String shown = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertEquals(0, cat.waitFor());
      assertEquals(Optional.of(shown), Sysctl.read(name), name);
    }
  }

  @Test
  void shouldSayNothingOfASettingThatDoesNotExist() {
    assertTrue(Sysctl.read("net/core/no_such_setting").isEmpty());
    assertTrue(Sysctl.firstNumber("net/core/no_such_setting").isEmpty());
  }

  @Test
  void shouldReadTheFirstFieldOfASettingAsANumber() throws Exception {
    Process cat = new ProcessBuilder("cat", "/proc/sys/net/ipv4/ip_local_port_range").start();
    String[] shown = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+");
    assertEquals(0, cat.waitFor());
    assertEquals(2, shown.length, "a range of two numbers");
    assertEquals(OptionalLong.of(Long.parseLong(shown[0])), Sysctl.firstNumber("net/ipv4/ip_local_port_range"));
    assertTrue(Sysctl.firstNumber("kernel/ostype").isEmpty(), "Linux is no number");
  }
}
