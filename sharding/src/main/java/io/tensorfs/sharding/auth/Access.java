package io.tensorfs.sharding.auth;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;

/**
 * The one access rule of tensorfs. An {@code admin} may do everything. A {@code read-write} or
 * {@code read-only} token acts only on paths whose first segment is its tenant; {@code read-only} may only
 * do what does not change anything ({@link Operation#changes()}). Admin endpoints need {@code admin}.
 * Listing the root needs {@code admin}: a tenant token is refused (its own tenant is its root).
 *
 * <p>The decision looks only at the caller, the operation and the path as given, never at what is stored, so
 * a refusal is the same whether the path exists or not. Refusals are {@link ErrorCode#FORBIDDEN} naming the
 * role and tenant. Stateless; any thread.
 */
public final class Access {
  private Access() {}

  /** Throws FORBIDDEN unless {@code caller} may do {@code op} on {@code path}. */
  public static void check(Caller caller, Operation op, TfsPath path) {
    if (caller.admin()) return;
    if (path.isRoot() || !path.segments().get(0).equals(caller.tenant())) {
      throw forbidden(caller.describe() + " may " + op.text() + " only under /" + caller.tenant() + ", not "
          + (path.isRoot() ? "at the root" : "under /" + path.segments().get(0)));
    }
    if (op.changes() && caller.role() == Role.READ_ONLY) {
      throw forbidden(caller.describe() + " may not " + op.text() + ": it only reads");
    }
  }

  /** True when {@link #check} would pass. */
  public static boolean allows(Caller caller, Operation op, TfsPath path) {
    if (caller.admin()) return true;
    if (path.isRoot() || !path.segments().get(0).equals(caller.tenant())) return false;
    return !(op.changes() && caller.role() == Role.READ_ONLY);
  }

  /** Throws FORBIDDEN unless {@code caller} is an admin: every {@code /v1/admin/} endpoint. */
  public static void requireAdmin(Caller caller) {
    if (!caller.admin()) throw forbidden(caller.describe() + " may not use admin endpoints: they need an admin token");
  }

  /** Throws FORBIDDEN unless {@code caller} is an admin or a token of {@code tenant}: reading a tenant's own figures. */
  public static void requireTenant(Caller caller, String tenant) {
    if (!caller.admin() && !caller.tenant().equals(tenant)) {
      throw forbidden(caller.describe() + " may act only on tenant '" + caller.tenant() + "', not '" + tenant + "'");
    }
  }

  private static TfsException forbidden(String message) {
    return new TfsException(ErrorCode.FORBIDDEN, "forbidden: " + message);
  }
}
