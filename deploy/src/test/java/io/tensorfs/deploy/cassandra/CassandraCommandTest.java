package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraCommandTest {

  @TempDir
  Path dir;

  @Test
  void shouldGiveAJoiningMemberLongerThanALoneNodeToHearTheSeed() throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.createFile(lib.resolve("jamm-0.4.0.jar"));
    CassandraSettings lone = CassandraSettings.defaults(dir).withLibDir(lib);

    List<String> alone = CassandraCommand.build(lone);
    List<String> joiner = CassandraCommand.build(lone.asMember(2, 41000));

    assertTrue(alone.contains("-Dcassandra.ring_delay_ms=1000"), alone.toString());
    assertTrue(joiner.contains("-Dcassandra.ring_delay_ms=" + CassandraCommand.JOINER_RING_DELAY_MS),
        joiner.toString());
    assertTrue(CassandraCommand.JOINER_RING_DELAY_MS >= 10_000);
  }
}
