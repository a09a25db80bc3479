"""KV calls over gRPC (KvPut/KvGet/KvExists/KvRemove) with the blocks inline in the messages: the path of
a client on another host, or one without the local channel. Batches are split so that no message
carries more than about ``PUT_BYTES`` of blocks (a single larger block goes alone)."""

from . import _kvdata, _wire
from ._kvdata import OK, TOO_LARGE, KvResult

PUT_BYTES = 8 << 20
GET_KEYS = 32


def _result(message):
    return KvResult(message.status, message.length, message.message)


def put(client, tenant, keys, sources):
    results = []
    start = 0
    while start < len(keys):
        end, total = start, 0
        while end < len(keys) and (end == start or total + _kvdata.nbytes(*sources[end]) <= PUT_BYTES):
            total += _kvdata.nbytes(*sources[end])
            end += 1
        values = [bytes(data) if kind == "host" else _kvdata.gpu_bytes(data) for kind, data in sources[start:end]]
        reply = client._call_unary(client._kv_put, _wire.KvPutRequest(tenant=tenant, keys=keys[start:end], values=values))
        results.extend(_result(r) for r in reply.results)
        start = end
    _check_count(results, keys)
    return results


def get(client, tenant, keys, targets=None):
    """``targets``: per key ``(kind, data)`` to fill, or None for the blocks as bytes. Returns
    ``(results, got)``: got[i] is the bytes of a hit when no targets were given."""
    results, got = [], []
    for start in range(0, len(keys), GET_KEYS):
        reply = client._call_unary(client._kv_get, _wire.KvGetRequest(tenant=tenant, keys=keys[start:start + GET_KEYS]))
        if len(reply.results) != len(reply.values) and any(r.status == OK for r in reply.results):
            raise _mismatch("values", len(reply.values), len(reply.results))
        for j, message in enumerate(reply.results):
            result = _result(message)
            data = reply.values[j] if result.status == OK else None
            if data is not None and len(data) != result.length:
                result = KvResult(_wire.STATUS["INTERNAL"], result.length,
                                  "the reply carried %d bytes for a block of %d" % (len(data), result.length))
                data = None
            if targets is not None and data is not None:
                kind, out = targets[start + j]
                room = _kvdata.nbytes(kind, out)
                if len(data) > room:
                    result = KvResult(TOO_LARGE, len(data), "the block is %d bytes; its out holds %d" % (len(data), room))
                elif kind == "host":
                    out[:len(data)] = data
                else:
                    _kvdata.copy_to_gpu(data, out)
                data = None
            results.append(result)
            got.append(data)
    _check_count(results, keys)
    return results, got


def exists(client, tenant, keys):
    reply = client._call_unary(client._kv_exists, _wire.KvKeys(tenant=tenant, keys=keys))
    present = list(reply.present)
    if len(present) != len(keys):
        raise _mismatch("answers", len(present), len(keys))
    return present, reply.prefix


def remove(client, tenant, keys):
    reply = client._call_unary(client._kv_remove, _wire.KvKeys(tenant=tenant, keys=keys))
    results = [_result(r) for r in reply.results]
    _check_count(results, keys)
    return results


def _check_count(results, keys):
    if len(results) != len(keys):
        raise _mismatch("results", len(results), len(keys))


def _mismatch(what, got, wanted):
    from .client import TfsError

    return TfsError("INTERNAL", "the node answered %d %s for %d keys" % (got, what, wanted))
