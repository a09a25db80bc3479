package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.TfsClient;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.MountProcess;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * fio on the POSIX mount against a real node: sequential and random writes verified with CRC32C, read back after a
 * reopen (so through the node, not the mount's spool), then sequential and random reads. CI=true: smaller files.
 */
class FuseFioIT {
  private static final boolean CI = "true".equals(System.getenv("CI"));
  private static final long MIB = 1 << 20;
  private static final long SIZE_MIB = CI ? 32 : 256;

  @Test
  void shouldWriteVerifyAndReadThroughTheMountWithFio() throws Exception {
    Path dir = RepoPaths.scratch("fuse-fio");
    SharedCassandra.deleteTree(dir);
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(),
        "it_fuse_fio", List.of("-Dtensorfs.gateway.chunk-size=4MiB")).start(Duration.ofMinutes(3));
        MountProcess mount = new MountProcess(dir.resolve("mnt"), node.grpcAddress(), AdminToken.of(node), "fio",
            dir.resolve("mount.log"), List.of()).start(Duration.ofMinutes(1))) {
      String m = mount.dir().toString();
      String size = SIZE_MIB + "m";
      fio(dir, "seqwrite", m, "--filename=seq.dat", "--rw=write", "--bs=1m", "--size=" + size, "--verify=crc32c", "--do_verify=1");
      fio(dir, "seqverify", m, "--filename=seq.dat", "--rw=write", "--bs=1m", "--size=" + size, "--verify=crc32c", "--verify_only=1");
      fio(dir, "randwrite", m, "--filename=rand.dat", "--rw=randwrite", "--bs=64k", "--size=" + SIZE_MIB / 2 + "m",
          "--verify=crc32c", "--do_verify=1", "--randrepeat=1");
      fio(dir, "randverify", m, "--filename=rand.dat", "--rw=randwrite", "--bs=64k", "--size=" + SIZE_MIB / 2 + "m",
          "--verify=crc32c", "--verify_only=1", "--randrepeat=1");
      fio(dir, "seqread", m, "--filename=seq.dat", "--rw=read", "--bs=128k", "--size=" + size);
      fio(dir, "randread", m, "--filename=seq.dat", "--rw=randread", "--bs=4k", "--size=" + size, "--io_size=" + SIZE_MIB / 8 + "m");

      TfsClient client = TfsClient.connect("127.0.0.1", Integer.parseInt(node.grpcAddress().split(":")[1]), AdminToken.of(node), false);
      try {
        assertEquals(SIZE_MIB * MIB, client.stat("/fio/seq.dat").toCompletableFuture().get(30, TimeUnit.SECONDS).getSize(),
            "the node holds the file fio wrote through the mount, whole");
        assertEquals(SIZE_MIB / 2 * MIB, client.stat("/fio/rand.dat").toCompletableFuture().get(30, TimeUnit.SECONDS).getSize());
      } finally {
        client.close();
      }
      assertEquals(0, mount.unmount(Duration.ofSeconds(30)), mount.logTail());
      assertFalse(MountProcess.mounted(mount.dir()));
    }
  }

  private static void fio(Path dir, String name, String mountDir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("fio", "--name=" + name, "--directory=" + mountDir, "--ioengine=psync"));
    cmd.addAll(List.of(args));
    Path log = dir.resolve("fio-" + name + ".log");
    // fio keeps its verify state files in its working directory: the scratch folder, not the module.
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), name + " finishes within 3 minutes");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), name + ":\n" + out);
    assertTrue(out.contains("err= 0"), name + " reports no error:\n" + out);
    assertFalse(out.contains("verify: bad"), name + ":\n" + out);
  }
}
