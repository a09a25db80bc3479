package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.S3Keys;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The S3 endpoint driven by the clients users run, Debian's own builds against one real node over a real
 * Cassandra: awscli (cp, ls, rm, multipart through {@code aws s3 cp} of a file over its 8 MiB threshold,
 * ranged {@code s3api get-object}), s3cmd (put, multipart, ls, get, info, del), rclone (copy, ls, check
 * with its MD5s, copy back, purge), boto3 (test/src/test/python/s3_boto3_smoke.py) and a boto3 replay of
 * what NIXL's object-store plugin sends (s3_nixl_replay.py). Every byte that comes back is compared with
 * what was sent; objects written through S3 are read back through the HTTP API too (a bucket is a
 * directory of the key's tenant). {@code CI=true}: a 12 MiB multipart file, else 40 MiB.
 */
class S3ClientsIT {
  private static final String TENANT = "s3it";
  private static final boolean CI = "true".equals(System.getenv("CI"));
  private static final int BIG_MIB = CI ? 12 : 40;
  private static final Duration COMMAND_LIMIT = Duration.ofMinutes(4);
  /** Bucket names of this run (the shared Cassandra may keep an earlier run's namespace). */
  private static final String RUN = Long.toHexString(System.currentTimeMillis());

  private static NodeProcess node;
  private static Path dir;
  private static String endpoint;
  private static String s3Address;
  private static S3Keys.S3Key key;
  private static Path small;
  private static Path big;

  @BeforeAll
  static void startNode() throws Exception {
    dir = RepoPaths.scratch("s3-clients");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir.resolve("home"));
    node = new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(), "it_s3clients",
        List.of()).start(Duration.ofMinutes(3));
    s3Address = node.s3Address();
    endpoint = "http://" + s3Address;
    key = S3Keys.create(node.baseUri(), AdminToken.of(node), TENANT, "read-write");
    small = write(dir.resolve("files/small.bin"), 1, 100_003);
    big = write(dir.resolve("files/big.bin"), 2, (BIG_MIB << 20) + 4321);
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void awscliCopiesListsRangesAndRemoves() throws Exception {
    List<String> aws = List.of("/usr/bin/aws", "--endpoint-url", endpoint, "--no-cli-pager");
    run(concat(aws, "s3", "mb", "s3://awscli-" + RUN));
    run(concat(aws, "s3", "cp", small.toString(), "s3://awscli-" + RUN + "/dir/small.bin"));
    run(concat(aws, "s3", "cp", big.toString(), "s3://awscli-" + RUN + "/dir/big.bin"));
    String ls = run(concat(aws, "s3", "ls", "s3://awscli-" + RUN + "/dir/"));
    assertTrue(ls.contains(Files.size(small) + " small.bin"), ls);
    assertTrue(ls.contains(Files.size(big) + " big.bin"), ls);
    Path out = dir.resolve("out/awscli-big.bin");
    run(concat(aws, "s3", "cp", "s3://awscli-" + RUN + "/dir/big.bin", out.toString()));
    assertSameBytes(big, out);
    Path range = dir.resolve("out/awscli-range.bin");
    run(concat(aws, "s3api", "get-object", "--bucket", "awscli-" + RUN, "--key", "dir/big.bin", "--range", "bytes=1000-2999",
        range.toString()));
    assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(big), 1000, 3000), Files.readAllBytes(range));
    JsonNode head = new ObjectMapper().readTree(run(concat(aws, "s3api", "head-object", "--bucket", "awscli-" + RUN, "--key",
        "dir/big.bin")));
    assertEquals(Files.size(big), head.get("ContentLength").asLong(), head.toString());
    assertTrue(head.get("ETag").asText().matches("\"[0-9a-f]{32}-\\d+\""), "aws s3 cp went multipart: " + head);
    assertArrayEquals(Files.readAllBytes(big), httpGet("/" + TENANT + "/awscli-" + RUN + "/dir/big.bin"), "the same file over HTTP");
    run(concat(aws, "s3", "rm", "s3://awscli-" + RUN + "/dir/small.bin"));
    String after = run(concat(aws, "s3", "ls", "s3://awscli-" + RUN + "/dir/"));
    assertFalse(after.contains("small.bin"), after);
    run(concat(aws, "s3", "rb", "s3://awscli-" + RUN, "--force"));
    assertFalse(run(concat(aws, "s3", "ls")).contains("awscli-" + RUN));
  }

  @Test
  void s3cmdPutsGetsListsAndDeletes() throws Exception {
    Path config = dir.resolve("s3cmd.cfg");
    Files.writeString(config, String.join("\n", "[default]", "access_key = " + key.accessKey(),
        "secret_key = " + key.secretKey(), "host_base = " + s3Address, "host_bucket = " + s3Address,
        "use_https = False", "signature_v2 = False", "bucket_location = us-east-1", "check_ssl_certificate = False", ""));
    List<String> s3cmd = List.of("/usr/bin/s3cmd", "-c", config.toString());
    run(concat(s3cmd, "mb", "s3://s3cmd-" + RUN));
    run(concat(s3cmd, "put", small.toString(), "s3://s3cmd-" + RUN + "/small.bin"));
    String put = run(concat(s3cmd, "put", "--progress", "--multipart-chunk-size-mb=5", big.toString(), "s3://s3cmd-" + RUN + "/big.bin"));
    assertTrue(put.contains("[part 2 of "), "s3cmd uploaded in parts: " + put);
    String ls = run(concat(s3cmd, "ls", "s3://s3cmd-" + RUN + "/"));
    assertTrue(ls.contains("s3://s3cmd-" + RUN + "/small.bin") && ls.contains("s3://s3cmd-" + RUN + "/big.bin"), ls);
    Path out = dir.resolve("out/s3cmd-big.bin");
    run(concat(s3cmd, "get", "--force", "s3://s3cmd-" + RUN + "/big.bin", out.toString()));
    assertSameBytes(big, out);
    Path outSmall = dir.resolve("out/s3cmd-small.bin");
    run(concat(s3cmd, "get", "--force", "s3://s3cmd-" + RUN + "/small.bin", outSmall.toString()));
    assertSameBytes(small, outSmall);
    String info = run(concat(s3cmd, "info", "s3://s3cmd-" + RUN + "/small.bin"));
    assertTrue(info.contains(md5Hex(Files.readAllBytes(small))), "the ETag is the MD5: " + info);
    run(concat(s3cmd, "del", "s3://s3cmd-" + RUN + "/small.bin", "s3://s3cmd-" + RUN + "/big.bin"));
    assertFalse(run(concat(s3cmd, "ls", "s3://s3cmd-" + RUN + "/")).contains("small.bin"));
    run(concat(s3cmd, "rb", "s3://s3cmd-" + RUN));
  }

  @Test
  void rcloneCopiesChecksAndCopiesBack() throws Exception {
    Path tree = dir.resolve("rclone-src");
    Files.createDirectories(tree.resolve("sub/deeper"));
    Files.copy(small, tree.resolve("a.bin"));
    Files.copy(big, tree.resolve("sub/big.bin"));
    write(tree.resolve("sub/deeper/c.bin"), 3, 5);
    write(tree.resolve("empty.bin"), 4, 0);
    Path config = dir.resolve("rclone.conf");
    Files.writeString(config, "");
    List<String> rclone = List.of("/usr/bin/rclone", "--config", config.toString(), "--s3-upload-cutoff", "5M",
        "--s3-chunk-size", "5M", "--retries", "1", "--low-level-retries", "1");
    run(concat(rclone, "mkdir", "tfs:rclone-" + RUN));
    run(concat(rclone, "copy", tree.toString(), "tfs:rclone-" + RUN + "/tree"));
    String ls = run(concat(rclone, "ls", "tfs:rclone-" + RUN + "/tree"));
    for (String line : List.of(Files.size(small) + " a.bin", Files.size(big) + " sub/big.bin", "5 sub/deeper/c.bin",
        "0 empty.bin")) {
      assertTrue(ls.lines().anyMatch(l -> l.strip().equals(line)), "rclone ls lists '" + line + "': " + ls);
    }
    String check = run(concat(rclone, "check", tree.toString(), "tfs:rclone-" + RUN + "/tree"));
    assertTrue(check.contains("0 differences found"), check);
    assertFalse(check.matches("(?s).*[1-9][0-9]* hashes could not be checked.*"), "rclone compared every MD5: " + check);
    Path back = dir.resolve("rclone-back");
    run(concat(rclone, "copy", "tfs:rclone-" + RUN + "/tree", back.toString()));
    for (String name : List.of("a.bin", "sub/big.bin", "sub/deeper/c.bin", "empty.bin")) {
      assertSameBytes(tree.resolve(name), back.resolve(name));
    }
    run(concat(rclone, "purge", "tfs:rclone-" + RUN));
    assertFalse(run(concat(rclone, "lsd", "tfs:")).contains("rclone-" + RUN));
  }

  @Test
  void boto3CallsPass() throws Exception {
    python("s3_boto3_smoke", 8);
  }

  @Test
  void nixlObjectStoreReplayPasses() throws Exception {
    python("s3_nixl_replay", 2);
  }

  /** Runs one of test/src/test/python's unittest modules; every test must run and pass. */
  private static void python(String module, int tests) throws Exception {
    String output = run(List.of("/usr/bin/python3", "-m", "unittest", "-v", module),
        RepoPaths.root().resolve("test/src/test/python"), Map.of("S3_BIG_MIB", Integer.toString(BIG_MIB)));
    assertTrue(output.contains("Ran " + tests + " tests"), output);
    assertTrue(output.strip().endsWith("OK"), output);
    assertFalse(output.contains("skipped"), output);
  }

  // -- helpers ---------------------------------------------------------------------------------------

  private static String run(List<String> command) throws Exception {
    return run(command, dir, Map.of());
  }

  /** Runs a client with the key in its environment and no configuration of the machine's; its output. */
  private static String run(List<String> command, Path workDir, Map<String, String> extra) throws Exception {
    Path log = Files.createTempFile(dir, "cmd", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("RCLONE_"));
    key.awsEnvironment(env, dir.resolve("home"));
    env.put("PATH", "/usr/bin:/bin");
    env.put("S3_ENDPOINT", endpoint);
    env.put("RCLONE_CONFIG_TFS_TYPE", "s3");
    env.put("RCLONE_CONFIG_TFS_PROVIDER", "Other");
    env.put("RCLONE_CONFIG_TFS_ACCESS_KEY_ID", key.accessKey());
    env.put("RCLONE_CONFIG_TFS_SECRET_ACCESS_KEY", key.secretKey());
    env.put("RCLONE_CONFIG_TFS_ENDPOINT", endpoint);
    env.put("RCLONE_CONFIG_TFS_REGION", "us-east-1");
    env.put("RCLONE_CONFIG_TFS_FORCE_PATH_STYLE", "true");
    env.put("PYTHONUNBUFFERED", "1");
    env.putAll(extra);
    Process p = pb.start();
    boolean done = p.waitFor(COMMAND_LIMIT.toSeconds(), TimeUnit.SECONDS);
    if (!done) p.destroyForcibly().waitFor();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(done, String.join(" ", command) + " finished within " + COMMAND_LIMIT + ":\n" + output);
    assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
    return output;
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  private static Path write(Path file, long seed, int size) throws IOException {
    Files.createDirectories(file.getParent());
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return Files.write(file, b);
  }

  private static void assertSameBytes(Path expected, Path actual) throws IOException {
    assertEquals(-1L, Files.mismatch(expected, actual), actual + " has the bytes of " + expected);
  }

  private static byte[] httpGet(String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.baseUri() + "/v1/files" + path))
        .header("Authorization", AdminToken.bearer(AdminToken.of(node))).GET().build();
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return r.body();
  }

  private static String md5Hex(byte[] b) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(b));
  }
}
