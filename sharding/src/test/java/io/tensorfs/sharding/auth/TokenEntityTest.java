package io.tensorfs.sharding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import java.security.SecureRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());

  private EventSourcedBehaviorTestKit<TokenEntity.Command, TokenEntity.Event, TokenEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), TokenEntity.create(TokenEntity.ID),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static TokenRecord record(String tenant, Role role) {
    TokenText t = TokenText.generate(new SecureRandom());
    return new TokenRecord(t.id(), tenant, role, "d", 1_700_000_000_000L, false, t.secretHash());
  }

  private TokenEntity.Reply run(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<TokenEntity.Reply>,
      TokenEntity.Command> command) {
    return kit.<TokenEntity.Reply>runCommand(command::apply).reply();
  }

  @Test
  void shouldCreateListRevokeAndRecover() {
    TokenRecord a = record("team", Role.READ_WRITE);
    TokenRecord b = record(null, Role.ADMIN);
    assertEquals(new TokenEntity.Found(a), run(r -> new TokenEntity.Create(a, r)));
    assertEquals(new TokenEntity.Found(b), run(r -> new TokenEntity.Create(b, r)));
    assertEquals(new TokenEntity.Found(a.asRevoked()), run(r -> new TokenEntity.Revoke(a.id(), 5, r)));
    assertEquals(new TokenEntity.Found(a.asRevoked()), run(r -> new TokenEntity.Revoke(a.id(), 6, r)), "again is fine");
    kit.restart();
    assertEquals(new TokenEntity.All(java.util.List.of(a.asRevoked(), b)), run(TokenEntity.GetAll::new));
    assertEquals(new TokenEntity.Found(b), run(r -> new TokenEntity.Get(b.id(), r)));
  }

  @Test
  void shouldFindTheSameTokenAgainButRefuseAnotherUnderItsId() {
    TokenRecord a = record(null, Role.ADMIN);
    run(r -> new TokenEntity.Create(a, r));
    var again = kit.<TokenEntity.Reply>runCommand(r -> new TokenEntity.Create(a, r));
    assertTrue(again.events().isEmpty(), "nothing persisted twice");
    TokenRecord other = new TokenRecord(a.id(), "x", Role.READ_ONLY, "", 0, false, record("x", Role.READ_ONLY).secretSha256());
    assertEquals(ErrorCode.CONFLICT, ((TokenEntity.Refused) run(r -> new TokenEntity.Create(other, r))).code());
    assertEquals(ErrorCode.NOT_FOUND, ((TokenEntity.Refused) run(r -> new TokenEntity.Get("0123456789ab", r))).code());
    assertEquals(ErrorCode.NOT_FOUND, ((TokenEntity.Refused) run(r -> new TokenEntity.Revoke("0123456789ab", 1, r))).code());
  }
}
