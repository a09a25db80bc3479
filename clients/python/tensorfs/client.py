"""The client of a tensorfs node: batch preadv/pwritev, KV blocks and the file operations, over the
node's local channel when the node is on this host, else over gRPC."""

import itertools
import logging
import os
import queue
import socket
import threading
import time

import grpc

from . import _kvdata, _kvgrpc, _kvlocal, _local, _wire, auth
from ._kvdata import KvResult
from ._local import ChannelError
from .memory import HostBuffer, Sge

_log = logging.getLogger("tensorfs")
LOCAL_ENV = "TFS_LOCAL"
# AttachLocal answers that mean "not this host" or "no channel on this node": stay on gRPC quietly.
_QUIET = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED,
          grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
_KV_ROOM = 64 << 10          # room per key of a get without outs before any block was seen
_KV_ROOM_MAX = 64 << 20
_KV_GUESS_BYTES = 256 << 20  # above this, a get without outs asks the lengths first

_END = object()
_WRITE_PIECE = 1 << 20


class TfsError(Exception):
    """A failed call: ``code`` is the node's error code name (NOT_FOUND, BAD_REQUEST, ...)."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message

    def __reduce__(self):  # crosses process boundaries (DCP gathers ranks' exceptions)
        return (TfsError, (self.code, self.message))


class Request:
    """One preadv/pwritev submission. Once ``done``: ``value`` is the bytes moved, ``status`` 0 (OK)
    or an error code number (``status_name`` names it) with ``message`` saying why."""

    __slots__ = ("id", "op", "path", "desc", "value", "status", "message", "done", "_sges", "_local")

    def __init__(self, id, op, path, desc, sges, local=False):
        self.id = id
        self.op = op
        self.path = path
        self.desc = desc
        self.value = 0
        self.status = 0
        self.message = ""
        self.done = False
        self._sges = sges  # keeps the tensors the elements name alive until done
        self._local = local  # submitted on the local channel

    @property
    def ok(self):
        return self.done and self.status == 0

    @property
    def status_name(self):
        return _wire.STATUS_NAMES.get(self.status, str(self.status))

    def __repr__(self):
        state = ("%s value=%d" % (self.status_name, self.value)) if self.done else "pending"
        return "Request(%d %s %s %s)" % (self.id, self.op, self.path, state)


def _error(rpc_error):
    code = None
    try:
        for key, value in rpc_error.trailing_metadata() or ():
            if key == "tfs-error":
                code = value
    except Exception:
        pass
    if code is None:
        code = {grpc.StatusCode.NOT_FOUND: "NOT_FOUND", grpc.StatusCode.INVALID_ARGUMENT: "BAD_REQUEST",
                grpc.StatusCode.UNAVAILABLE: "UNAVAILABLE",
                grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
                grpc.StatusCode.PERMISSION_DENIED: "FORBIDDEN"}.get(rpc_error.code(), "INTERNAL")
    return TfsError(code, rpc_error.details() or str(rpc_error.code()))


def _tags(value):
    """A precondition's tags: None for none, "*", a version number, or a list of version numbers."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        value = [value]
    tags = []
    for tag in value:
        if isinstance(tag, bool) or not isinstance(tag, (str, int)):
            raise TypeError("a precondition tag is a version number or '*', not %r" % (tag,))
        tags.append(str(tag))
    return tags


def _precondition(if_match, if_none_match):
    return _wire.Precondition(if_match=_tags(if_match), if_none_match=_tags(if_none_match))


def _unary(channel, name, request_type, reply_type):
    return channel.unary_unary(_wire.SERVICE + name, request_serializer=request_type.SerializeToString,
                               response_deserializer=reply_type.FromString)


class Client:
    """A connection to one node, ``address`` as ``host:port``. Thread-safe: submissions and waits may
    come from any thread. Close it (or use ``with``) to end the batch stream and the channel.

    ``token``: the caller's token, sent as ``authorization: Bearer <token>`` metadata on every call
    (default ``$TFS_TOKEN``; none sent when neither is set). A node with auth on refuses a call without a
    valid token (TfsError UNAUTHENTICATED) and one its role or tenant does not allow (FORBIDDEN).

    ``local``: use the node's local channel (shared-memory rings, see README) when the node is on this
    host; attached once here through AttachLocal, with gRPC for everything when it cannot be. Default: tried
    when ``address`` is one of this host's, unless ``$TFS_LOCAL`` is ``off``; ``local=True`` tries whatever
    the address; ``local=False`` keeps every call on gRPC."""

    def __init__(self, address, options=None, token=None, local=None):
        opts = [("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20),
                # A fixed 16 MiB receive window instead of one resized by BDP probes: after a resize the
                # node's HTTP/2 server has sent DATA frames past the window on long server streams
                # (Read, Restore), which gRPC answers with "frame of size N overflows local window".
                ("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16 << 20)]
        self._raw_channel = grpc.insecure_channel(address, options=opts + list(options or []))
        self._channel = auth.authorize(self._raw_channel, auth.resolve(token))
        self._stat = _unary(self._channel, "Stat", _wire.StatRequest, _wire.FileInfo)
        self._list = _unary(self._channel, "List", _wire.ListRequest, _wire.ListReply)
        self._delete = _unary(self._channel, "Delete", _wire.DeleteRequest, _wire.DeleteReply)
        self._delete_tree = _unary(self._channel, "DeleteTree", _wire.DeleteTreeRequest, _wire.DeleteTreeReply)
        self._hint = _unary(self._channel, "Hint", _wire.HintRequest, _wire.HintReply)
        self._mkdir = _unary(self._channel, "Mkdir", _wire.MkdirRequest, _wire.FileInfo)
        self._rmdir = _unary(self._channel, "Rmdir", _wire.RmdirRequest, _wire.RmdirReply)
        self._rename = _unary(self._channel, "Rename", _wire.RenameRequest, _wire.FileInfo)
        self._set_attributes = _unary(self._channel, "SetAttributes", _wire.SetAttributesRequest, _wire.FileInfo)
        self._read = self._channel.unary_stream(_wire.SERVICE + "Read", request_serializer=_wire.ReadRequest.SerializeToString,
                                                response_deserializer=_wire.Chunk.FromString)
        self._write = self._channel.stream_unary(_wire.SERVICE + "Write", request_serializer=_wire.WriteChunk.SerializeToString,
                                                 response_deserializer=_wire.FileInfo.FromString)
        self._batch = self._channel.stream_stream(_wire.SERVICE + "Batch", request_serializer=_wire.Submission.SerializeToString,
                                                  response_deserializer=_wire.Completion.FromString)
        self._ids = itertools.count(1)
        # A plain lock under the condition: the channel's completions take it directly (no Python-level
        # Condition wrapper on the hot path) and notify only when a thread sleeps on the condition.
        self._mutex = threading.Lock()
        self._lock = threading.Condition(self._mutex)
        self._sleepers = 0
        self._pending = {}
        self._completed = []
        self._outbox = None
        self._receiver = None
        self._call = None
        self._broken = None
        self._checkpoints = None
        self._kv_put = _unary(self._channel, "KvPut", _wire.KvPutRequest, _wire.KvReply)
        self._kv_get = _unary(self._channel, "KvGet", _wire.KvGetRequest, _wire.KvGetReply)
        self._kv_exists = _unary(self._channel, "KvExists", _wire.KvKeys, _wire.KvExistsReply)
        self._kv_remove = _unary(self._channel, "KvRemove", _wire.KvKeys, _wire.KvReply)
        self._kv_room = _KV_ROOM
        self._local = None
        self._local_refusal = None  # why there is no channel, when one was tried
        if local is None:
            local = (os.environ.get(LOCAL_ENV, "").strip().lower() not in ("off", "0", "false", "no")
                     and _on_this_host(address))
        if local:
            self._local = self._attach_local()

    # -- the local channel -------------------------------------------------------------------------------

    def _attach_local(self):
        if not _local.supported():
            self._local_refusal = "this CPU or OS is not one the Python channel supports (little-endian x86, /dev/shm)"
            return None
        attach_rpc = _unary(self._channel, "AttachLocal", _wire.AttachLocalRequest, _wire.AttachLocalReply)

        def attach(shm_name, pid, nonce):
            reply = attach_rpc(_wire.AttachLocalRequest(shm_name=shm_name, pid=pid, nonce=nonce), timeout=5)
            return reply.channel_id, reply.node_id

        try:
            return _local.LocalChannel(attach)
        except grpc.RpcError as e:
            self._local_refusal = "%s: %s" % (e.code(), e.details())
            if e.code() not in _QUIET:
                _log.warning("the node refused the local channel (%s); using gRPC", self._local_refusal)
            return None
        except OSError as e:
            self._local_refusal = str(e)
            _log.warning("no local channel (%s); using gRPC", e)
            return None

    @property
    def local(self):
        """True while the node's local channel is attached and in use."""
        return self._local is not None and self._local.usable()

    def _usable_local(self):
        local = self._local
        return local if local is not None and local.usable() else None

    # -- batch I/O ---------------------------------------------------------------------------------

    def read(self, filepath, offset, sges, flags=0, desc=None):
        """Submits a preadv of ``filepath`` from ``offset`` into ``sges`` in order. A read that reaches
        the end of the file completes with fewer bytes; one that starts past it with 0."""
        return self._submit("PREADV", filepath, offset, sges, flags, desc, "")

    def write(self, filepath, offset, sges, flags=0, desc=None, policy=""):
        """Submits a pwritev: the bytes of ``sges``, in order, become the whole new version of
        ``filepath`` (``offset`` must be 0). ``policy``: persistent (default), kvcache, cache(min,max);
        ``flags=tensorfs.FLAG_KVCACHE`` also asks for kvcache."""
        return self._submit("PWRITEV", filepath, offset, sges, flags, desc, policy)

    def wait(self, timeout=None, min_completions=1):
        """The requests completed since the last wait. Blocks until at least ``min_completions`` (or
        every outstanding one, if fewer) are done, or ``timeout`` seconds pass. Returns [] at once when
        nothing is outstanding."""
        deadline = None if timeout is None else time.monotonic() + timeout
        local = self._local
        while True:
            if local is not None:
                local.poll()
            with self._lock:
                target = min(min_completions, len(self._completed) + len(self._pending))
                if len(self._completed) >= target:
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                if local is None or local.in_flight == 0:
                    # Only gRPC requests outstanding (their receiver notifies); look at the channel now
                    # and then in case another thread submits on it.
                    self._sleep(left if local is None else min(left or 0.01, 0.01))
                    continue
            local._wait(lambda: local.in_flight == 0 or self._enough(min_completions), deadline)
        with self._lock:
            done, self._completed = self._completed, []
            return done

    def _sleep(self, seconds):
        """Waits on the condition (the lock held) for at most ``seconds`` (None: until notified)."""
        self._sleepers += 1
        try:
            self._lock.wait(seconds)
        finally:
            self._sleepers -= 1

    def _enough(self, min_completions):
        with self._mutex:
            return len(self._completed) >= min(min_completions, len(self._completed) + len(self._pending))

    def outstanding(self):
        with self._lock:
            return len(self._pending)

    def _submit(self, op, filepath, offset, sges, flags, desc, policy):
        sges = list(sges)
        if offset < 0:
            raise ValueError("offset must not be negative, not %d" % offset)
        local = self._local
        if local is not None and local.usable() and 0 <= flags <= 0xFFFF:
            request = self._submit_local(local, op, filepath, offset, sges, flags, desc, policy)
            if request is not None:
                return request
        with self._lock:
            if self._broken is not None:
                raise self._broken
            self._open_batch()
            request = Request(next(self._ids), op, filepath, desc, sges)
            self._pending[request.id] = request
        submission = _wire.Submission(id=request.id, op=_wire.OP[op], path=filepath, offset=offset,
                                      flags=flags, policy=policy)
        submission.sges.extend(s._proto() for s in sges)
        self._outbox.put(submission)
        return request

    def _submit_local(self, local, op, filepath, offset, sges, flags, desc, policy):
        """The request on the local channel, or None when it must go by gRPC (its record does not fit a
        slot, or the channel broke)."""
        path = filepath.encode("utf-8")
        policy_bytes = policy.encode("utf-8")
        if not local.fits_io(len(path), len(policy_bytes), len(sges)):
            return None
        request = Request(next(self._ids), op, filepath, desc, sges, local=True)
        with self._mutex:
            self._pending[request.id] = request
        try:
            local.submit_io(_local.READ if op == "PREADV" else _local.WRITE, path, offset, flags, policy_bytes,
                            sges, self._local_done, request)
        except ChannelError:
            with self._lock:
                self._pending.pop(request.id, None)
            return None
        except (ValueError, TfsError) as e:  # a buffer the node cannot map: the request fails, as on gRPC
            code = e.code if isinstance(e, TfsError) else "BAD_REQUEST"
            with self._lock:
                if request.id in self._pending:
                    self._finish(request, 0, _wire.STATUS.get(code, _wire.STATUS["BAD_REQUEST"]), str(e))
                    self._lock.notify_all()
        return request

    def _local_done(self, request, buf, base, status, value, message):
        with self._mutex:
            if request.id in self._pending:
                self._finish(request, value, status, message)
                if self._sleepers:
                    self._lock.notify_all()

    def _open_batch(self):
        if self._outbox is not None:
            return
        self._outbox = queue.Queue()
        self._call = self._batch(self._submissions(self._outbox))
        self._receiver = threading.Thread(target=self._receive, args=(self._call,), name="tensorfs-completions",
                                          daemon=True)
        self._receiver.start()

    @staticmethod
    def _submissions(outbox):
        while True:
            item = outbox.get()
            if item is _END:
                return
            yield item

    def _receive(self, call):
        error = None
        try:
            for completion in call:
                self._complete(completion.id, completion.value, completion.status, completion.message)
        except grpc.RpcError as e:
            error = _error(e)
        with self._lock:
            if error is None and not self._pending:
                return
            self._broken = error or TfsError("UNAVAILABLE", "the batch stream ended")
            # A stream refused as a whole (UNAUTHENTICATED, FORBIDDEN) fails its requests with that code.
            refused = self._broken.code in ("UNAUTHENTICATED", "FORBIDDEN")
            status = _wire.STATUS[self._broken.code if refused else "UNAVAILABLE"]
            for request in list(self._pending.values()):
                self._finish(request, 0, status, self._broken.message)
            self._lock.notify_all()

    def _complete(self, id, value, status, message):
        with self._lock:
            request = self._pending.get(id)
            if request is not None:
                self._finish(request, value, status, message)
                self._lock.notify_all()

    def _finish(self, request, value, status, message):
        del self._pending[request.id]
        request.value, request.status, request.message = value, status, message
        request.done = True
        request._sges = None
        self._completed.append(request)

    # -- tensors ---------------------------------------------------------------------------------------

    def load_into(self, path, tensor, offset=0, timeout=None):
        """Reads ``path`` from ``offset`` into a contiguous tensor (CUDA: straight into its memory;
        CPU: through a shared-memory buffer). Returns the bytes read; fewer than the tensor holds
        when the file ends first."""
        if tensor.is_cuda:
            return self._run(self.read(path, offset, [Sge.of(tensor)]), timeout)
        nbytes = _check_host_tensor(tensor)
        local = self._usable_local()
        if local is not None:
            staging, bid = local.take_staging(nbytes)
            try:
                n = self._run(self.read(path, offset, [staging.sge(0, nbytes)]), timeout)
                view = staging.memoryview()
                _tensor_bytes(tensor)[:n] = view[:n]
                view.release()
            except BaseException:
                staging.close()  # the node may still be writing into it: not reused
                raise
            local.give_staging(staging, bid)
            return n
        with HostBuffer(max(nbytes, 1)) as staging:
            n = self._run(self.read(path, offset, [staging.sge(0, nbytes)]), timeout)
            view = staging.memoryview()
            _tensor_bytes(tensor)[:n] = view[:n]
            view.release()
            return n

    def save_from(self, path, tensor, policy="", timeout=None):
        """Writes a contiguous tensor's bytes as the whole new version of ``path``; returns the bytes."""
        if tensor.is_cuda:
            return self._run(self.write(path, 0, [Sge.of(tensor)], policy=policy), timeout)
        nbytes = _check_host_tensor(tensor)
        local = self._usable_local()
        if local is not None:
            staging, bid = local.take_staging(nbytes)
            try:
                view = staging.memoryview()
                view[:nbytes] = _tensor_bytes(tensor)
                view.release()
                n = self._run(self.write(path, 0, [staging.sge(0, nbytes)], policy=policy), timeout)
            except BaseException:
                staging.close()  # the node may still be reading it: not reused
                raise
            local.give_staging(staging, bid)
            return n
        with HostBuffer(max(nbytes, 1)) as staging:
            view = staging.memoryview()
            view[:nbytes] = _tensor_bytes(tensor)
            view.release()
            return self._run(self.write(path, 0, [staging.sge(0, nbytes)], policy=policy), timeout)

    def _run(self, request, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        if request._local and not request.done:
            self._local._wait(lambda: request.done, deadline)
        with self._lock:
            while not request.done:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("%r did not complete in time" % request)
                self._sleep(left)
            # Taken here, so a later wait() does not return it again.
            if request in self._completed:
                self._completed.remove(request)
        if request.status != 0:
            raise TfsError(request.status_name, request.message)
        return request.value

    # -- KV blocks ---------------------------------------------------------------------------------------

    def kv_put(self, tenant, keys, values):
        """Puts one block per key (``values``: bytes, bytearray, memoryview, numpy arrays, contiguous torch
        tensors; CUDA tensors go straight from GPU memory on the local channel). A put replaces a key's
        block atomically. Returns a KvResult per key."""
        tenant_b, keys_b = _kvdata.names(tenant, keys)
        keys = list(keys)
        values = list(values)
        if len(values) != len(keys):
            raise ValueError("%d values for %d keys" % (len(values), len(keys)))
        sources = [_kvdata.source(v, i) for i, v in enumerate(values)]
        local = self._usable_local()
        if local is not None:
            items = [(_kvlocal.GPU, data, 0) if kind == "gpu" else (_kvlocal.HOST, data, data.nbytes)
                     for kind, data in sources]
            try:
                return _kvlocal.run(local, _local.KV_PUT, tenant_b, keys_b, items)[0]
            except ChannelError:
                pass
        return _kvgrpc.put(self, tenant, keys, sources)

    def kv_get(self, tenant, keys, outs=None):
        """Gets the blocks of ``keys``. Without ``outs``: a list with each block's bytes, None for a miss
        (any other per-key error raises TfsError). With ``outs`` (one writable buffer, array or tensor per
        key, at least as large as its block; CUDA tensors are filled straight on the local channel): a
        KvResult per key, ``length`` the bytes written at the start of its out (TOO_LARGE when the out is
        smaller than the block, NOT_FOUND for a miss)."""
        tenant_b, keys_b = _kvdata.names(tenant, keys)
        keys = list(keys)
        if outs is None:
            return self._kv_get_bytes(tenant, keys, tenant_b, keys_b)
        outs = list(outs)
        if len(outs) != len(keys):
            raise ValueError("%d outs for %d keys" % (len(outs), len(keys)))
        targets = [_kvdata.target(o, i) for i, o in enumerate(outs)]
        local = self._usable_local()
        if local is not None:
            items = [(_kvlocal.GPU, data, 0) if kind == "gpu" else (_kvlocal.HOST, data, data.nbytes)
                     for kind, data in targets]
            try:
                return _kvlocal.run(local, _local.KV_GET, tenant_b, keys_b, items)[0]
            except ChannelError:
                pass
        return _kvgrpc.get(self, tenant, keys, targets)[0]

    def _kv_get_bytes(self, tenant, keys, tenant_b, keys_b):
        local = self._usable_local()
        results = got = None
        if local is not None:
            try:
                results, got = self._kv_get_local_bytes(local, tenant_b, keys_b)
            except ChannelError:
                results = None
        if results is None:
            results, got = _kvgrpc.get(self, tenant, keys)
        for key, result in zip(keys, results):
            if result.status not in (0, _kvdata.NOT_FOUND):
                raise TfsError(result.status_name, "key %s: %s" % (key, result.message or result.status_name))
        return [data if result.ok else None for data, result in zip(got, results)]

    def _kv_get_local_bytes(self, local, tenant_b, keys_b):
        """Blocks as bytes over the channel: room per key from the largest block seen so far, and the keys
        whose block was larger asked again with room for it (or the lengths asked first when guessing
        would stage too much)."""
        n = len(keys_b)
        rooms = [self._kv_room] * n
        if n * self._kv_room > _KV_GUESS_BYTES:
            lengths = _kvlocal.run(local, _local.KV_EXISTS, tenant_b, keys_b)[0]
            rooms = [max(r.length, 1) if r.ok else 1 for r in lengths]
        results, got = [None] * n, [None] * n
        todo = list(range(n))
        for _ in range(4):
            items = [(_kvlocal.WANT, None, rooms[i]) for i in todo]
            answers, data = _kvlocal.run(local, _local.KV_GET, tenant_b, [keys_b[i] for i in todo], items)
            again = []
            for i, result, block in zip(todo, answers, data):
                results[i], got[i] = result, block
                if result.ok:
                    self._kv_room = max(self._kv_room, min(result.length, _KV_ROOM_MAX))
                elif result.status != _kvdata.NOT_FOUND and result.length > rooms[i]:
                    rooms[i] = result.length  # it did not fit the room given: ask again with room for it
                    again.append(i)
            if not again:
                break
            todo = again
        return results, got

    def kv_exists(self, tenant, keys):
        """Which keys have a block: ``(present, prefix)``, a bool per key and how many leading keys are
        present (what an engine asks before it loads a prefix of blocks)."""
        tenant_b, keys_b = _kvdata.names(tenant, keys)
        keys = list(keys)
        local = self._usable_local()
        if local is not None:
            try:
                results = _kvlocal.run(local, _local.KV_EXISTS, tenant_b, keys_b)[0]
                present = [r.ok for r in results]
                return present, _prefix(present)
            except ChannelError:
                pass
        return _kvgrpc.exists(self, tenant, keys)

    def kv_remove(self, tenant, keys):
        """Removes the keys' blocks; a bool per key: whether it had one."""
        tenant_b, keys_b = _kvdata.names(tenant, keys)
        keys = list(keys)
        local = self._usable_local()
        if local is not None:
            try:
                return [r.ok for r in _kvlocal.run(local, _local.KV_REMOVE, tenant_b, keys_b)[0]]
            except ChannelError:
                pass
        return [r.ok for r in _kvgrpc.remove(self, tenant, keys)]

    # -- checkpoints -----------------------------------------------------------------------------------

    @property
    def checkpoints(self):
        """The node's Checkpoints service on this connection (tensorfs.checkpoints.Checkpoints)."""
        if self._checkpoints is None:
            from .checkpoints import Checkpoints

            self._checkpoints = Checkpoints(self._channel)
        return self._checkpoints

    # -- file operations ---------------------------------------------------------------------------

    def stat(self, path):
        """The FileInfo message of a file (path, size, version, policy, chunk_size, chunks, crc32c, mode, uid,
        gid, mtime_millis, content_type, md5_hex, user) or of a directory (is_dir true; path, mode, uid, gid,
        mtime_millis)."""
        return self._call_unary(self._stat, _wire.StatRequest(path=path))

    def mkdir(self, path, mode=0, uid=0, gid=0, mtime_millis=0):
        """Makes an explicit directory (it stays when emptied) and the directories above it; returns its
        FileInfo (is_dir). ``mode`` 0 is 0755, ``mtime_millis`` 0 is now. TfsError CONFLICT "... exists"
        when it is a directory already, CONFLICT when a file has the name."""
        request = _wire.MkdirRequest(path=path, mode=mode, uid=uid, gid=gid, mtime_millis=mtime_millis)
        return self._call_unary(self._mkdir, request)

    def rmdir(self, path):
        """Removes an empty directory. TfsError NOT_FOUND, or CONFLICT "... not empty"."""
        self._call_unary(self._rmdir, _wire.RmdirRequest(path=path))

    def rename(self, src, dst, if_match=None, if_none_match=None):
        """Renames a file (``dst`` becomes its version: same bytes, no copy; ``dst``'s old version goes) or a
        directory (entry by entry, not atomic); returns ``dst``'s FileInfo. ``if_match`` / ``if_none_match``:
        preconditions on ``dst``'s version (``if_none_match="*"``: do not replace). Across tenants:
        TfsError BAD_REQUEST."""
        request = _wire.RenameRequest(precondition=_precondition(if_match, if_none_match), to=dst)
        setattr(request, "from", src)  # "from" is a Python keyword
        return self._call_unary(self._rename, request)

    def set_attributes(self, path, mode=None, uid=None, gid=None, mtime_millis=None, content_type=None, user=None):
        """chmod / chown / utimens / S3 metadata of a file or directory without new bytes: each argument
        that is not None replaces what is there (``user``: the whole map). Returns the FileInfo after."""
        request = _wire.SetAttributesRequest(path=path)
        if mode is not None:
            request.mode = mode
        if uid is not None:
            request.uid = uid
        if gid is not None:
            request.gid = gid
        if mtime_millis is not None:
            request.mtime_millis = mtime_millis
        if content_type is not None:
            request.content_type = content_type
        if user is not None:
            request.replace_user = True
            request.user.update(user)
        return self._call_unary(self._set_attributes, request)

    def list(self, path):
        """Every entry of a directory, sorted by name: messages with name, directory, size (read page
        after page, see ``list_page``)."""
        entries, token = self.list_page(path)
        while token:
            more, token = self.list_page(path, page_token=token)
            entries.extend(more)
        return entries

    def list_page(self, path, limit=1000, page_token=""):
        """One page of a directory's entries, sorted by name: ``(entries, next_page_token)``, the token
        "" on the last page. ``limit``: 1..10000 entries. A name present for a whole listing that pages
        through is listed exactly once, even while others add and remove names."""
        reply = self._call_unary(self._list, _wire.ListRequest(path=path, limit=limit, page_token=page_token))
        return list(reply.entries), reply.next_page_token

    def delete_tree(self, path):
        """Deletes every file under a directory (each like ``delete``); returns how many."""
        return self._call_unary(self._delete_tree, _wire.DeleteTreeRequest(path=path)).files_deleted

    def delete(self, path, if_match=None, if_none_match=None):
        """Deletes the visible version of a file; returns its version number. ``if_match`` /
        ``if_none_match``: RFC 9110 preconditions on the current version (see ``write_bytes``); when one
        fails, TfsError PRECONDITION_FAILED and nothing is deleted."""
        request = _wire.DeleteRequest(path=path, precondition=_precondition(if_match, if_none_match))
        return self._call_unary(self._delete, request).version

    def hint(self, path, op):
        """A cache hint: op is willneed, dontneed, pin or unpin. Returns what the node did."""
        number = _wire.HINT_OP.get(op.upper())
        if number is None or number == 0:
            raise ValueError("hint op must be willneed, dontneed, pin or unpin, not %r" % op)
        return self._call_unary(self._hint, _wire.HintRequest(path=path, op=number)).message

    def read_bytes(self, path, offset=0, length=0):
        """The bytes [offset, offset+length) of a file, clamped to its size; length 0 reads to the end."""
        try:
            return b"".join(c.data for c in self._read(_wire.ReadRequest(path=path, offset=offset, length=length)))
        except grpc.RpcError as e:
            raise _error(e) from None

    def write_bytes(self, path, data, policy="", if_match=None, if_none_match=None, mode=0, uid=0, gid=0,
                    mtime_millis=0, content_type="", md5_hex="", user=None):
        """Writes ``data`` as the whole new version of ``path``; returns its FileInfo.

        ``if_match`` / ``if_none_match``: RFC 9110 preconditions on the version this one replaces, each a
        version number (the ETag), ``"*"``, or a list of version numbers. ``if_match=7``: only if the file
        is at version 7; ``if_none_match="*"``: only if it does not exist. Checked before the bytes are
        taken and again when the new version is sealed: when one fails, TfsError PRECONDITION_FAILED and
        nothing changes.

        ``mode``, ``uid``, ``gid``, ``mtime_millis``, ``content_type``, ``md5_hex``, ``user``: the new
        version's attributes (0 / "" / None: mode 0644, owner 0:0, mtime the seal time, none)."""
        view = memoryview(data).cast("B")
        precondition = _precondition(if_match, if_none_match)
        header = _wire.WriteChunk(path=path, policy=policy, precondition=precondition, mode=mode, uid=uid, gid=gid,
                                  mtime_millis=mtime_millis, content_type=content_type, md5_hex=md5_hex)
        if user:
            header.user.update(user)

        def messages():
            yield header
            for at in range(0, len(view), _WRITE_PIECE):
                yield _wire.WriteChunk(data=bytes(view[at:at + _WRITE_PIECE]))

        try:
            return self._write(messages())
        except grpc.RpcError as e:
            raise _error(e) from None

    @staticmethod
    def _call_unary(method, request):
        try:
            return method(request)
        except grpc.RpcError as e:
            raise _error(e) from None

    # -- lifetime --------------------------------------------------------------------------------------

    def close(self):
        """Ends the batch stream (outstanding requests still complete first), detaches the local channel
        and closes the gRPC channel."""
        if self._local is not None:
            self._local.close()
        if self._outbox is not None:
            self._outbox.put(_END)
            self._receiver.join(timeout=30)
        self._raw_channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _on_this_host(address):
    """Whether ``address`` (host:port) may be this host: a unix socket, or a host name whose addresses
    include one of this host's (an address of this host can be bound). True when it cannot be told (the
    node's AttachLocal then decides); False only for an address of another host."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    if host.startswith("dns:"):
        host = host[4:].lstrip("/")
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return True
    for family, _, _, _, sockaddr in infos:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.bind((sockaddr[0], 0) if family == socket.AF_INET else (sockaddr[0], 0, 0, sockaddr[3]))
            return True
        except OSError:
            continue
    return False


def _prefix(present):
    n = 0
    for p in present:
        if not p:
            break
        n += 1
    return n


def _check_host_tensor(tensor):
    if not tensor.is_contiguous():
        raise ValueError("the tensor must be contiguous")
    return tensor.numel() * tensor.element_size()


def _tensor_bytes(tensor):
    import torch

    return memoryview(tensor.view(-1).view(torch.uint8).numpy())
