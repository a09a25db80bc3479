package io.tensorfs.sharding.operator.internal;

import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.tenant.TenantQuotas;
import io.tensorfs.sharding.tenant.TenantUsage;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * One write's reservation in its tenant's quota. It reserves at the start (the declared length, else
 * {@code reserve-ahead} bytes), and covers the bytes as they arrive: while the bytes received stay within
 * what it holds, nothing is asked (the node-local fast path); past it, it grows the reservation to the
 * bytes received plus {@code reserve-ahead} (or as much of that as the quota leaves), failing
 * QUOTA_EXCEEDED when not even the bytes received fit. It renews the reservation whenever a third of its
 * lease has passed since it last spoke to the entity. On seal it is committed, on failure released.
 *
 * <p>Driven by the upload's one stream ({@code mapAsync(1)}): {@link #cover} is never called again
 * before the stage it returned completes, and {@link #renewIfStale}, {@link #commit} and {@link #release}
 * come after the stream; the plain fields are safe for that reason. Sizes in bytes.
 */
public final class QuotaHold {
  private final TenantQuotas quotas;
  private final String tenant;
  private final String id;
  private final int files;
  private final OptionalLong declaredBytes;
  private final long aheadBytes;
  private final long renewAfterNanos;

  private long heldBytes;
  private long receivedBytes;
  private long lastContactNanos;
  /** The release, once asked: after the stream has ended, by callers that run one after the other. */
  private CompletionStage<TenantUsage> released;

  /**
   * @param id    the reservation's id: the upload's file id, unique to this write
   * @param files 1 for a new file, 0 when the write replaces a visible version (the file count stays)
   */
  public QuotaHold(TenantQuotas quotas, String tenant, String id, int files, OptionalLong declaredBytes) {
    this.quotas = quotas;
    this.tenant = tenant;
    this.id = id;
    this.files = files;
    this.declaredBytes = declaredBytes;
    this.aheadBytes = quotas.settings().reserveAheadBytes();
    this.renewAfterNanos = quotas.settings().renewAfter().toNanos();
  }

  /** Reserves the declared length (refused at once when it does not fit), else a first step ahead. */
  public CompletionStage<Done> start() {
    long min = declaredBytes.orElse(0);
    return reserve(min, declaredBytes.orElse(aheadBytes));
  }

  /** Makes sure the reservation covers {@code moreBytes} received on top of those before. */
  public CompletionStage<Done> cover(long moreBytes) {
    receivedBytes += moreBytes;
    if (receivedBytes > heldBytes) {
      long want = Math.max(receivedBytes + aheadBytes, declaredBytes.orElse(0));
      return reserve(receivedBytes, declaredBytes.isPresent() && receivedBytes <= declaredBytes.getAsLong()
          ? declaredBytes.getAsLong() : want);
    }
    return renewIfStale();
  }

  /**
   * Renews the reservation when a third of its lease has passed since the entity last heard of it (a
   * reservation that lapsed meanwhile is taken again, if the quota still has room for the bytes received).
   */
  public CompletionStage<Done> renewIfStale() {
    if (System.nanoTime() - lastContactNanos < renewAfterNanos) return CompletableFuture.completedFuture(Done.getInstance());
    return reserve(receivedBytes, heldBytes);
  }

  /** Turns the reservation into usage: the sealed version counted, the version it replaced credited. */
  public CompletionStage<TenantUsage> commit(FileVersion sealed, Optional<FileVersion> replaced) {
    return quotas.commit(tenant, id, sealed.size(), 1, replaced.map(FileVersion::size).orElse(0L),
        replaced.isPresent() ? 1 : 0);
  }

  /** Drops the reservation (the write failed); once: a second call asks nothing and completes with the first's. */
  public CompletionStage<TenantUsage> release() {
    if (released == null) released = quotas.release(tenant, id);
    return released;
  }

  private CompletionStage<Done> reserve(long min, long want) {
    return quotas.reserve(tenant, id, min, Math.max(min, want), files).thenApply(held -> {
      heldBytes = held;
      lastContactNanos = System.nanoTime();
      return Done.getInstance();
    });
  }
}
