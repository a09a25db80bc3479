package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import java.util.HexFormat;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Policies as the journal keeps them (Jackson CBOR, inside file and chunk events): the bytes below were
 * written by the version before min-insync existed, and must read back with the default min-insync, so the
 * events in Cassandra from before replay as they were meant.
 */
class PolicySerializationTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create();
  private static final Serialization SERIALIZATION = SerializationExtension.get(TEST_KIT.system().classicSystem());

  /** Policy.PERSISTENT: {kind, replicas, cacheMin, cacheMax}, no minInsync. */
  private static final String OLD_PERSISTENT =
      "bf646b696e646a50455253495354454e54687265706c69636173036863616368654d696e006863616368654d617800ff";
  private static final String OLD_KVCACHE =
      "bf646b696e64674b564341434845687265706c69636173016863616368654d696e006863616368654d617800ff";
  private static final String OLD_CACHE_2_8 =
      "bf646b696e64654341434845687265706c69636173036863616368654d696e026863616368654d617808ff";
  /** ChunkEntity.ReplicasPlaced(Policy.PERSISTENT, [node-1/store0]). */
  private static final String OLD_REPLICAS_PLACED =
      "bf66706f6c696379bf646b696e646a50455253495354454e54687265706c69636173036863616368654d696e006863616368654d617800ff"
          + "687265706c6963617381bf646e6f6465666e6f64652d316573746f72656673746f726530ffff";
  /** FileEntity.UploadBegun(Upload(0b4a…, cache(1,4), 4 MiB, 1764489600000)). */
  private static final String OLD_UPLOAD_BEGUN =
      "bf6675706c6f6164bf6666696c654964bf6576616c756578203062346139633165306331633465353739643437356436623262396138663130ff"
          + "66706f6c696379bf646b696e64654341434845687265706c69636173036863616368654d696e016863616368654d617804ff"
          + "6e6368756e6b53697a6542797465731a004000006f7374617274656441744d696c6c69731b0000019ad3c69c00ffff";

  @AfterAll
  static void stop() {
    TEST_KIT.shutdownTestKit();
  }

  private static Object read(String hex, Class<?> type) {
    Serializer cbor = SERIALIZATION.findSerializerFor(Policy.PERSISTENT);
    return SERIALIZATION.deserialize(HexFormat.of().parseHex(hex), cbor.identifier(), type.getName()).get();
  }

  private static Object roundTrip(Object o) {
    Serializer s = SERIALIZATION.findSerializerFor(o);
    return SERIALIZATION.deserialize(SERIALIZATION.serialize(o).get(), s.identifier(), Serializers.manifestFor(s, o)).get();
  }

  @Test
  void shouldReadThePolicyWithTheDefaultMinInsyncWhenItWasJournaledBeforeMinInsync() {
    Policy persistent = (Policy) read(OLD_PERSISTENT, Policy.class);
    assertEquals(Policy.PERSISTENT, persistent);
    assertEquals(2, persistent.minInsync());
    assertEquals(Policy.KVCACHE, read(OLD_KVCACHE, Policy.class));
    assertEquals(1, ((Policy) read(OLD_KVCACHE, Policy.class)).minInsync());
    Policy cache = (Policy) read(OLD_CACHE_2_8, Policy.class);
    assertEquals(Policy.parse("cache(2,8)"), cache);
    assertEquals(2, cache.minInsync());
  }

  @Test
  void shouldReplayOldEventsWithTheDefaultMinInsync() {
    assertEquals(new ChunkEntity.ReplicasPlaced(Policy.PERSISTENT, List.of(new ReplicaLocation("node-1", "store0"))),
        read(OLD_REPLICAS_PLACED, ChunkEntity.ReplicasPlaced.class));
    FileEntity.UploadBegun begun = (FileEntity.UploadBegun) read(OLD_UPLOAD_BEGUN, FileEntity.UploadBegun.class);
    assertEquals(new FileEntity.Upload(new FileId("0b4a9c1e0c1c4e579d475d6b2b9a8f10"), Policy.parse("cache(1,4)"), 4194304,
        1764489600000L), begun.upload());
    assertEquals(2, begun.upload().policy().minInsync());
  }

  @Test
  void shouldKeepMinInsyncWhenSerialized() {
    for (String text : new String[] {"persistent", "persistent(3,3)", "persistent(2,1)", "persistent(5,4)", "kvcache",
        "cache(2,8)"}) {
      Policy p = Policy.parse(text);
      assertEquals(p, roundTrip(p), text);
      assertEquals(p.minInsync(), ((Policy) roundTrip(p)).minInsync(), text);
    }
    var placed = new ChunkEntity.ReplicasPlaced(Policy.parse("persistent(3,3)"), List.of(new ReplicaLocation("n", "d0")));
    assertEquals(placed, roundTrip(placed));
  }
}
