package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.deploy.CassandraDirectoryStore;
import io.tensorfs.deploy.MetadataSettings;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.DirectoryEntity;
import io.tensorfs.sharding.Rejected;
import io.tensorfs.sharding.DirectorySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One directory grown to {@code -Dtensorfs.it.dir-scale-entries} names (20,000 by default; 1,000,000 for the
 * full run) by 16 concurrent clients of its entity over the Cassandra store, without the file entities a
 * create also writes (DirectoryIT times whole creates): the inserts at the end take at most twice as long as
 * those at the start, and a new entity (a node restart) lists the directory at once.
 */
class DirectoryScaleIT {
  private static final int ENTRIES = Integer.getInteger("tensorfs.it.dir-scale-entries", 20_000);
  private static final int CLIENTS = 16;
  /** Clients that fill the directory between the timed windows (larger batches: it only has to get there). */
  private static final int BULK_CLIENTS = 256;
  private static final int WINDOW = Math.min(10_000, ENTRIES / 10);
  private static final String KEYSPACE = "it_dirscale";
  private static final Duration ASK = Duration.ofSeconds(60);

  private static CqlSession session;
  private static ActorSystem<Void> system;
  private static CassandraDirectoryStore store;
  private static int spawned;
  private static final AtomicInteger RETRIES = new AtomicInteger();

  @BeforeAll
  static void start() {
    var cassandra = SharedCassandra.get();
    DriverConfigLoader profiles = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
        .startProfile(MetadataSettings.READ_PROFILE)
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_ONE").endProfile()
        .startProfile(MetadataSettings.WRITE_PROFILE)
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_ONE").endProfile()
        .build();
    session = CqlSession.builder().addContactPoint(cassandra.cqlAddress()).withLocalDatacenter("datacenter1")
        .withConfigLoader(profiles).build();
    session.execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + KEYSPACE
        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").setTimeout(Duration.ofMinutes(1)));
    String table = KEYSPACE + ".directory_entries";
    session.execute(SimpleStatement.newInstance(CassandraDirectoryStore.createTable(table)).setTimeout(Duration.ofMinutes(1)));
    session.execute(SimpleStatement.newInstance("TRUNCATE " + table).setTimeout(Duration.ofMinutes(1)));
    store = new CassandraDirectoryStore(CompletableFuture.completedFuture(session), table);
    // The entity alone, in a plain local system: no cluster, no journal.
    system = ActorSystem.create(Behaviors.empty(), "dirscale",
        ConfigFactory.parseString("pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
            .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    if (system != null) system.terminate();
    if (session != null) session.close();
  }

  @Test
  void shouldInsertAsFastAtTheEndAsAtTheStartAndListAtOnceAfterARestart() throws Exception {
    ActorRef<DirectoryEntity.Command> warm = entity("/warm/d");
    insert(warm, 0, WINDOW, CLIENTS);
    ActorRef<DirectoryEntity.Command> big = entity("/big/d");
    double startSeconds = insert(big, 0, WINDOW, CLIENTS);
    System.out.printf("directory of %d: %d inserts at 0 at %.0f/s (%d clients)%n", ENTRIES, WINDOW,
        WINDOW / startSeconds, CLIENTS);
    long bulkStart = System.nanoTime();
    for (int from = WINDOW; from < ENTRIES - WINDOW; from += 50_000) {
      insert(big, from, Math.min(50_000, ENTRIES - WINDOW - from), BULK_CLIENTS);
    }
    long bulkEnd = System.nanoTime();
    System.out.printf("directory of %d: filled with %d clients at %.0f/s%n", ENTRIES, BULK_CLIENTS,
        (ENTRIES - 2 * WINDOW) / ((bulkEnd - bulkStart) / 1e9));
    double endSeconds = insert(big, ENTRIES - WINDOW, WINDOW, CLIENTS);
    System.out.printf("directory of %d: %d inserts at 0 at %.0f/s, at %d at %.0f/s (%d clients); %d writes retried%n",
        ENTRIES, WINDOW, WINDOW / startSeconds, ENTRIES - WINDOW, WINDOW / endSeconds, CLIENTS, RETRIES.get());
    assertTrue(endSeconds <= 2 * startSeconds,
        "inserts at " + ENTRIES + " took " + endSeconds + " s, at the start " + startSeconds + " s");

    long listStart = System.nanoTime();
    int pages = listAll(big, 1000);
    double listSeconds = (System.nanoTime() - listStart) / 1e9;
    System.out.printf("directory of %d: %d pages of 1000 in %.1f s (%.0f pages/s)%n", ENTRIES, pages, listSeconds,
        pages / listSeconds);

    Adapter.toClassic(system).stop(Adapter.toClassic(big));
    long restart = System.nanoTime();
    ActorRef<DirectoryEntity.Command> again = entity("/big/d");
    List<DirectoryEntity.Child> first = page(again, null, 10);
    double firstSeconds = (System.nanoTime() - restart) / 1e9;
    assertEquals(10, first.size());
    assertEquals(new DirectoryEntity.Added(false), add(again, name(0)).toCompletableFuture().get(1, TimeUnit.MINUTES),
        "the new entity knows what the old one wrote");
    double knowsSeconds = (System.nanoTime() - restart) / 1e9;
    System.out.printf("directory of %d: a new entity lists its first page after %.3f s, answers an insert after %.3f s%n",
        ENTRIES, firstSeconds, knowsSeconds);
    assertTrue(knowsSeconds < 10, "a large directory's entity starts at once: " + knowsSeconds + " s");
  }

  private ActorRef<DirectoryEntity.Command> entity(String dir) {
    return system.systemActorOf(DirectoryEntity.create(dir, store, new DirectorySettings("cassandra", 500, 10_000)),
        "dir-" + (spawned++), Props.empty());
  }

  /** Names spread over the directory, not appended at its end. */
  private static String name(int i) {
    long mixed = (i * 0x9E3779B97F4A7C15L) >>> 24;
    return Long.toHexString(mixed) + "-" + i;
  }

  private CompletionStage<DirectoryEntity.AddChildReply> add(ActorRef<DirectoryEntity.Command> entity, String name) {
    return AskPattern.ask(entity, r -> new DirectoryEntity.AddChild(name, DirEntry.Type.FILE, r), ASK,
        system.scheduler());
  }

  /** Adds names {@code from..from+count} with {@code clientCount} clients, each waiting for its last; seconds. */
  private double insert(ActorRef<DirectoryEntity.Command> entity, int from, int count, int clientCount)
      throws Exception {
    AtomicInteger next = new AtomicInteger(from);
    long start = System.nanoTime();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < clientCount; c++) clients.add(client(entity, next, from + count).toCompletableFuture());
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
    return (System.nanoTime() - start) / 1e9;
  }

  private CompletionStage<Void> client(ActorRef<DirectoryEntity.Command> entity, AtomicInteger next, int end) {
    int i = next.getAndIncrement();
    if (i >= end) return CompletableFuture.completedFuture(null);
    return addOnce(entity, name(i), 0).thenCompose(v -> client(entity, next, end));
  }

  /**
   * Adds a new name as a client would: a write Cassandra timed out (UNAVAILABLE; the busy 2-core machine)
   * is tried again, and may then find the name there already.
   */
  private CompletionStage<Void> addOnce(ActorRef<DirectoryEntity.Command> entity, String name, int retries) {
    return add(entity, name).thenCompose(reply -> {
      if (reply instanceof Rejected r && r.code() == ErrorCode.UNAVAILABLE && retries < 5) {
        RETRIES.incrementAndGet();
        return addOnce(entity, name, retries + 1);
      }
      boolean added = reply.equals(new DirectoryEntity.Added(true))
          || retries > 0 && reply.equals(new DirectoryEntity.Added(false)); // the timed-out write had landed
      assertTrue(added, name + ": " + reply);
      return CompletableFuture.<Void>completedFuture(null);
    });
  }

  private List<DirectoryEntity.Child> page(ActorRef<DirectoryEntity.Command> entity, String after, int limit)
      throws Exception {
    DirectoryEntity.ListReply reply = AskPattern.<DirectoryEntity.Command, DirectoryEntity.ListReply>ask(entity,
        r -> new DirectoryEntity.ListChildren(after, limit, r), ASK, system.scheduler())
        .toCompletableFuture().get(1, TimeUnit.MINUTES);
    return assertInstanceOf(DirectoryEntity.Children.class, reply).children();
  }

  private int listAll(ActorRef<DirectoryEntity.Command> entity, int limit) throws Exception {
    int pages = 0;
    int names = 0;
    String after = null;
    while (true) {
      List<DirectoryEntity.Child> page = page(entity, after, limit);
      pages++;
      names += page.size();
      if (page.size() < limit) break;
      String last = page.get(page.size() - 1).name();
      assertTrue(after == null || after.compareTo(page.get(0).name()) < 0, "pages ascend");
      after = last;
    }
    assertEquals(ENTRIES, names);
    return pages;
  }
}
