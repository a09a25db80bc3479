package io.tensorfs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RejoinTest {
  private static final Duration PEKKO_DEFAULT = Duration.ofSeconds(5);
  private static final Duration REJOIN = Duration.ofSeconds(30);

  private static Config node(Path data, int port, String... seeds) {
    String[] args = new String[4 + 2 * seeds.length];
    args[0] = "--data";
    args[1] = data.toString();
    args[2] = "--cluster-port";
    args[3] = Integer.toString(port);
    for (int i = 0; i < seeds.length; i++) {
      args[4 + 2 * i] = "--seed";
      args[5 + 2 * i] = seeds[i];
    }
    return NodeArgs.parse(args).config();
  }

  private static Duration firstSeedWait(Config c) {
    return Rejoin.adjust(c).getDuration("pekko.cluster.seed-node-timeout");
  }

  @Test
  void shouldKeepPekkosWaitOnAFirstStartAndLengthenItOnceTheNodeWasUp(@TempDir Path data) throws Exception {
    Config first = node(data, 25520, "127.0.0.1:25520", "127.0.0.1:25521", "127.0.0.1:25522");
    assertFalse(Rejoin.rejoinsAsFirstSeed(first), "no mark yet: a first start founds or joins as Pekko does");
    assertEquals(PEKKO_DEFAULT, firstSeedWait(first));

    Rejoin.remember(first);
    assertTrue(Files.readString(data.resolve(Rejoin.MARK)).startsWith("Up in a cluster at "));
    assertFalse(Files.exists(data.resolve(Rejoin.MARK + ".tmp")), "written through a temporary file, moved in place");

    Config again = node(data, 25520, "127.0.0.1:25520", "127.0.0.1:25521", "127.0.0.1:25522");
    assertTrue(Rejoin.rejoinsAsFirstSeed(again));
    assertEquals(REJOIN, firstSeedWait(again), "the restarted first seed looks for the running cluster longer");
    assertEquals(again.getStringList("pekko.cluster.seed-nodes"), Rejoin.adjust(again).getStringList("pekko.cluster.seed-nodes"),
        "the seeds themselves are left as given");
  }

  @Test
  void shouldLeaveOtherSeedsAndLoneNodesAlone(@TempDir Path data) throws Exception {
    Rejoin.remember(node(data, 25521));
    // Not the first seed: Pekko's join process retries every seed-node-timeout and never founds a cluster.
    assertEquals(PEKKO_DEFAULT, firstSeedWait(node(data, 25521, "127.0.0.1:25520", "127.0.0.1:25521")));
    // Its own only seed: nobody to wait for.
    assertEquals(PEKKO_DEFAULT, firstSeedWait(node(data, 25521, "127.0.0.1:25521")));
    // No seeds at all (the one-machine default joins itself).
    assertEquals(PEKKO_DEFAULT, firstSeedWait(node(data, 25521)));
    // Another host's address first, though its port is this node's.
    assertEquals(PEKKO_DEFAULT, firstSeedWait(node(data, 25521, "10.0.0.7:25521", "127.0.0.1:25520")));
  }
}
