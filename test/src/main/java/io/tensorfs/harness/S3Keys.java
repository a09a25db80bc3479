package io.tensorfs.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * S3 access keys for tests and benchmarks: made through the admin API as {@code ./tfs token create --s3}
 * makes them (a token of a tenant and role, with its S3 key pair). Stateless; any thread.
 */
public final class S3Keys {
  /** An S3 key pair: the access key id and its secret. */
  public record S3Key(String accessKey, String secretKey) {
    /**
     * Sets an AWS client's environment to this key and nothing of the machine's own configuration: every
     * {@code AWS_*} variable replaced, {@code HOME} and the config files under {@code home}.
     */
    public void awsEnvironment(java.util.Map<String, String> env, java.nio.file.Path home) {
      env.keySet().removeIf(k -> k.startsWith("AWS_"));
      env.put("HOME", home.toString());
      env.put("AWS_ACCESS_KEY_ID", accessKey);
      env.put("AWS_SECRET_ACCESS_KEY", secretKey);
      env.put("AWS_DEFAULT_REGION", "us-east-1");
      env.put("AWS_CONFIG_FILE", home.resolve("no-aws-config").toString());
      env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-aws-credentials").toString());
      env.put("AWS_EC2_METADATA_DISABLED", "true");
    }
  }

  private S3Keys() {}

  /** A new key of {@code tenant} with {@code role} (read-write, read-only), asked of the node at {@code base}. */
  public static S3Key create(URI base, String adminToken, String tenant, String role) throws IOException, InterruptedException {
    String body = new ObjectMapper().createObjectNode().put("tenant", tenant).put("role", role)
        .put("description", "S3 key for a test").put("s3", true).toString();
    HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/admin/tokens"))
        .header("Authorization", AdminToken.bearer(adminToken)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 201) throw new IllegalStateException("creating an S3 key answered " + r.statusCode() + ": " + r.body());
    JsonNode json = new ObjectMapper().readTree(r.body());
    JsonNode access = json.path("accessKey");
    JsonNode secret = json.path("secretKey");
    if (!access.isTextual() || !secret.isTextual()) throw new IllegalStateException("no S3 key pair in " + r.body());
    return new S3Key(access.asText(), secret.asText());
  }
}
