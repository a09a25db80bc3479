package io.tensorfs.sharding.tenant;

import io.tensorfs.core.CborSerializable;
import java.util.OptionalLong;

/**
 * A tenant's usage and quota at one moment. Immutable.
 *
 * @param tenant        the tenant: the first segment of its paths
 * @param usedBytes     logical bytes (file sizes, not replicas) of the tenant's sealed versions
 * @param usedFiles     the tenant's sealed files
 * @param reservedBytes bytes held by the tenant's writes in flight
 * @param reservedFiles files held by the tenant's writes in flight
 * @param maxBytes      the byte quota; empty: no limit
 * @param maxFiles      the file quota; empty: no limit
 */
public record TenantUsage(String tenant, long usedBytes, long usedFiles, long reservedBytes, long reservedFiles,
    OptionalLong maxBytes, OptionalLong maxFiles) implements CborSerializable {

  /** A tenant never written and with no quota. */
  public static TenantUsage empty(String tenant) {
    return new TenantUsage(tenant, 0, 0, 0, 0, OptionalLong.empty(), OptionalLong.empty());
  }
}
