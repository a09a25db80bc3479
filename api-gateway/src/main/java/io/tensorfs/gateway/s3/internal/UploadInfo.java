package io.tensorfs.gateway.s3.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A multipart upload in progress, as its {@code upload} file under {@code .s3-uploads} keeps it (JSON): the
 * key it completes into, when it began, and the new object's content type, user metadata and policy.
 * Immutable.
 */
record UploadInfo(String key, long initiatedMillis, String contentType, Map<String, String> user, String policy) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  byte[] toJson() {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("key", key).put("initiated", initiatedMillis).put("contentType", contentType).put("policy", policy);
    ObjectNode u = n.putObject("user");
    user.forEach(u::put);
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  static UploadInfo parse(byte[] json) {
    try {
      JsonNode n = MAPPER.readTree(json);
      Map<String, String> user = new LinkedHashMap<>();
      n.path("user").fields().forEachRemaining(e -> user.put(e.getKey(), e.getValue().asText()));
      return new UploadInfo(n.path("key").asText(), n.path("initiated").asLong(), n.path("contentType").asText(""),
          user, n.path("policy").asText("persistent"));
    } catch (IOException | RuntimeException e) {
      throw new S3Exception(500, "InternalError", "the record of a multipart upload is unreadable: " + e.getMessage());
    }
  }
}
