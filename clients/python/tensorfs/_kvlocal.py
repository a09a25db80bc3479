"""KV batches over the local channel: a call's keys split into as few slot records as they fit in (at
most 4096 keys each), each key's bytes inline in the slot when they fit beside the record, else in a
CUDA allocation (zero copy) or the channel's staging segment (one copy on the host). All records of a
call are submitted, then waited for together."""

from . import _local
from ._kvdata import NOT_FOUND, OK, TOO_LARGE, KvResult
from ._local import ERROR_AREA, INLINE, KV_GET, KV_PUT, MAX_KEYS, RECORD, _RESULT, align8, encode_kv
from .memory import Sge

HOST, GPU, WANT = 0, 1, 2  # item kinds: host bytes, a CUDA tensor, a block wanted back as bytes (size = room)
_STAGING_ALIGN = 64


class _Chunk:
    __slots__ = ("start", "end", "results_off", "inline_base", "inline")

    def __init__(self, start, end, results_off, inline_base, inline):
        self.start, self.end = start, end
        self.results_off = results_off
        self.inline_base = inline_base
        self.inline = inline  # key index -> offset within the slot's inline area


def plan(slot_bytes, tenant, keys, items):
    """Splits the keys into records that fit a slot. ``items``: per key ``(kind, data, size)``, or None
    for EXISTS/REMOVE (no SGEs)."""
    usable = slot_bytes - ERROR_AREA
    per_key = 24 + 16 if items is not None else 16
    chunks = []
    n = len(keys)
    i = 0
    while i < n:
        start = i
        names_end = RECORD + 2 + len(tenant)
        inline_total = 0
        inline = {}
        while i < n and i - start < MAX_KEYS:
            end = names_end + 2 + len(keys[i])
            fixed = align8(end) + per_key * (i - start + 1)
            size = items[i][2] if items is not None and items[i][0] != GPU else None
            if size is not None and fixed + inline_total + align8(size) <= usable:
                inline[i] = inline_total
                inline_total += align8(size)
            elif fixed + inline_total > usable:
                break
            names_end = end
            i += 1
        if i == start:
            raise ValueError("key %r does not fit a record of the local channel" % keys[i][:40])
        count = i - start
        results_off = align8(names_end) + (24 * count if items is not None else 0)
        chunks.append(_Chunk(start, i, results_off, results_off + 16 * count, inline))
    return chunks


def run(channel, op, tenant, keys, items=None):
    """Runs one KV call. Returns ``(results, got)``: a KvResult per key, and for KV_GET the bytes of each
    WANT item that was found (None elsewhere). Raises TfsError when the node refused a record as a
    whole (BAD_REQUEST, FORBIDDEN, ...), ChannelError when the channel broke."""
    n = len(keys)
    got = [None] * n if op == KV_GET else None
    if n == 0:
        return [], got
    chunks = plan(channel.slot_bytes, tenant, keys, items)
    placed = [None] * n  # (buffer id, offset, length) of keys not inline
    staged = []           # (key index, offset in staging)
    staging = None
    if items is not None:
        staged_total = 0
        for chunk in chunks:
            for i in range(chunk.start, chunk.end):
                kind, data, size = items[i]
                if kind == GPU:
                    placed[i] = channel._element(Sge.of(data))
                elif i not in chunk.inline:
                    staged.append((i, staged_total))
                    staged_total += (size + _STAGING_ALIGN - 1) // _STAGING_ALIGN * _STAGING_ALIGN
        if staged:
            staging, sid = channel.take_staging(staged_total)
            view = staging.memoryview()
            try:
                for i, at in staged:
                    size = items[i][2]
                    placed[i] = (sid, at, size)
                    if op == KV_PUT and size:
                        view[at:at + size] = items[i][1]
            except BaseException:
                view.release()
                channel.give_staging(staging, sid)
                raise
    ops = []
    done = False
    try:
        for chunk in chunks:
            ops.append(_submit(channel, op, tenant, keys, items, chunk, placed, got))
        for record in ops:
            channel.wait_for(record)
        done = True
        results = _results(ops, chunks, n)
        if staging is not None and op == KV_GET:
            for i, at in staged:
                result = results[i]
                if result.status == OK:
                    kind, data, size = items[i]
                    if kind == HOST:
                        data[:result.length] = view[at:at + result.length]
                    else:
                        got[i] = bytes(view[at:at + result.length])
        return results, got
    finally:
        if staging is not None:
            view.release()
            if done:
                channel.give_staging(staging, sid)
            else:
                # A record may still be in the node's hands: the segment is not reused.
                staging._on_close = []
                staging.close()


def _submit(channel, op, tenant, keys, items, chunk, placed, got):
    slot = channel._take_slot()
    try:
        buf = channel._map
        base = channel._base(slot)
        sges = None
        if items is not None:
            sges = []
            for i in range(chunk.start, chunk.end):
                rel = chunk.inline.get(i)
                if rel is None:
                    sges.append(placed[i])
                    continue
                kind, data, size = items[i]
                at = chunk.inline_base + rel
                sges.append((INLINE, at, size))
                if op == KV_PUT and size:
                    buf[base + at:base + at + size] = data
        results_off = encode_kv(buf, base, op, 0, tenant, keys[chunk.start:chunk.end], sges)
        if results_off != chunk.results_off:
            raise AssertionError("record layout: results at %d, planned at %d" % (results_off, chunk.results_off))
    except BaseException:
        channel._free.append(slot)
        raise
    record = _local._Op(_reader(op, items, chunk, got))
    channel._push(slot, _local._finish_op, record)
    return record


def _reader(op, items, chunk, got):
    """Reads a finished record's per-key results (and inline blocks got) before its slot is reused."""

    def read(buf, base, status, value):
        out = []
        at = base + chunk.results_off
        for i in range(chunk.start, chunk.end):
            key_status, _, length = _RESULT.unpack_from(buf, at)
            at += 16
            if op == KV_GET and key_status == OK and items is not None:
                kind, data, size = items[i]
                if length > size:
                    key_status = TOO_LARGE  # the node never writes past the room; do not trust it did
                else:
                    rel = chunk.inline.get(i)
                    if rel is not None:
                        start = base + chunk.inline_base + rel
                        if kind == HOST:
                            data[:length] = buf[start:start + length]
                        else:
                            got[i] = bytes(buf[start:start + length])
            out.append((key_status, length))
        return out

    return read


def _results(ops, chunks, n):
    from .client import TfsError
    from . import _wire

    results = [None] * n
    for record, chunk in zip(ops, chunks):
        if record.status != OK:
            raise TfsError(_wire.STATUS_NAMES.get(record.status, str(record.status)), record.message)
        for i, (status, length) in zip(range(chunk.start, chunk.end), record.result):
            results[i] = KvResult(status, length, "" if status in (OK, NOT_FOUND) else _wire.STATUS_NAMES.get(status, ""))
    return results
