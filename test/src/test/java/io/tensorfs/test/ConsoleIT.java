package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin console in a real browser (Debian's chromium, headless, through chromium-driver) against three
 * node processes: it refuses a bad token and opens with the admin token, shows the three members, the
 * shard and entity counts the nodes report, a file's chunk replicas, drains node-3 until it holds no
 * replica, and shows a live event when a node is killed. Screenshots go to target/console-screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  private static final String FILE = "/console/weights";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static LocalCluster cluster;
  private static WebDriver browser;
  private static String token;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "the console's browser tests need Debian's chromium and chromium-driver (scripts/ensure-deps installs them)");
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.kind=tcp");
    cluster = new LocalCluster("console", 3, props).start();
    Path tokenFile = NodeProcess.adminTokenFile(cluster.node(1).dataDir());
    token = Files.exists(tokenFile) ? Files.readString(tokenFile).trim() : "no-token-file";
    // 12 MiB in 4 MiB chunks, two replicas each, written through node-3 so that it holds one of each
    // (the writer's node is the chain's head), and it can be drained onto the other two.
    HttpResponse<String> put = call("PUT", 3, "/v1/files" + FILE + "?policy=persistent(2,2)",
        HttpRequest.BodyPublishers.ofByteArray(SingleNodeIT.random(12 << 20, 7)));
    assertEquals(201, put.statusCode(), put.body());
    Files.createDirectories(SHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) browser.quit();
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(1)
  void shouldRefuseTheConsoleWithoutAValidToken() throws Exception {
    assumeTrue(Files.exists(NodeProcess.adminTokenFile(cluster.node(1).dataDir())),
        "this build has no authentication (no admin token file), so nothing is refused");
    browser.get(cluster.node(1).baseUri().resolve("/console/").toString());
    login("tfs_000000000000_notatoken");
    WebElement error = until(d -> {
      WebElement e = d.findElement(By.id("login-error"));
      return e.isDisplayed() ? e : null;
    });
    assertTrue(error.getText().contains("UNAUTHENTICATED"), error.getText());
    assertFalse(browser.findElement(By.id("app")).isDisplayed(), "no view is shown without a valid token");
    HttpResponse<String> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(cluster.node(1).baseUri() + "/v1/admin/cluster")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, direct.statusCode(), "the views need the token: " + direct.body());
    shot("console-login-refused");
  }

  @Test
  @Order(2)
  void shouldShowTheThreeMembers() throws Exception {
    browser.get(cluster.node(1).baseUri().resolve("/console/").toString());
    login(token);
    until(d -> d.findElements(By.cssSelector("#members tr.member[data-status='Up']")).size() == 3);
    Set<String> nodes = new TreeSet<>(rows("#members tr.member", "r.dataset.node"));
    assertEquals(Set.of("node-1", "node-2", "node-3"), nodes);
    shot("console-cluster");
  }

  @Test
  @Order(3)
  void shouldShowEachNodesStoresCacheAndCharts() throws Exception {
    tab("nodes");
    until(d -> d.findElements(By.cssSelector("#nodes .nodecard")).size() == 3
        && d.findElements(By.cssSelector("#nodes .nodecard svg.chart")).size() >= 3 * 5);
    List<String> cards = rows("#nodes .nodecard", "r.dataset.node + ' ' + r.querySelectorAll('tbody tr').length");
    assertEquals(List.of("node-1 1", "node-2 1", "node-3 1"), cards, "each node with its one store");
    shot("console-nodes");
  }

  @Test
  @Order(4)
  void shouldShowTheShardAndEntityCountsTheNodesReport() throws Exception {
    tab("sharding");
    until(d -> !d.findElements(By.cssSelector("tr.region[data-type='chunk']")).isEmpty());
    // Entities come and go; the shown counts must equal what the nodes report at some moment close by.
    Map<String, String> shown = null;
    Map<String, String> reported = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      shown = shownRegions();
      reported = reportedRegions();
      if (shown.equals(reported)) break;
      Thread.sleep(3500); // the console refreshes every 3 s
    }
    assertEquals(reported, shown);
    assertTrue(reported.keySet().stream().anyMatch(k -> k.startsWith("chunk ")), "chunk shards are listed: " + reported);
    shot("console-sharding");
  }

  @Test
  @Order(6)
  void shouldShowAFilesChunkReplicas() throws Exception {
    tab("data");
    WebElement path = browser.findElement(By.id("browse-path"));
    path.clear();
    path.sendKeys(FILE);
    browser.findElement(By.id("browse-go")).click();
    until(d -> d.findElements(By.cssSelector("#chunks tr.chunk-replica")).size() == 6);
    JsonNode stat = stat();
    assertTrue(replicasOf(stat).stream().anyMatch(r -> r.contains(" node-3 ")), "node-3 holds replicas: " + stat);
    assertEquals(replicasOf(stat), shownReplicas(), "the console shows the replicas /v1/stat lists");
    shot("console-data");
  }

  @Test
  @Order(7)
  void shouldSetATenantsQuotaAndCreateATokenFromTheConsole() throws Exception {
    tab("actions");
    type("quota-tenant", "console");
    type("quota-files", "100");
    confirm("set-quota");
    until(d -> d.findElement(By.id("action-result")).getText().contains("quota of console set"));
    HttpResponse<String> tenant = call("GET", 2, "/v1/admin/tenants/console", HttpRequest.BodyPublishers.noBody());
    assertEquals(100, new com.fasterxml.jackson.databind.ObjectMapper().readTree(tenant.body()).get("maxFiles").asInt(),
        tenant.body());

    new Select(browser.findElement(By.id("token-role"))).selectByValue("read-only");
    type("token-tenant", "console");
    type("token-description", "made in the console");
    confirm("create-token");
    WebElement shown = until(d -> {
      WebElement e = d.findElement(By.id("new-token"));
      return e.isDisplayed() ? e : null;
    });
    String made = shown.getText().substring(shown.getText().lastIndexOf(' ') + 1);
    HttpResponse<String> read = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(cluster.node(1).baseUri() + "/v1/stat" + FILE)).header("Authorization", "Bearer " + made).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, read.statusCode(), "the new read-only token reads its tenant: " + read.body());
    HttpResponse<String> write = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(cluster.node(1).baseUri() + "/v1/files/console/x")).header("Authorization", "Bearer " + made)
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, write.statusCode(), "and cannot write: " + write.body());
    shot("console-actions");
  }

  @Test
  @Order(8)
  void shouldDrainNodeThreeFromTheConsole() throws Exception {
    tab("actions");
    until(d -> d.findElements(By.cssSelector("#action-node option[value='node-3']")).size() == 1);
    new Select(browser.findElement(By.id("action-node"))).selectByValue("node-3");
    confirm("drain");
    WebElement result = until(d -> {
      WebElement r = d.findElement(By.id("action-result"));
      return r.getText().isEmpty() ? null : r;
    });
    assertFalse(result.getText().startsWith("Failed"), result.getText());
    JsonNode stat = awaitStat(s -> {
      for (JsonNode chunk : s.get("chunks")) {
        int clean = 0;
        for (JsonNode r : chunk.get("replicas")) {
          if (r.get("node").asText().equals("node-3")) return false;
          if (r.get("state").asText().equals("CLEAN")) clean++;
        }
        if (clean < 2) return false;
      }
      return true;
    }, Duration.ofMinutes(2));
    until(d -> !d.findElements(By.cssSelector("#drains tr.drain[data-node='node-3'][data-state='drained']")).isEmpty());
    tab("data");
    until(d -> !d.findElements(By.cssSelector("#chunks tr.chunk-replica")).isEmpty()
        && d.findElements(By.cssSelector("#chunks tr.chunk-replica[data-node='node-3']")).isEmpty());
    assertEquals(replicasOf(stat), shownReplicas(), "the data view shows the replicas after the drain");
    shot("console-drained");
  }

  @Test
  @Order(9)
  void shouldShowALiveEventWhenANodeIsKilled() throws Exception {
    tab("cluster");
    cluster.node(2).kill();
    until(d -> !d.findElements(By.cssSelector("#events li.event[data-node='node-2'][data-kind='unreachable']")).isEmpty());
    until(d -> !d.findElements(By.cssSelector("#members tr.member[data-node='node-2'][data-reachable='false']")).isEmpty());
    shot("console-event");
  }

  private static void login(String text) {
    WebElement input = until(d -> {
      WebElement e = d.findElement(By.id("token"));
      return e.isDisplayed() ? e : null;
    });
    input.clear();
    input.sendKeys(text);
    browser.findElement(By.id("login-button")).click();
  }

  private static void type(String id, String text) {
    WebElement input = browser.findElement(By.id(id));
    input.clear();
    input.sendKeys(text);
  }

  /** Clicks the action button {@code id} and confirms in the dialog. */
  private static void confirm(String id) {
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("document.getElementById('action-result').textContent = ''");
    browser.findElement(By.id(id)).click();
    until(d -> d.findElement(By.id("confirm")).isDisplayed());
    browser.findElement(By.id("confirm-yes")).click();
  }

  private static void tab(String view) {
    browser.findElement(By.cssSelector("nav button[data-view='" + view + "']")).click();
  }

  /** {@code "type node" -> "shards/entities"} as the console shows them. */
  private static Map<String, String> shownRegions() {
    Map<String, String> out = new HashMap<>();
    for (String row : rows("tr.region", "r.dataset.type + ' ' + r.dataset.node + '=' + r.dataset.shards + '/' + r.dataset.entities")) {
      out.put(row.substring(0, row.indexOf('=')), row.substring(row.indexOf('=') + 1));
    }
    return out;
  }

  private static Map<String, String> reportedRegions() throws Exception {
    HttpResponse<String> r = call("GET", 1, "/v1/admin/sharding", HttpRequest.BodyPublishers.noBody());
    assertEquals(200, r.statusCode(), r.body());
    Map<String, String> out = new HashMap<>();
    for (JsonNode type : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("types")) {
      for (JsonNode region : type.get("regions")) {
        out.put(type.get("type").asText() + " " + region.get("node").asText(),
            region.get("shards").asInt() + "/" + region.get("entities").asInt());
      }
    }
    return out;
  }

  /** Polls {@code GET /v1/stat} of the file on node-1, with the admin token, until {@code test} holds. */
  private static JsonNode awaitStat(java.util.function.Predicate<JsonNode> test, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < until) {
      last = stat();
      if (test.test(last)) return last;
      Thread.sleep(500); // polling other processes' state
    }
    throw new AssertionError("stat of " + FILE + " never matched within " + deadline + "; last: " + last);
  }

  private static JsonNode stat() throws Exception {
    HttpResponse<String> r = call("GET", 1, "/v1/stat" + FILE, HttpRequest.BodyPublishers.noBody());
    assertEquals(200, r.statusCode(), r.body());
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
  }

  /** {@code "chunk node state"} of every replica. */
  private static Set<String> replicasOf(JsonNode stat) {
    Set<String> out = new TreeSet<>();
    for (JsonNode chunk : stat.get("chunks")) {
      for (JsonNode r : chunk.get("replicas")) {
        out.add(chunk.get("index").asInt() + " " + r.get("node").asText() + " " + r.get("state").asText());
      }
    }
    return out;
  }

  private static Set<String> shownReplicas() {
    return new TreeSet<>(rows("#chunks tr.chunk-replica", "r.dataset.chunk + ' ' + r.dataset.node + ' ' + r.dataset.state"));
  }

  /**
   * {@code expression} of each row that {@code selector} finds, read in one script: the console redraws its
   * tables every few seconds, so rows read one call at a time could be replaced between the calls.
   */
  @SuppressWarnings("unchecked")
  private static List<String> rows(String selector, String expression) {
    Object out = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll(arguments[0])].map(r => " + expression + ");", selector);
    return (List<String>) out;
  }

  private static <T> T until(java.util.function.Function<WebDriver, T> condition) {
    return new WebDriverWait(browser, WAIT).until(condition::apply);
  }

  private static void shot(String name) throws Exception {
    Path png = browser instanceof org.openqa.selenium.TakesScreenshot t ? t.getScreenshotAs(OutputType.FILE).toPath() : null;
    if (png != null) Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static HttpResponse<String> call(String method, int node, String path, HttpRequest.BodyPublisher body)
      throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.node(node).baseUri() + path))
        .header("Authorization", "Bearer " + token).method(method, body).timeout(Duration.ofSeconds(60)).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
