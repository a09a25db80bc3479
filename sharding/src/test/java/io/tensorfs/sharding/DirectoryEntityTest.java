package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DirectoryEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final DirEntry.Type FILE = DirEntry.Type.FILE;
  private static final DirEntry.Type DIR = DirEntry.Type.DIR;

  private EventSourcedBehaviorTestKit<DirectoryEntity.Command, DirectoryEntity.Event, DirectoryEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), DirectoryEntity.create("/t/dir"),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private DirectoryEntity.AddChildReply add(String name, DirEntry.Type type) {
    return kit.<DirectoryEntity.AddChildReply>runCommand(r -> new DirectoryEntity.AddChild(name, type, r)).reply();
  }

  private List<DirectoryEntity.Child> list() {
    return kit.<DirectoryEntity.Listing>runCommand(DirectoryEntity.ListChildren::new).reply().children();
  }

  @Test
  void shouldListChildrenSortedByNameWhenAdded() {
    add("zeta", FILE);
    add("alpha", DIR);
    add("mid", FILE);

    assertEquals(List.of(new DirectoryEntity.Child("alpha", DIR), new DirectoryEntity.Child("mid", FILE),
        new DirectoryEntity.Child("zeta", FILE)), list());
  }

  @Test
  void shouldListNothingWhenEmpty() {
    assertEquals(List.of(), list());
  }

  @Test
  void shouldPersistNothingWhenChildIsAddedAgain() {
    assertEquals(new DirectoryEntity.Added(true), add("f", FILE));

    var again = kit.<DirectoryEntity.AddChildReply>runCommand(r -> new DirectoryEntity.AddChild("f", FILE, r));

    assertEquals(new DirectoryEntity.Added(false), again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldRejectChildWhenNameHasTheOtherType() {
    add("f", FILE);
    add("d", DIR);

    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, add("f", DIR)).code());
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, add("d", FILE)).code());
    assertEquals(2, list().size());
  }

  @Test
  void shouldRejectChildWhenNameIsNotASegment() {
    assertEquals(ErrorCode.BAD_PATH, assertInstanceOf(Rejected.class, add("a/b", FILE)).code());
    assertEquals(ErrorCode.BAD_PATH, assertInstanceOf(Rejected.class, add("..", DIR)).code());
  }

  @Test
  void shouldRemoveChildOnlyWithItsType() {
    add("f", FILE);
    add("g", FILE);

    var wrongType = kit.<DirectoryEntity.Removed>runCommand(r -> new DirectoryEntity.RemoveChild("f", DIR, r));
    assertEquals(new DirectoryEntity.Removed(false, 2), wrongType.reply());
    assertTrue(wrongType.hasNoEvents());

    var removed = kit.<DirectoryEntity.Removed>runCommand(r -> new DirectoryEntity.RemoveChild("f", FILE, r));
    assertEquals(new DirectoryEntity.Removed(true, 1), removed.reply());
    assertEquals(List.of(new DirectoryEntity.Child("g", FILE)), list());

    var absent = kit.<DirectoryEntity.Removed>runCommand(r -> new DirectoryEntity.RemoveChild("f", FILE, r));
    assertFalse(absent.reply().existed());
  }

  @Test
  void shouldRecoverStateWhenRestarted() {
    add("b", FILE);
    add("a", DIR);
    kit.<DirectoryEntity.Removed>runCommand(r -> new DirectoryEntity.RemoveChild("b", FILE, r));
    add("c", FILE);
    DirectoryEntity.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(List.of(new DirectoryEntity.Child("a", DIR), new DirectoryEntity.Child("c", FILE)), list());
  }

  @Test
  void shouldRecoverFromSnapshotWhenManyEventsWerePersisted() {
    for (int i = 0; i < 120; i++) add(String.format("f%03d", i), FILE);

    var restarted = kit.restart();

    assertEquals(120, restarted.state().children().size());
    assertEquals("f000", list().get(0).name());
    String persistenceId = PersistenceId.of(DirectoryEntity.ENTITY_TYPE_KEY.name(), "/t/dir").id();
    assertFalse(kit.snapshotTestKit().orElseThrow().persistedInStorage(persistenceId).isEmpty());
  }
}
