"""The Checkpoints service of a node: begin, save streams, commit, abort, describe, list, latest, restore,
delete, retain. One call per method, errors as TfsError; the state dict layer is tensorfs.checkpoint."""

import grpc

from . import _wire
from .client import TfsError, _error

OPEN = _wire.CHECKPOINT_STATE["OPEN"]
COMMITTED = _wire.CHECKPOINT_STATE["COMMITTED"]


def _method(channel, kind, name, request_type, reply_type):
    factory = getattr(channel, kind)
    return factory(_wire.CHECKPOINTS + name, request_serializer=request_type.SerializeToString,
                   response_deserializer=reply_type.FromString)


class Checkpoints:
    """The Checkpoints service over a client's channel (``client.checkpoints``). Thread-safe: every method
    is one gRPC call, and calls may run from many threads at once.

    Messages are the wire's own (``CheckpointInfo``: name, job, step, state, ranks, size, items, policy,
    begun_at_millis, committed_at_millis; ``ItemState``: rank, key, size, acknowledged, crc32c)."""

    def __init__(self, channel):
        w = _wire
        self._begin = _method(channel, "unary_unary", "Begin", w.BeginCheckpointRequest, w.CheckpointInfo)
        self._save = _method(channel, "stream_unary", "Save", w.SaveMessage, w.SaveReply)
        self._commit = _method(channel, "unary_unary", "Commit", w.CheckpointRequest, w.CheckpointInfo)
        self._abort = _method(channel, "unary_unary", "Abort", w.CheckpointRequest, w.CheckpointInfo)
        self._describe = _method(channel, "unary_unary", "Describe", w.CheckpointRequest, w.CheckpointManifest)
        self._list = _method(channel, "unary_unary", "List", w.ListCheckpointsRequest, w.ListCheckpointsReply)
        self._latest = _method(channel, "unary_unary", "Latest", w.ListCheckpointsRequest, w.CheckpointInfo)
        self._restore = _method(channel, "unary_stream", "Restore", w.RestoreRequest, w.RestoreMessage)
        self._restore_into = _method(channel, "stream_stream", "RestoreInto", w.ItemRead, w.Completion)
        self._delete = _method(channel, "unary_unary", "Delete", w.CheckpointRequest, w.CheckpointInfo)
        self._retain = _method(channel, "unary_unary", "Retain", w.RetainRequest, w.ListCheckpointsReply)

    def begin(self, name, ranks=1, policy="", keep_last=0):
        """Opens checkpoint ``name`` (/tenant/job/step) for ``ranks`` ranks; CONFLICT if it exists."""
        return _call(self._begin, _wire.BeginCheckpointRequest(name=name, ranks=ranks, policy=policy,
                                                                keep_last=keep_last))

    def save(self, messages, timeout=None):
        """Sends one save stream (an iterable of SaveMessage; the first names the checkpoint and rank) and
        returns the SaveReply: every item touched with its acknowledged offset. An exception raised by
        ``messages`` cuts the stream off; what the node acknowledged before stays."""
        return _call(self._save, iter(messages), timeout=timeout)

    def commit(self, name):
        return _call(self._commit, _wire.CheckpointRequest(name=name))

    def abort(self, name):
        return _call(self._abort, _wire.CheckpointRequest(name=name))

    def describe(self, name):
        """The CheckpointManifest: info, items with their acknowledged offsets, ranks_done."""
        return _call(self._describe, _wire.CheckpointRequest(name=name))

    def list(self, job):
        """The committed checkpoints of job /tenant/job, oldest first."""
        return list(_call(self._list, _wire.ListCheckpointsRequest(job=job)).checkpoints)

    def latest(self, job):
        """The newest committed checkpoint of the job; TfsError NOT_FOUND when there is none."""
        return _call(self._latest, _wire.ListCheckpointsRequest(job=job))

    def delete(self, name):
        return _call(self._delete, _wire.CheckpointRequest(name=name))

    def retain(self, job, keep_last):
        """Keeps the newest ``keep_last`` committed checkpoints of the job; returns those kept."""
        return list(_call(self._retain, _wire.RetainRequest(job=job, keep_last=keep_last)).checkpoints)

    def restore(self, name, items=None):
        """The items' bytes as a stream of RestoreMessage (``item`` set on each item's first message).
        ``items``: (rank, key) pairs, or None for every item. Errors surface as TfsError while iterating."""
        request = _wire.RestoreRequest(name=name)
        for rank, key in items or ():
            request.items.add(rank=rank, key=key)
        return _Stream(self._restore(request))

    def restore_into(self, reads):
        """Batch reads into host/GPU buffers: ``reads`` an iterable of ItemRead (the first names the
        checkpoint); yields one Completion per read, in any order."""
        return _Stream(self._restore_into(iter(reads)))


class _Stream:
    """A server stream whose gRPC errors come out as TfsError; ``cancel()`` ends it early."""

    def __init__(self, call):
        self._call = call

    def __iter__(self):
        try:
            for message in self._call:
                yield message
        except grpc.RpcError as e:
            raise _error(e) from None

    def cancel(self):
        self._call.cancel()


def _call(method, request, timeout=None):
    try:
        return method(request, timeout=timeout)
    except grpc.RpcError as e:
        raise _error(e) from None


__all__ = ["Checkpoints", "TfsError", "OPEN", "COMMITTED"]
