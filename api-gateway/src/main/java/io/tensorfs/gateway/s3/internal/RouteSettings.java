package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.Policy;
import java.util.List;

/**
 * What the S3 routes need to know of the node's settings (the public {@code io.tensorfs.gateway.s3.S3Settings}
 * reads them from config). Immutable.
 *
 * @param region         the region every bucket reports, and signatures are accepted for
 * @param domains        virtual-host domains: a Host {@code b.<domain>} addresses bucket {@code b}
 * @param defaultPolicy  the policy of objects written without {@code x-tfs-policy}
 * @param chunkSizeBytes the large page new objects are cut into
 * @param maxObjectBytes the largest object accepted
 * @param minPartBytes   every part of a multipart upload but the last must hold at least this many bytes
 */
public record RouteSettings(String region, List<String> domains, Policy defaultPolicy, int chunkSizeBytes,
    long maxObjectBytes, long minPartBytes) {
  public RouteSettings {
    domains = List.copyOf(domains);
  }
}
