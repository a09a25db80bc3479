package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Directories on one node over a real Cassandra, through HTTP: a listing paged through while other clients add
 * and remove names, recursive delete, and a large directory of whole file creates (entries from
 * {@code -Dtensorfs.it.dir-entries}, 5,000 by default) whose creates are as fast at the end as at the start
 * and which a restarted node lists again. DirectoryScaleIT grows one to 1,000,000 names without the files.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DirectoryIT {
  private static final int ENTRIES = Integer.getInteger("tensorfs.it.dir-entries", 5_000);
  private static final int CLIENTS = 16;
  /** Inserts timed at the start and at the end of the large directory. */
  private static final int WINDOW = 1000;
  private static final byte[] ONE = {7};

  private static Path dir;
  private static NodeProcess node;
  private static TfsHttp http;

  @BeforeAll
  static void start() throws Exception {
    var cassandra = SharedCassandra.get();
    dir = RepoPaths.scratch("directories");
    SharedCassandra.deleteTree(dir);
    node = newNode(cassandra.contactPoint()).start(Duration.ofMinutes(3));
    http = new TfsHttp(node);
  }

  private static NodeProcess newNode(String cassandra) {
    return new NodeProcess("node-1", dir.resolve("node-1"), cassandra, "it_dirs", List.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  @Order(1)
  void shouldListEveryStableNameOnceWhileOthersAddAndRemove() throws Exception {
    Set<String> stable = new TreeSet<>();
    for (int i = 0; i < 150; i++) stable.add("n%03d-stable".formatted(i * 2));
    runAll(stable.stream().map(name -> (Task) () -> put("/live/d/" + name)).toList());

    AtomicBoolean churning = new AtomicBoolean(true);
    AtomicInteger churned = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    List<Future<?>> churn = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      churn.add(writers.submit(() -> {
        List<String> mine = new ArrayList<>();
        for (int i = 0; churning.get(); i++) {
          // Names that fall between the stable ones, before and after the lister's position.
          String name = "n%03d-churn-%d-%d".formatted((i * 37 + thread * 11) % 300, thread, i);
          put("/live/d/" + name);
          mine.add(name);
          if (mine.size() > 3) delete("/live/d/" + mine.remove(0));
          churned.incrementAndGet();
        }
        return null;
      }));
    }
    try {
      for (int listing = 0; listing < 3; listing++) {
        List<String> seen = pageThrough("/live/d", 7);
        assertEquals(seen.size(), new HashSet<>(seen).size(), "no name listed twice: " + seen);
        assertTrue(seen.containsAll(stable), "every stable name listed; missing: "
            + stable.stream().filter(n -> !seen.contains(n)).toList());
      }
    } finally {
      churning.set(false);
      for (Future<?> f : churn) f.get(2, TimeUnit.MINUTES);
      writers.shutdown();
    }
    assertTrue(churned.get() > 0, "names were added and removed during the listings");
  }

  @Test
  @Order(2)
  void shouldDeleteATreeThroughTheFileDeleteAndRefuseWithoutRecursive() throws Exception {
    List<String> files = List.of("/tree/job/a", "/tree/job/b/c", "/tree/job/b/d/e", "/tree/job/b/d/f", "/tree/job/g");
    for (String f : files) put(f);
    put("/tree/keep");
    long before = tenantFiles("tree");

    HttpResponse<byte[]> refused = http.delete("/v1/list/tree/job");
    assertEquals(400, refused.statusCode(), text(refused));
    assertEquals(200, http.get("/v1/stat/tree/job/a").statusCode(), "a refused delete deletes nothing");

    HttpResponse<byte[]> deleted = http.delete("/v1/list/tree/job?recursive=true");
    assertEquals(200, deleted.statusCode(), text(deleted));
    JsonNode body = TfsHttp.json(deleted);
    assertEquals("/tree/job", body.get("path").asText());
    assertEquals(files.size(), body.get("filesDeleted").asLong());
    for (String f : files) assertEquals(404, http.get("/v1/stat" + f).statusCode(), f);
    assertEquals(404, http.get("/v1/list/tree/job").statusCode(), "its directories went with their files");
    assertEquals(404, http.get("/v1/list/tree/job/b/d").statusCode());
    assertEquals(List.of("keep"), pageThrough("/tree", 1000));
    assertEquals(before - files.size(), tenantFiles("tree"), "the tenant's usage credited");
    assertEquals(404, http.delete("/v1/list/tree/job?recursive=true").statusCode());
  }

  @Test
  @Order(3)
  void shouldRefuseABadLimitOrToken() throws Exception {
    put("/limits/f");
    for (String query : List.of("limit=0", "limit=10001", "limit=x", "after=%21%21")) {
      HttpResponse<byte[]> r = http.get("/v1/list/limits?" + query);
      assertEquals(400, r.statusCode(), query + ": " + text(r));
      assertEquals("BAD_REQUEST", TfsHttp.json(r).get("error").asText(), query);
    }
    JsonNode last = TfsHttp.json(http.get("/v1/list/limits?limit=1"));
    assertTrue(last.get("next").isNull(), "one entry in a page of one is the last page: " + last);
  }

  @Test
  @Order(4)
  void shouldInsertAsFastIntoALargeDirectoryAndListItAgainAfterARestart() throws Exception {
    // Warm the node's code paths first: the start of the directory must not be timed on a cold JVM.
    timedInserts("/warm/d", 0, WINDOW);
    double startSeconds = timedInserts("/big/d", 0, WINDOW);
    int bulk = ENTRIES - 2 * WINDOW;
    for (int from = WINDOW; from < WINDOW + bulk; from += 10_000) {
      timedInserts("/big/d", from, Math.min(10_000, WINDOW + bulk - from));
    }
    double endSeconds = timedInserts("/big/d", ENTRIES - WINDOW, WINDOW);
    System.out.printf("large directory: %d inserts at 0 took %.2f s (%.0f/s), at %d took %.2f s (%.0f/s), %d clients%n",
        WINDOW, startSeconds, WINDOW / startSeconds, ENTRIES - WINDOW, endSeconds, WINDOW / endSeconds, CLIENTS);
    assertTrue(endSeconds <= 2 * startSeconds, "inserts at " + ENTRIES + " (" + endSeconds + " s) within 2x of those at"
        + " the start (" + startSeconds + " s)");

    long listStart = System.nanoTime();
    int pages = countPages("/big/d", 1000);
    double listSeconds = (System.nanoTime() - listStart) / 1e9;
    System.out.printf("large directory: listed %d entries in %d pages of 1000 in %.2f s (%.1f pages/s)%n",
        ENTRIES, pages, listSeconds, pages / listSeconds);

    String cassandra = SharedCassandra.get().contactPoint();
    node.close();
    long restartStart = System.nanoTime();
    node = newNode(cassandra).start(Duration.ofMinutes(3));
    http = new TfsHttp(node);
    double upSeconds = (System.nanoTime() - restartStart) / 1e9;
    long relistStart = System.nanoTime();
    HttpResponse<byte[]> first = http.get("/v1/list/big/d?limit=10");
    double firstPageSeconds = (System.nanoTime() - relistStart) / 1e9;
    assertEquals(200, first.statusCode(), text(first));
    int again = countPages("/big/d", 10_000);
    double relistSeconds = (System.nanoTime() - relistStart) / 1e9;
    System.out.printf("large directory: node restarted in %.1f s; first page after %.3f s; all %d entries in %.1f s"
        + " (%d pages)%n", upSeconds, firstPageSeconds, ENTRIES, relistSeconds, again);
    assertTrue(firstPageSeconds < 30, "the directory answers soon after the restart: " + firstPageSeconds + " s");
  }

  /** Creates {@code count} files {@code from..} in {@code dir} with {@link #CLIENTS} clients; seconds taken. */
  private double timedInserts(String dir, int from, int count) throws Exception {
    List<Task> tasks = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      String path = dir + "/f%07d".formatted(i);
      tasks.add(() -> put(path));
    }
    long start = System.nanoTime();
    runAll(tasks);
    return (System.nanoTime() - start) / 1e9;
  }

  /** Pages through a directory and checks every page; the number of pages, after checking the count. */
  private int countPages(String dir, int limit) throws Exception {
    int pages = 0;
    int entries = 0;
    String after = null;
    do {
      JsonNode page = page(dir, limit, after);
      entries += page.get("entries").size();
      after = page.get("next").isNull() ? null : page.get("next").asText();
      pages++;
    } while (after != null);
    assertEquals(ENTRIES, entries, dir + " lists every entry");
    return pages;
  }

  /** Every name of a directory, paging through with {@code limit}; checks each page and the order across pages. */
  private List<String> pageThrough(String dir, int limit) throws Exception {
    List<String> names = new ArrayList<>();
    String after = null;
    do {
      JsonNode page = page(dir, limit, after);
      for (JsonNode e : page.get("entries")) {
        String name = e.get("name").asText();
        assertFalse(!names.isEmpty() && names.get(names.size() - 1).compareTo(name) >= 0,
            "names ascend across pages: " + name + " after " + names);
        assertTrue(e.get("type").asText().equals("file") || e.get("type").asText().equals("dir"), e.toString());
        assertTrue(e.has("size"), e.toString());
        names.add(name);
      }
      after = page.get("next").isNull() ? null : page.get("next").asText();
    } while (after != null);
    return names;
  }

  private JsonNode page(String dir, int limit, String after) throws Exception {
    HttpResponse<byte[]> r = http.get("/v1/list" + dir + "?limit=" + limit + (after == null ? "" : "&after=" + after));
    assertEquals(200, r.statusCode(), text(r));
    JsonNode page = TfsHttp.json(r);
    assertEquals(dir, page.get("path").asText());
    assertTrue(page.get("entries").isArray() && page.get("entries").size() <= limit, page.toString());
    assertTrue(page.has("next") && (page.get("next").isNull() || page.get("next").isTextual()), page.toString());
    return page;
  }

  private long tenantFiles(String tenant) throws Exception {
    HttpResponse<byte[]> r = http.get("/v1/admin/tenants/" + tenant);
    assertEquals(200, r.statusCode(), text(r));
    return TfsHttp.json(r).get("usedFiles").asLong();
  }

  private static Void put(String path) throws Exception {
    HttpResponse<byte[]> r = http.put("/v1/files" + path, ONE);
    assertEquals(201, r.statusCode(), path + ": " + text(r));
    return null;
  }

  private static void delete(String path) throws Exception {
    HttpResponse<byte[]> r = http.delete("/v1/files" + path);
    assertEquals(204, r.statusCode(), path + ": " + text(r));
  }

  private static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private interface Task {
    Object run() throws Exception;
  }

  /** Runs the tasks on {@link #CLIENTS} threads; fails with the first failure. */
  private static void runAll(List<Task> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<Object>> done = new ArrayList<>();
      for (Task t : tasks) done.add(pool.submit(t::run));
      for (Future<Object> f : done) f.get(10, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
  }
}
