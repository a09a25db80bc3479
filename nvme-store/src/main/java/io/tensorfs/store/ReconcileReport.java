package io.tensorfs.store;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import java.util.List;

/**
 * What reconciling a store with the metadata did (the reply to {@link StoreActor.Reconcile}). Immutable.
 *
 * @param filesKept      versions left in place: live, not judged, or orphans still being read
 * @param orphansRemoved versions removed as orphans
 * @param missing        chunks the metadata places here that are not on disk, ordered by file and index
 */
public record ReconcileReport(int filesKept, int orphansRemoved, List<ChunkId> missing)
    implements CborSerializable {}
