package io.tensorfs.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.operator.HintResult;
import io.tensorfs.store.cache.CacheStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** The JSON bodies of the HTTP API, and the one mapper that writes them. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private Json() {}

  static HttpResponse response(StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unserializable response " + body.getClass(), e);
    }
  }

  /** {@code body} as one line of JSON text. */
  static String text(Object body) {
    try {
      return MAPPER.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unserializable " + body.getClass(), e);
    }
  }

  static HttpResponse error(ErrorCode code, String message) {
    return response(ErrorStatus.of(code), new Error(code.name(), message));
  }

  record Error(String error, String message) {}

  record Put(String path, long size, int chunks, String crc32c, String policy, long version) {
    static Put of(FileVersion v) {
      return new Put(v.path().toString(), v.size(), v.chunks().size(), Crc32c.hex(v.crc32c()), v.policy().text(),
          v.version());
    }
  }

  record Health(String node, String status, List<String> members) {}

  /** GET /v1/list: one page; {@code next} is the token of the next page, null on the last. */
  record Listing(String path, List<Entry> entries, String next) {
    static Listing of(String path, List<DirEntry> entries, String next) {
      return new Listing(path, entries.stream()
          .map(e -> new Entry(e.name(), e.type().name().toLowerCase(Locale.ROOT), e.size()))
          .toList(), next);
    }
  }

  /** DELETE /v1/list?recursive=true. */
  record TreeDeleted(String path, long filesDeleted) {}

  record Entry(String name, String type, long size) {}

  /**
   * GET /v1/stat.
   *
   * @param replicasWanted  the policy's replicas (r)
   * @param minInsync       the durable replicas, on distinct nodes, a write of this policy waits for now: the
   *     policy's min-insync capped at the nodes of the cluster that can hold replicas
   * @param underReplicated some chunk has fewer CLEAN replicas than {@code replicasWanted}
   */
  record Stat(String path, String fileId, long size, long version, String etag, String policy, int chunkSizeBytes,
      String crc32c, String sealedAt, int replicasWanted, int minInsync, boolean underReplicated, List<Chunk> chunks) {
    static Stat of(FileVersion v, List<ChunkStatus> statuses, int minInsync) {
      List<Chunk> chunks = new ArrayList<>();
      boolean under = false;
      for (int i = 0; i < v.chunks().size(); i++) {
        ChunkStatus s = statuses.get(i);
        under |= s.underReplicated();
        Memory memory = v.policy().kind() == Policy.Kind.CACHE
            ? new Memory(s.memory().nodes(), Math.max(s.memory().wanted(), v.policy().cacheMin()), v.policy().cacheMin(),
                v.policy().cacheMax(), Math.round(s.memory().readsPerSecond() * 10) / 10.0)
            : null;
        chunks.add(new Chunk(i, v.chunks().get(i).lengthBytes(), Crc32c.hex(v.chunks().get(i).crc32c()),
            s.replicas().stream().map(r -> new Replica(r.location().node(), r.location().store(), r.state().name())).toList(),
            memory));
      }
      return new Stat(v.path().toString(), v.fileId().value(), v.size(), v.version(), "\"" + v.version() + "\"",
          v.policy().text(), v.chunkSizeBytes(), Crc32c.hex(v.crc32c()),
          Instant.ofEpochMilli(v.sealedAtMillis()).toString(), v.policy().replicas(), minInsync, under, chunks);
    }
  }

  /** GET /v1/cache: this node's cache, with the figures of every node's cache beside it. */
  record Cache(String node, long capacityBytes, long usedBytes, long pinnedBytes, long dirtyBytes,
      long residentBytes, int files, long hits, long misses, long evictions, int pageSizeBytes, String memoryKind,
      List<NodeCache> nodes) {
    static Cache of(String node, CacheStats s, List<NodeCache> nodes) {
      return new Cache(node, s.capacityBytes(), s.usedBytes(), s.pinnedBytes(), s.dirtyBytes(), s.residentBytes(),
          s.files(), s.hits(),
          s.misses(), s.evictions(), s.pageSizeBytes(), s.memoryKind(), nodes);
    }
  }

  record NodeCache(String node, CacheStats cache) {}

  record Hint(String path, String op, int files, int chunks, long bytes, int failed, String firstError,
      List<String> nodes, boolean async) {
    static Hint of(HintResult r) {
      return new Hint(r.path(), r.op(), r.files(), r.chunks(), r.bytes(), r.failed(), r.firstError(), r.nodes(), false);
    }
  }

  record Accepted(String path, String op, boolean async) {}

  /**
   * @param memory the elastic in-memory replicas of a {@code cache(min,max)} chunk; absent for other policies
   */
  record Chunk(int index, long length, String crc32c, List<Replica> replicas,
      @JsonInclude(JsonInclude.Include.NON_NULL) Memory memory) {}

  /** Nodes holding the chunk in memory for its readers now, how many the demand wants, and the demand. */
  record Memory(List<String> nodes, int wanted, int min, int max, double readsPerSecond) {}

  record Replica(String node, String store, String state) {}
}
