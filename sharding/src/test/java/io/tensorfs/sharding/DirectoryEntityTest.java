package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DirectoryEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create();
  private static final DirEntry.Type FILE = DirEntry.Type.FILE;
  private static final DirEntry.Type DIR = DirEntry.Type.DIR;
  private static final TfsPath DIR_PATH = TfsPath.parse("/t/dir");
  private static final DirectorySettings SETTINGS = new DirectorySettings(DirectorySettings.MEMORY, 500, 1000);

  private GatedStore store;
  private ActorRef<DirectoryEntity.Command> entity;

  @BeforeEach
  void setUp() {
    store = new GatedStore();
    entity = TEST_KIT.spawn(DirectoryEntity.create(DIR_PATH.toString(), store, SETTINGS));
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private DirectoryEntity.AddChildReply add(String name, DirEntry.Type type) {
    TestProbe<DirectoryEntity.AddChildReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.AddChild(name, type, probe.ref()));
    return probe.receiveMessage();
  }

  private DirectoryEntity.RemoveChildReply remove(String name, DirEntry.Type type) {
    TestProbe<DirectoryEntity.RemoveChildReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.RemoveChild(name, type, probe.ref()));
    return probe.receiveMessage();
  }

  private List<DirectoryEntity.Child> list(String after, int limit) {
    TestProbe<DirectoryEntity.ListReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.ListChildren(after, limit, probe.ref()));
    return assertInstanceOf(DirectoryEntity.Children.class, probe.receiveMessage()).children();
  }

  @Test
  void shouldListNamesSortedPageByPage() {
    for (String name : List.of("zeta", "alpha", "mid", "beta", "\uD83D\uDE00", "\uFFFD")) {
      assertEquals(new DirectoryEntity.Added(true), add(name, FILE));
    }
    // Java String order: U+FFFD sorts after the surrogate pair of U+1F600.
    List<String> expected = List.of("alpha", "beta", "mid", "zeta", "\uD83D\uDE00", "\uFFFD");
    List<String> paged = new ArrayList<>();
    String after = null;
    for (int pages = 0; pages < 10; pages++) {
      List<DirectoryEntity.Child> page = list(after, 4);
      page.forEach(c -> paged.add(c.name()));
      if (page.size() < 4) break;
      after = page.get(page.size() - 1).name();
    }
    assertEquals(expected, paged);
    assertEquals(List.of(new DirectoryEntity.Child("beta", FILE)), list("alpha", 1));
  }

  @Test
  void shouldRefuseAFileWhereADirectoryIsAndTheOtherWayRound() {
    assertEquals(new DirectoryEntity.Added(true), add("d", DIR));
    assertEquals(new DirectoryEntity.Added(true), add("f", FILE));
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, add("d", FILE)).code());
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, add("f", DIR)).code());
    assertEquals(new DirectoryEntity.Added(false), add("d", DIR));
    assertEquals(ErrorCode.BAD_PATH, assertInstanceOf(Rejected.class, add("a/b", FILE)).code());
    assertEquals(ErrorCode.BAD_PATH, assertInstanceOf(Rejected.class, add("..", DIR)).code());
  }

  @Test
  void shouldConflictWithinOneBatch() {
    store.hold();
    TestProbe<DirectoryEntity.AddChildReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.AddChild("first", FILE, probe.ref()));
    awaitWrites(1); // the first write is in flight: the next adds wait for it, and are batched together
    entity.tell(new DirectoryEntity.AddChild("x", FILE, probe.ref()));
    entity.tell(new DirectoryEntity.AddChild("x", DIR, probe.ref()));
    entity.tell(new DirectoryEntity.AddChild("x", FILE, probe.ref()));
    store.release();
    assertEquals(new DirectoryEntity.Added(true), probe.receiveMessage());
    assertEquals(new DirectoryEntity.Added(true), probe.receiveMessage());
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, probe.receiveMessage()).code());
    assertEquals(new DirectoryEntity.Added(false), probe.receiveMessage());
    assertEquals(2, store.writes());
  }

  @Test
  void shouldBatchTheChangesThatArriveDuringAWrite() {
    store.hold();
    TestProbe<DirectoryEntity.AddChildReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.AddChild("f-0000", FILE, probe.ref()));
    awaitWrites(1);
    for (int i = 1; i <= 200; i++) entity.tell(new DirectoryEntity.AddChild("f-%04d".formatted(i), FILE, probe.ref()));
    store.release();
    for (int i = 0; i <= 200; i++) assertEquals(new DirectoryEntity.Added(true), probe.receiveMessage());
    assertEquals(2, store.writes(), "one write for the first add, one for the 200 that waited");
    assertEquals(2, store.lookups(), "one read of unknown names per batch");
    assertEquals(201, list(null, 1000).size());
  }

  @Test
  void shouldAnswerKnownNamesWithoutTheStore() {
    add("d", DIR);
    long lookups = store.lookups();
    long writes = store.writes();
    for (int i = 0; i < 10; i++) assertEquals(new DirectoryEntity.Added(false), add("d", DIR));
    assertEquals(lookups, store.lookups());
    assertEquals(writes, store.writes());
  }

  @Test
  void shouldRemoveAndSayWhenTheDirectoryIsEmpty() {
    add("f", FILE);
    add("g", FILE);
    long writes = store.writes();
    assertEquals(new DirectoryEntity.Removed(false, false), remove("f", DIR));
    assertEquals(writes, store.writes(), "removing a name of the other type writes nothing");
    assertEquals(new DirectoryEntity.Removed(true, false), remove("f", FILE));
    assertEquals(new DirectoryEntity.Removed(false, false), remove("f", FILE));
    assertEquals(new DirectoryEntity.Removed(true, true), remove("g", FILE));
    assertEquals(List.of(), list(null, 10));
  }

  @Test
  void shouldFailUnavailableWhenTheStoreFailsAndWorkAfter() {
    store.failNext();
    assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(Rejected.class, add("f", FILE)).code());
    assertEquals(new DirectoryEntity.Added(true), add("f", FILE));
  }

  @Test
  void shouldKnowItsNamesAfterARestartFromTheStoreAlone() {
    add("d", DIR);
    add("f", FILE);
    TEST_KIT.stop(entity);
    entity = TEST_KIT.spawn(DirectoryEntity.create(DIR_PATH.toString(), store, SETTINGS));
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, add("d", FILE)).code());
    assertEquals(new DirectoryEntity.Added(false), add("f", FILE));
    assertEquals(2, list(null, 10).size());
  }

  private void awaitWrites(long n) {
    TEST_KIT.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(store.writes() >= n);
      return null;
    });
  }

  /** The in-memory store, whose writes can be held until released and whose next call can fail. */
  private static final class GatedStore implements DirectoryStore {
    private final InMemoryDirectoryStore inner = new InMemoryDirectoryStore();
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    private final AtomicBoolean failNext = new AtomicBoolean();

    void hold() {
      gate = new CompletableFuture<>();
    }

    void release() {
      gate.complete(null);
    }

    void failNext() {
      failNext.set(true);
    }

    long writes() {
      return inner.writes();
    }

    long lookups() {
      return inner.lookups();
    }

    @Override
    public CompletionStage<Map<String, DirEntry.Type>> lookup(TfsPath dir, Collection<String> names) {
      if (failNext.compareAndSet(true, false)) return CompletableFuture.failedFuture(new RuntimeException("down"));
      return inner.lookup(dir, names);
    }

    @Override
    public CompletionStage<Void> apply(TfsPath dir, List<Change> changes) {
      CompletionStage<Void> applied = inner.apply(dir, changes);
      return gate.thenCompose(v -> applied);
    }

    @Override
    public CompletionStage<List<Entry>> page(TfsPath dir, String afterName, int limit) {
      return inner.page(dir, afterName, limit);
    }
  }

  @Test
  void shouldKeepAnExplicitDirectoryWhenItsLastNameGoesAndHideItsMarker() {
    assertEquals(new DirectoryEntity.Added(true), add(DirectoryEntity.KEEP, DIR));
    add("a", FILE);

    assertEquals(new DirectoryEntity.Removed(true, false), remove("a", FILE),
        "the marker keeps the directory non-empty, so pruning leaves it");
    assertEquals(List.of(), list(null, 10), "the marker is never listed");

    add("b", FILE);
    add("c", FILE);
    assertEquals(List.of("b"), list(null, 1).stream().map(DirectoryEntity.Child::name).toList(),
        "a page of one skips the marker and still holds one name");
    assertEquals(new DirectoryEntity.Removed(true, false), remove(DirectoryEntity.KEEP, DIR));
    remove("b", FILE);
    assertEquals(new DirectoryEntity.Removed(true, true), remove("c", FILE), "without the marker it empties");
  }

  @Test
  void shouldAnswerOneNameAskedByName() {
    add("x", FILE);
    TestProbe<DirectoryEntity.ListReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new DirectoryEntity.GetChild("x", probe.ref()));
    assertEquals(List.of(new DirectoryEntity.Child("x", FILE)),
        assertInstanceOf(DirectoryEntity.Children.class, probe.receiveMessage()).children());
    entity.tell(new DirectoryEntity.GetChild("y", probe.ref()));
    assertEquals(List.of(), assertInstanceOf(DirectoryEntity.Children.class, probe.receiveMessage()).children());
  }
}
