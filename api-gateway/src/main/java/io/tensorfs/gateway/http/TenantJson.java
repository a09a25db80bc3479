package io.tensorfs.gateway.http;

import io.tensorfs.sharding.tenant.TenantUsage;
import java.util.List;
import java.util.OptionalLong;

/** The JSON bodies of the tenant endpoints: usage and quota, sizes in bytes, a null limit for none. */
final class TenantJson {
  private TenantJson() {}

  record Tenant(String tenant, long usedBytes, long usedFiles, long reservedBytes, Long maxBytes, Long maxFiles) {
    static Tenant of(TenantUsage u) {
      return new Tenant(u.tenant(), u.usedBytes(), u.usedFiles(), u.reservedBytes(), boxed(u.maxBytes()),
          boxed(u.maxFiles()));
    }
  }

  record Tenants(List<Tenant> tenants) {
    static Tenants of(List<TenantUsage> all) {
      return new Tenants(all.stream().map(Tenant::of).toList());
    }
  }

  private static Long boxed(OptionalLong limit) {
    return limit.isPresent() ? limit.getAsLong() : null;
  }
}
