"""How blobs (tensors and byte strings) become checkpoint items, and how items' bytes go to and come back
from a node. Shared by tensorfs.checkpoint (state dicts) and tensorfs.dcp (PyTorch DCP storage).

Saving: tensors at least ``pack_below`` bytes get an item of their own; smaller blobs are packed one after
another into items of about ``pack_bytes``, so a state dict of many small tensors does not cost one item
each. Items go out over several Save streams at once (``streams``), in messages of ``message_bytes``:
CPU bytes inline, CUDA bytes as CUDA IPC elements the node copies from the device itself (or, with
``cuda_ipc=False``, copied device to host one message at a time). A stream carries at most ``stream_bytes``
of items, so the temporary contiguous copies of non-contiguous tensors live only while their stream runs.

Restoring: a Restore stream per group of items routes each item's bytes into the blobs' destinations, or,
for CUDA destinations with ``cuda_ipc``, RestoreInto reads straight into the tensors' memory.
"""

import concurrent.futures
import hashlib
import threading

from . import _wire
from .client import TfsError
from .memory import Sge

MiB = 1 << 20
MAX_KEY_BYTES = 1024


class Blob:
    """One thing to store: a tensor (any device, any layout) or bytes, with where it lands once laid out
    (``key`` of its item, ``offset`` in it). ``nbytes`` is its size in bytes."""

    __slots__ = ("name", "source", "nbytes", "key", "offset")

    def __init__(self, name, source):
        self.name = name
        self.source = source
        if _is_tensor(source):
            self.nbytes = source.numel() * source.element_size()
        else:
            self.nbytes = len(memoryview(source).cast("B"))
        self.key = None
        self.offset = 0

    @property
    def is_cuda(self):
        return _is_tensor(self.source) and self.source.is_cuda


class Item:
    """An item to save: its key, its size, and its blobs at their offsets (contiguous, in order)."""

    __slots__ = ("key", "size", "blobs")

    def __init__(self, key, blobs):
        self.key = key
        self.blobs = blobs
        self.size = sum(b.nbytes for b in blobs)


def layout(blobs, pack_below=4 * MiB, pack_bytes=64 * MiB, pack_prefix="__pack_"):
    """Places ``blobs`` into items and returns them; sets each blob's key and offset. A blob of at least
    ``pack_below`` bytes gets an item named after the blob; smaller ones share pack items (CPU and CUDA
    blobs in different packs). Empty blobs get no item (key None). Deterministic: the same blobs in the
    same order give the same items, which resume relies on."""
    items = []
    used = set()
    packs = {}
    for blob in blobs:
        if blob.nbytes == 0:
            blob.key, blob.offset = None, 0
            continue
        if blob.nbytes >= pack_below:
            blob.key = unique_key(blob.name, used)
            blob.offset = 0
            items.append(Item(blob.key, [blob]))
            continue
        kind = "cuda" if blob.is_cuda else "cpu"
        pack = packs.get(kind)
        if pack is None or pack.size + blob.nbytes > pack_bytes:
            pack = Item(unique_key("%s%d" % (pack_prefix, len(used)), used), [])
            packs[kind] = pack
            items.append(pack)
        blob.key, blob.offset = pack.key, pack.size
        pack.blobs.append(blob)
        pack.size += blob.nbytes
    return items


def unique_key(name, used):
    """``name`` as an item key: at most 1024 UTF-8 bytes (a long name keeps its start and a digest), and
    not yet in ``used`` (a repeat gets "#n"); added to ``used``."""
    key = name if name else "_"
    if len(key.encode("utf-8")) > MAX_KEY_BYTES - 48:
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        key = key.encode("utf-8")[:MAX_KEY_BYTES - 96].decode("utf-8", "ignore") + "~" + digest
    candidate, n = key, 1
    while candidate in used:
        candidate = "%s#%d" % (key, n)
        n += 1
    used.add(candidate)
    return candidate


# -- saving -------------------------------------------------------------------------------------------

class SaveStats:
    """What a rank's save moved: ``bytes_sent`` over the wire (or as device elements), ``bytes_skipped``
    because the node had them acknowledged already (a resumed save), and the node's ItemStates."""

    def __init__(self):
        self.bytes_sent = 0
        self.bytes_skipped = 0
        self.items = {}
        self._lock = threading.Lock()

    def add_reply(self, reply, sent):
        """Counts a finished stream (from any of the save threads)."""
        with self._lock:
            self.bytes_sent += sent
            for state in reply.items:
                self.items[state.key] = state


def save_items(checkpoints, name, rank, items, acknowledged=None, rank_done=False, last=None, streams=2,
               message_bytes=1 * MiB, sge_bytes=16 * MiB, stream_bytes=256 * MiB, cuda_ipc=True, timeout=None):
    """Saves ``items`` of ``rank`` into open checkpoint ``name``, each from its acknowledged offset
    (``acknowledged``: key -> bytes the node already has), over up to ``streams`` Save streams at once.
    ``last``: items sent after all others have been acknowledged, on one final stream (a header or
    manifest). ``rank_done``: the final stream says so on its last message (one with no item when there
    is nothing left to send). Returns SaveStats; raises TfsError when a stream fails (what was
    acknowledged stays; saving again resumes from there)."""
    acknowledged = acknowledged or {}
    stats = SaveStats()
    work = []
    for item in items:
        start = acknowledged.get(item.key, 0)
        stats.bytes_skipped += start
        if start < item.size:
            work.append((item, start))
    jobs = _jobs(work, stream_bytes)
    if jobs:
        if streams <= 1 or len(jobs) == 1:
            for job in jobs:
                _run_job(checkpoints, name, rank, job, False, stats, message_bytes, sge_bytes, cuda_ipc, timeout)
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=streams, thread_name_prefix="tensorfs-save") as pool:
                futures = [pool.submit(_run_job, checkpoints, name, rank, job, False, stats, message_bytes,
                                       sge_bytes, cuda_ipc, timeout) for job in jobs]
                error = None
                for future in futures:
                    try:
                        future.result()
                    except BaseException as e:  # every stream is waited for before the first error is raised
                        error = error or e
                if error is not None:
                    raise error
    final = []
    for item in last or ():
        start = acknowledged.get(item.key, 0)
        stats.bytes_skipped += start
        if start < item.size:
            final.append((item, start))
    if final or rank_done:
        _run_job(checkpoints, name, rank, final, rank_done, stats, message_bytes, sge_bytes, cuda_ipc, timeout)
    return stats


def _jobs(work, stream_bytes):
    """Groups (item, start) pairs into streams of about ``stream_bytes`` each, largest items first so the
    streams finish close together."""
    jobs, current, size = [], [], 0
    for item, start in sorted(work, key=lambda w: w[0].size - w[1], reverse=True):
        left = item.size - start
        if current and size + left > stream_bytes:
            jobs.append(current)
            current, size = [], 0
        current.append((item, start))
        size += left
    if current:
        jobs.append(current)
    return jobs


def _run_job(checkpoints, name, rank, job, rank_done, stats, message_bytes, sge_bytes, cuda_ipc, timeout):
    keep = []  # contiguous copies and exported tensors, alive until the stream has ended
    sent = [0]
    messages = _messages(name, rank, job, rank_done, message_bytes, sge_bytes, cuda_ipc, keep, sent)
    try:
        reply = checkpoints.save(messages, timeout=timeout)
    finally:
        keep.clear()
    stats.add_reply(reply, sent[0])
    for item, _start in job:
        state = stats.items.get(item.key)
        if state is None or state.acknowledged != item.size:
            raise TfsError("INCOMPLETE_UPLOAD", "item %r of rank %d: the node acknowledged %s of %d bytes"
                           % (item.key, rank, "none" if state is None else state.acknowledged, item.size))
    return reply


def _messages(name, rank, job, rank_done, message_bytes, sge_bytes, cuda_ipc, keep, sent):
    """The SaveMessages of one stream: every item of ``job`` from its start offset, then rank_done."""
    first = True
    pending = None
    for item, start in job:
        declared = False
        for message in _item_messages(item, start, message_bytes, sge_bytes, cuda_ipc, keep):
            if not declared:
                message.size = item.size
                declared = True
            if first:
                message.name, message.rank = name, rank
                first = False
            if pending is not None:
                yield pending
            sent[0] += len(message.data) + sum(s.length for s in message.sges)
            pending = message
    if pending is None:
        if rank_done:
            yield _wire.SaveMessage(name=name, rank=rank, rank_done=True)
        return
    if rank_done:
        pending.rank_done = True
    yield pending


def _item_messages(item, start, message_bytes, sge_bytes, cuda_ipc, keep):
    """The messages carrying ``item``'s bytes from ``start``: inline data for host bytes, CUDA IPC
    elements for device bytes (a message never mixes the two)."""
    at = start
    data, sges, size = [], [], 0
    kind = None
    for blob in item.blobs:
        end = blob.offset + blob.nbytes
        if end <= at:
            continue
        lo = at - blob.offset  # where in the blob this message's bytes begin
        device = blob.is_cuda and cuda_ipc
        if kind is not None and device != kind and size:
            yield _flush(item.key, at - size, data, sges)
            data, sges, size = [], [], 0
        kind = device
        limit = sge_bytes if device else message_bytes
        source = _device_source(blob, keep) if device else _HostSource(blob)
        while lo < blob.nbytes:
            n = min(blob.nbytes - lo, limit - size)
            source.append(lo, n, data, sges)
            lo += n
            size += n
            at += n
            if size >= limit:
                yield _flush(item.key, at - size, data, sges)
                data, sges, size = [], [], 0
    if size:
        yield _flush(item.key, at - size, data, sges)


def _flush(key, offset, data, sges):
    message = _wire.SaveMessage(key=key, offset=offset)
    if data:
        message.data = data[0] if len(data) == 1 else b"".join(data)
    if sges:
        message.sges.extend(s._proto() for s in sges)
    return message


class _HostSource:
    """A blob's bytes for inline messages: a host tensor through a uint8 view (a device tensor copied to
    the host one message at a time), or bytes."""

    def __init__(self, blob):
        source = blob.source
        if _is_tensor(source):
            if source.is_cuda:
                self._tensor = _flat_bytes(source.detach())
                self._view = None
            else:
                self._tensor = None
                self._view = host_view(source)
        else:
            self._tensor = None
            self._view = memoryview(source).cast("B")

    def append(self, lo, n, data, sges):
        if self._view is not None:
            data.append(bytes(self._view[lo:lo + n]))
        else:
            data.append(self._tensor[lo:lo + n].cpu().numpy().tobytes())


class _DeviceSource:
    """A CUDA blob as IPC elements: the tensor (made contiguous when it is not) exported once."""

    def __init__(self, blob, keep):
        tensor = blob.source.detach()
        if not tensor.is_contiguous():
            tensor = tensor.contiguous()
        keep.append(tensor)
        self._whole = Sge.of(tensor)

    def append(self, lo, n, data, sges):
        whole = self._whole
        sges.append(Sge.gpu(whole.handle, whole.device, whole.offset + lo, n))


def _device_source(blob, keep):
    return _DeviceSource(blob, keep)


# -- restoring ----------------------------------------------------------------------------------------

class Target:
    """Where ``nbytes`` of item (rank, key) from ``offset`` go: ``sink`` a writable uint8 memoryview
    (host), or a contiguous CUDA tensor of exactly ``nbytes`` (``cuda``). ``done`` runs once they have
    arrived."""

    __slots__ = ("rank", "key", "offset", "nbytes", "sink", "cuda", "done", "filled")

    def __init__(self, rank, key, offset, nbytes, sink=None, cuda=None, done=None):
        self.rank, self.key, self.offset, self.nbytes = rank, key, offset, nbytes
        self.sink, self.cuda, self.done = sink, cuda, done
        self.filled = 0


def restore_items(checkpoints, name, targets, streams=2, cuda_ipc=True, timeout=None):
    """Fills every target from committed checkpoint ``name``: host targets (and CUDA ones without
    ``cuda_ipc``) through Restore streams, the items split over up to ``streams`` streams; CUDA targets
    with ``cuda_ipc`` through RestoreInto straight into the tensors. Raises TfsError if an item is missing
    or shorter than a target needs."""
    streamed, direct = [], []
    for target in targets:
        if target.nbytes == 0:
            if target.done is not None:
                target.done()
            continue
        if target.cuda is not None and cuda_ipc:
            direct.append(target)
        else:
            if target.cuda is not None:
                _stage_on_host(target)
            streamed.append(target)
    by_item = {}
    for target in streamed:
        by_item.setdefault((target.rank, target.key), []).append(target)
    groups = _groups(by_item, streams)
    tasks = [(lambda g=g: _restore_stream(checkpoints, name, g)) for g in groups]
    if direct:
        tasks.append(lambda: _restore_direct(checkpoints, name, direct))
    if len(tasks) == 1:
        tasks[0]()
    elif tasks:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="tensorfs-restore") as pool:
            futures = [pool.submit(task) for task in tasks]
            error = None
            for future in futures:
                try:
                    future.result()
                except BaseException as e:
                    error = error or e
            if error is not None:
                raise error


def _stage_on_host(target):
    """A CUDA target filled through the host: a host buffer of its size, copied to the device once full."""
    import torch

    host = torch.empty(target.nbytes, dtype=torch.uint8)
    device, after = target.cuda, target.done

    def done():
        device.view(-1).view(torch.uint8).copy_(host)
        if after is not None:
            after()

    target.sink, target.cuda, target.done = host_view(host), None, done


def _groups(by_item, streams):
    """Splits the items into up to ``streams`` groups of about equal bytes."""
    groups = [dict() for _ in range(max(1, min(streams, len(by_item))))]
    loads = [0] * len(groups)
    for item, targets in sorted(by_item.items(), key=lambda kv: -sum(t.nbytes for t in kv[1])):
        i = loads.index(min(loads))
        groups[i][item] = sorted(targets, key=lambda t: t.offset)
        loads[i] += sum(t.nbytes for t in targets)
    return [g for g in groups if g]


def _restore_stream(checkpoints, name, group):
    """One Restore stream for the items of ``group`` ((rank, key) -> targets by offset)."""
    stream = checkpoints.restore(name, items=list(group.keys()))
    current, position, queue = None, 0, []
    seen = set()
    try:
        for message in stream:
            if message.HasField("item"):
                _finish_item(current, position, queue)
                current = (message.item.rank, message.item.key)
                queue = list(group.get(current, ()))
                seen.add(current)
                position = 0
            data = message.data
            if not data:
                continue
            _route(memoryview(data), position, queue)
            position += len(data)
        _finish_item(current, position, queue)
    except BaseException:
        stream.cancel()
        raise
    missing = [item for item in group if item not in seen]
    if missing:
        raise TfsError("NOT_FOUND", "checkpoint %s has no item %s" % (name, ", ".join("%d/%s" % m for m in missing)))


def _route(data, position, queue):
    """Copies the bytes at item ``position`` into the targets they belong to (``queue`` by offset)."""
    end = position + len(data)
    for target in queue:
        t_end = target.offset + target.nbytes
        if t_end <= position or target.offset >= end:
            continue
        lo = max(position, target.offset)
        hi = min(end, t_end)
        target.sink[lo - target.offset:hi - target.offset] = data[lo - position:hi - position]
        target.filled += hi - lo
        if target.filled == target.nbytes and target.done is not None:
            target.done()


def _finish_item(item, position, queue):
    for target in queue:
        if target.filled != target.nbytes:
            raise TfsError("INCOMPLETE_UPLOAD", "item %d/%s ended at %d bytes; %d bytes at %d were expected"
                           % (item[0], item[1], position, target.nbytes, target.offset))


def _restore_direct(checkpoints, name, targets):
    """RestoreInto: one read per target, straight into its CUDA memory."""
    by_id = {}
    keep = []

    def reads():
        first = True
        for i, target in enumerate(targets, start=1):
            sge = Sge.of(target.cuda)
            keep.append(sge)
            read = _wire.ItemRead(id=i, offset=target.offset)
            read.item.rank, read.item.key = target.rank, target.key
            read.sges.append(sge._proto())
            if first:
                read.name = name
                first = False
            by_id[i] = target
            yield read

    left = len(targets)
    for completion in checkpoints.restore_into(reads()):
        target = by_id.pop(completion.id, None)
        if target is None:
            continue
        status = _wire.STATUS_NAMES.get(completion.status, str(completion.status))
        if completion.status != 0:
            raise TfsError(status, "item %d/%s: %s" % (target.rank, target.key, completion.message))
        if completion.value != target.nbytes:
            raise TfsError("INCOMPLETE_UPLOAD", "item %d/%s: %d of %d bytes at %d" % (
                target.rank, target.key, completion.value, target.nbytes, target.offset))
        if target.done is not None:
            target.done()
        left -= 1
        if left == 0:
            break
    if left:
        raise TfsError("UNAVAILABLE", "the RestoreInto stream ended with %d reads unanswered" % left)


# -- tensors as bytes -------------------------------------------------------------------------------------

def _is_tensor(value):
    try:
        import torch
    except ImportError:
        return False
    return isinstance(value, torch.Tensor)


def _flat_bytes(tensor):
    """A contiguous tensor's bytes as a flat uint8 tensor (a copy first when it is not contiguous)."""
    import torch

    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    return tensor.reshape(-1).view(torch.uint8)


def host_view(tensor):
    """A writable uint8 memoryview of a host tensor's bytes (a contiguous copy first when needed; writes
    then land in the copy, so pass only contiguous tensors as destinations)."""
    flat = _flat_bytes(tensor.detach())
    return memoryview(flat.numpy()).cast("B")
