"""The local channel: shared-memory submission and completion rings to a node on this host.

The client makes ``/dev/shm/tfs-ch-<pid>-<hex>`` (a header, a submission ring of slot indexes, a completion
ring, and ``slots`` request slots), writes the header, and asks the node to attach it (gRPC AttachLocal).
From then on each request is a fixed-size record written into a free slot whose index is pushed on the
submission ring; the node polls the ring, runs the request and pushes ``(slot, status, value)`` on the
completion ring. Buffers are registered once (host segments by name, CUDA allocations by IPC handle) and
named by id in the records. Little-endian; the byte layout is the one in the repository's contract of the
local channel (README: "The local channel").

Threads: submissions and polls may come from any thread. Slots are handed out under ``_sq_lock``; the
completion ring is drained by whichever thread holds ``_poll_lock`` at the time, which completes every
finished request, its own or another thread's. Waiting spins on the completion ring for a short while,
then yields the CPU (``time.sleep(0)``) between looks, then sleeps in short naps.

Memory ordering: the header counters are read and written as aligned 4-byte native loads and stores
(memoryview items), and x86 keeps stores in program order, so the node sees a slot's record before the
ring entry that names it, and this side reads a completion entry after the tail that covers it. Other
CPUs are not supported: there the client stays on gRPC.
"""

import atexit
import os
import platform
import struct
import sys
import threading
import time
import weakref

from . import _wire
from .memory import SHM_DIR, _OPEN, HostBuffer, create_segment

MAGIC = 0x314C4E4843534654  # "TFSCHNL1" little-endian
VERSION = 1
HEADER = 24576
SQ_OFF = 4096
CQ_OFF = 8192
MAX_SLOTS = 1024
MIN_SLOT_BYTES = 8 << 10
MAX_SLOT_BYTES = 1 << 20
RECORD = 64            # the request record at the start of each slot; arguments follow
ERROR_AREA = 1024      # the last bytes of a slot: u16 length + utf8 error text
INLINE = 0xFFFFFFFF    # an SGE buffer id meaning "this slot", offset from the slot's start
MAX_KEYS = 4096
MAX_NAME_BYTES = 4096  # a tensorfs path is at most 4096 bytes; keys and tenants are names within one

# Header fields (byte offsets).
SQ_TAIL, SQ_HEAD, CQ_TAIL, CQ_HEAD = 64, 128, 192, 256
NODE_HEARTBEAT, NODE_STATE, CLIENT_STATE = 320, 328, 384
CLIENT_OPEN, CLIENT_CLOSING = 1, 2
NODE_DETACHED = 2

# Ops.
READ, WRITE, KV_PUT, KV_GET, KV_EXISTS, KV_REMOVE = 1, 2, 3, 4, 5, 6
REGISTER_HOST, REGISTER_GPU, UNREGISTER, NOP, DETACH = 7, 8, 9, 10, 11

_HEAD = struct.Struct("<QIIII16s")          # magic, version, slots, slot_bytes, reserved, nonce
_RECORD = struct.Struct("<HHIQQIII")        # op, flags, count, user, offset, args_len, policy_len, results_off
_SGE = struct.Struct("<IIQQ")               # buffer id, 0, offset, length
_CQE = struct.Struct("<IiQ")                # slot, status, value
_RESULT = struct.Struct("<iIQ")             # status, 0, length
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")
_GPU_ARGS = struct.Struct("<64siIQ")        # cudaIpcMemHandle_t, device, 0, size

OK = 0
NOT_FOUND = _wire.STATUS["NOT_FOUND"]
UNAVAILABLE = _wire.STATUS["UNAVAILABLE"]
INTERNAL = _wire.STATUS["INTERNAL"]

SPIN_S = 50e-6     # busy-poll this long before yielding the CPU
YIELD_S = 2e-3     # then yield (sleep(0)) between looks this long, then nap
NAP_S = 50e-6
LIVENESS_S = 0.25  # while waiting, look at the node's state this often
STALE_S = 10.0     # a heartbeat unchanged this long: the node is gone (it stamps it every 100 ms)


def supported():
    """Whether this process can use a local channel (little-endian x86, where the ordering argument of
    the module's docstring holds, and a /dev/shm)."""
    return (sys.byteorder == "little" and platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
            and os.path.isdir(SHM_DIR))


def align8(n):
    return (n + 7) & ~7


class ChannelError(Exception):
    """The channel can no longer be used (the node detached or stopped answering)."""


# -- the byte layout of records (pure functions over a writable buffer; a slot starts at ``base``) -----

def record_fits_io(slot_bytes, path_len, policy_len, count):
    return align8(RECORD + 2 + path_len + policy_len) + _SGE.size * count <= slot_bytes - ERROR_AREA


def encode_io(buf, base, op, flags, user, offset, path, policy, sges):
    """A READ or WRITE record: ``path``/``policy`` utf8 bytes, ``sges`` (buffer id, offset, length)."""
    at = base + RECORD
    _U16.pack_into(buf, at, len(path))
    at += 2
    end = at + len(path)
    buf[at:end] = path
    if policy:
        buf[end:end + len(policy)] = policy
        end += len(policy)
    at = base + align8(end - base)
    for bid, off, length in sges:
        _SGE.pack_into(buf, at, bid, 0, off, length)
        at += 24
    _RECORD.pack_into(buf, base, op, flags, len(sges), user, offset, at - base - RECORD, len(policy), 0)


def kv_names_bytes(tenant, keys):
    """Bytes the tenant and keys take in a KV record's arguments."""
    return 2 + len(tenant) + sum(2 + len(k) for k in keys)


def encode_kv(buf, base, op, user, tenant, keys, sges):
    """A KV record: tenant, keys, then (PUT/GET) one SGE per key; the per-key results follow the
    arguments. Returns the results' offset in the slot."""
    at = base + RECORD
    _U16.pack_into(buf, at, len(tenant))
    buf[at + 2:at + 2 + len(tenant)] = tenant
    at += 2 + len(tenant)
    for key in keys:
        _U16.pack_into(buf, at, len(key))
        buf[at + 2:at + 2 + len(key)] = key
        at += 2 + len(key)
    at = base + align8(at - base)
    if sges is not None:
        for bid, off, length in sges:
            _SGE.pack_into(buf, at, bid, 0, off, length)
            at += 24
    results_off = at - base
    _RECORD.pack_into(buf, base, op, 0, len(keys), user, 0, results_off - RECORD, 0, results_off)
    return results_off


def encode_register_host(buf, base, user, name, size):
    _U16.pack_into(buf, base + RECORD, len(name))
    buf[base + RECORD + 2:base + RECORD + 2 + len(name)] = name
    _U64.pack_into(buf, base + RECORD + 2 + len(name), size)
    _RECORD.pack_into(buf, base, REGISTER_HOST, 0, 0, user, 0, 2 + len(name) + 8, 0, 0)


def encode_register_gpu(buf, base, user, handle, device, size):
    _GPU_ARGS.pack_into(buf, base + RECORD, handle, device, 0, size)
    _RECORD.pack_into(buf, base, REGISTER_GPU, 0, 0, user, 0, _GPU_ARGS.size, 0, 0)


def encode_plain(buf, base, op, user, offset=0):
    """UNREGISTER (``offset`` = buffer id), NOP, DETACH."""
    _RECORD.pack_into(buf, base, op, 0, 0, user, offset, 0, 0, 0)


def read_error(buf, base, slot_bytes):
    at = base + slot_bytes - ERROR_AREA
    n = min(_U16.unpack_from(buf, at)[0], ERROR_AREA - 2)
    return bytes(buf[at + 2:at + 2 + n]).decode("utf-8", "replace")


# -- the channel ---------------------------------------------------------------------------------------

class _Op:
    """An operation of the channel's own (registration, KV chunk, detach) waited for by its caller."""

    __slots__ = ("done", "status", "value", "message", "reader", "result")

    def __init__(self, reader=None):
        self.done = False
        self.status = 0
        self.value = 0
        self.message = ""
        self.reader = reader  # reader(buf, base, status, value) -> result, run before the slot is reused
        self.result = None


def _finish_op(op, buf, base, status, value, message):
    if op.reader is not None and status == OK:
        try:
            op.result = op.reader(buf, base, status, value)
        except Exception as e:  # a fault of this side: the caller's, not the polling thread's to raise
            status, message = INTERNAL, "reading the completion: %r" % (e,)
    op.status, op.value, op.message = status, value, message
    op.done = True


def _ignore(obj, buf, base, status, value, message):
    pass


class LocalChannel:
    """One attached channel. ``attach(shm_name, pid, nonce) -> (channel_id, node_id)`` asks the node to
    attach (raises when it will not; the segment is then removed)."""

    def __init__(self, attach, slots=64, slot_bytes=64 << 10):
        if slots < 1 or slots > MAX_SLOTS or slots & (slots - 1):
            raise ValueError("slots must be a power of two from 1 to %d, not %d" % (MAX_SLOTS, slots))
        if slot_bytes % 4096 or not MIN_SLOT_BYTES <= slot_bytes <= MAX_SLOT_BYTES:
            raise ValueError("slot_bytes must be a multiple of 4096 from 8 KiB to 1 MiB, not %d" % slot_bytes)
        import uuid

        self.slots = slots
        self.slot_bytes = slot_bytes
        self._mask = slots - 1
        self.pid = os.getpid()
        self.shm_name = "tfs-ch-%d-%s" % (self.pid, uuid.uuid4().hex[:16])
        self._path = os.path.join(SHM_DIR, self.shm_name)
        self.nonce = os.urandom(16)
        self._map = create_segment(self._path, HEADER + slots * slot_bytes)
        self._buf = memoryview(self._map)
        self._u32 = self._buf[:HEADER].cast("I")
        _HEAD.pack_into(self._map, 0, MAGIC, VERSION, slots, slot_bytes, 0, self.nonce)
        self._u32[CLIENT_STATE >> 2] = CLIENT_OPEN
        self._sq_tail = 0
        self._cq_head = 0
        self._free = list(range(slots - 1, -1, -1))
        self._owners = [None] * slots  # slot -> (fn(obj, buf, base, status, value, message), obj)
        self._sq_lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._reg_lock = threading.Lock()
        self._host_ids = {}    # segment name -> (buffer id, size, inode or None)
        self._gpu_ids = {}     # (handle, device) -> (buffer id, size)
        self._forgotten = []   # buffer ids to unregister at the next chance
        self._staging = []     # idle registered HostBuffers: (size, HostBuffer, id)
        self._in_flight = 0
        self._beat = (None, 0.0)
        self.broken = None
        self.closed = False
        try:
            self.channel_id, self.node_id = attach(self.shm_name, self.pid, self.nonce)
        except BaseException:
            self._unmap()
            raise
        _LIVE.add(self)

    # -- submitting ------------------------------------------------------------------------------------

    def usable(self):
        return self.broken is None and not self.closed

    def _take_slot(self, deadline=None):
        """A free slot: completes finished requests to free one when none is."""
        free = self._free
        try:
            return free.pop()
        except IndexError:
            pass
        self._wait(lambda: bool(free) or self.broken is not None, deadline)
        if self.broken is not None:
            raise self.broken
        try:
            return free.pop()
        except IndexError:
            raise TimeoutError("no slot of the local channel came free in time") from None

    def _push(self, slot, fn, obj):
        self._owners[slot] = (fn, obj)
        u32 = self._u32
        with self._sq_lock:
            if self.broken is not None:
                self._owners[slot] = None
                self._free.append(slot)
                raise self.broken
            tail = self._sq_tail
            u32[(SQ_OFF >> 2) + (tail & self._mask)] = slot
            tail = (tail + 1) & 0xFFFFFFFF
            self._sq_tail = tail
            self._in_flight += 1
            u32[SQ_TAIL >> 2] = tail

    def _base(self, slot):
        return HEADER + slot * self.slot_bytes

    def fits_io(self, path_len, policy_len, count):
        return record_fits_io(self.slot_bytes, path_len, policy_len, count)

    def submit_io(self, op, path, offset, flags, policy, sges, fn, obj):
        """Submits a READ/WRITE of ``sges`` (memory.Sge); ``fn(obj, buf, base, status, value, message)``
        runs on completion (on whichever thread polls). The record must fit (``fits_io``)."""
        elements = [self._element(s) for s in sges]
        self._flush_forgotten()
        slot = self._take_slot()
        encode_io(self._map, HEADER + slot * self.slot_bytes, op, flags, 0, offset, path, policy, elements)
        self._push(slot, fn, obj)

    def _element(self, sge):
        if sge.segment is not None:
            return self.host_id(sge.segment), sge.offset, sge.length
        return self.gpu_id(sge.handle, sge.device, sge.extent), sge.offset, sge.length

    def call(self, encode, reader=None, deadline=None):
        """Runs one operation of the channel's own and waits for it: ``encode(buf, base)`` writes the
        record. Returns the finished _Op."""
        op = _Op(reader)
        slot = self._take_slot(deadline)
        encode(self._map, HEADER + slot * self.slot_bytes)
        self._push(slot, _finish_op, op)
        self.wait_for(op, deadline)
        return op

    def start(self, encode, reader=None):
        """Submits one operation of the channel's own without waiting; returns its _Op."""
        op = _Op(reader)
        slot = self._take_slot()
        encode(self._map, HEADER + slot * self.slot_bytes)
        self._push(slot, _finish_op, op)
        return op

    # -- registrations ---------------------------------------------------------------------------------

    def host_id(self, name):
        """The buffer id of host segment /dev/shm/<name>, registering it on first use."""
        entry = self._host_ids.get(name)
        if entry is not None:
            if entry[2] is None or self._inode(name) == entry[2]:
                return entry[0]
        with self._reg_lock:
            entry = self._host_ids.get(name)
            if entry is not None:
                if entry[2] is None or self._inode(name) == entry[2]:
                    return entry[0]
                # The name now names another segment: its old registration maps the old one.
                del self._host_ids[name]
                self._forgotten.append(entry[0])
            try:
                st = os.stat(os.path.join(SHM_DIR, name))
            except OSError as e:
                raise ValueError("no shared-memory segment %r: %s" % (name, e.strerror)) from None
            mine = _OPEN.get(name)
            encoded = name.encode("utf-8")
            op = self.call(lambda buf, base: encode_register_host(buf, base, 0, encoded, st.st_size))
            if op.status != OK:
                from .client import TfsError
                raise TfsError(_wire.STATUS_NAMES.get(op.status, str(op.status)),
                               "registering segment %s: %s" % (name, op.message))
            if mine is not None:
                ref = weakref.ref(self)
                mine._on_close.append(lambda n, ref=ref: _forget_host(ref, n))
                self._host_ids[name] = (op.value, st.st_size, None)
            else:
                self._host_ids[name] = (op.value, st.st_size, (st.st_dev, st.st_ino))
            return op.value

    @staticmethod
    def _inode(name):
        try:
            st = os.stat(os.path.join(SHM_DIR, name))
            return st.st_dev, st.st_ino
        except OSError:
            return None

    def forget_host(self, name):
        entry = self._host_ids.pop(name, None)
        if entry is not None:
            self._forgotten.append(entry[0])

    def gpu_id(self, handle, device, extent):
        """The buffer id of a CUDA allocation, registered on first use (again with a larger size when an
        element reaches past what was registered; the old id is then released)."""
        key = (handle, device)
        entry = self._gpu_ids.get(key)
        if entry is not None and entry[1] >= extent:
            return entry[0]
        with self._reg_lock:
            entry = self._gpu_ids.get(key)
            if entry is not None and entry[1] >= extent:
                return entry[0]
            op = self.call(lambda buf, base: encode_register_gpu(buf, base, 0, handle, device, extent))
            if op.status != OK:
                from .client import TfsError
                raise TfsError(_wire.STATUS_NAMES.get(op.status, str(op.status)),
                               "registering a CUDA allocation of gpu%d: %s" % (device, op.message))
            if entry is not None:
                self._forgotten.append(entry[0])
            self._gpu_ids[key] = (op.value, extent)
            return op.value

    def _flush_forgotten(self):
        while self._forgotten and self._free:
            try:
                bid = self._forgotten.pop()
            except IndexError:
                return
            slot = self._take_slot()
            encode_plain(self._map, HEADER + slot * self.slot_bytes, UNREGISTER, 0, bid)
            self._push(slot, _ignore, None)

    # -- staging (host bytes that do not live in a registered segment) -----------------------------------

    def take_staging(self, nbytes):
        """A registered host segment of at least ``nbytes``: ``(HostBuffer, buffer id)``. Give it back
        with ``give_staging`` once the requests naming it are done."""
        nbytes = max(nbytes, 1)
        with self._reg_lock:
            for i, (size, buffer, bid) in enumerate(self._staging):
                if size >= nbytes:
                    del self._staging[i]
                    return buffer, bid
        size = 1 << max(20, (nbytes - 1).bit_length())
        buffer = HostBuffer(size)
        try:
            return buffer, self.host_id(buffer.name)
        except BaseException:
            buffer.close()
            raise

    def give_staging(self, buffer, bid):
        if not self.usable():
            buffer.close()
            return
        with self._reg_lock:
            self._staging.append((buffer.nbytes, buffer, bid))
            self._staging.sort(key=lambda e: e[0])
            while len(self._staging) > 4 or sum(e[0] for e in self._staging) > (256 << 20):
                _, dropped, _ = self._staging.pop(0)
                dropped.close()  # its close hook queues the UNREGISTER

    # -- completions -------------------------------------------------------------------------------------

    def poll(self):
        """Completes every request the node has finished; returns how many (0 when another thread is
        polling right now)."""
        if self._u32[CQ_TAIL >> 2] == self._cq_head or not self._poll_lock.acquire(False):
            return 0
        try:
            u32 = self._u32
            tail = u32[CQ_TAIL >> 2]
            head = self._cq_head
            buf = self._map
            owners = self._owners
            mask = self._mask
            n = 0
            try:
                while head != tail:
                    slot, status, value = _CQE.unpack_from(buf, CQ_OFF + 16 * (head & mask))
                    head = (head + 1) & 0xFFFFFFFF
                    n += 1
                    if slot >= self.slots or owners[slot] is None:
                        continue  # not a slot in flight: nothing to complete
                    fn, obj = owners[slot]
                    owners[slot] = None
                    base = HEADER + slot * self.slot_bytes
                    message = read_error(buf, base, self.slot_bytes) if status != OK else ""
                    try:
                        fn(obj, buf, base, status, value, message)
                    finally:
                        self._in_flight -= 1
                        self._free.append(slot)
            finally:
                self._cq_head = head
                u32[CQ_HEAD >> 2] = head
            return n
        finally:
            self._poll_lock.release()

    def wait_for(self, op, deadline=None):
        """Waits for an _Op; raises TimeoutError past ``deadline`` (time.monotonic), ChannelError when
        the node went away."""
        if not op.done:
            self._wait(lambda: op.done, deadline)
        if not op.done:
            raise self.broken or TimeoutError("the local channel's request did not complete in time")

    def _wait(self, done, deadline=None):
        """Polls until ``done()`` (True) or ``deadline`` or the channel breaks (False)."""
        poll = self.poll
        poll()
        if done():
            return True
        start = now = time.perf_counter()
        # deadline is on time.monotonic; convert once.
        stop = None if deadline is None else start + (deadline - time.monotonic())
        spin_until = start + SPIN_S
        yield_until = start + YIELD_S
        look_at = start + LIVENESS_S
        while True:
            poll()
            if done():
                return True
            now = time.perf_counter()
            if now < spin_until:
                continue
            if now >= look_at:
                look_at = now + LIVENESS_S
                if not self._node_alive(now):
                    return False
            if stop is not None and now >= stop:
                return False
            time.sleep(0 if now < yield_until else NAP_S)

    def _node_alive(self, now):
        """False (and the channel broken) when the node detached or its heartbeat stopped."""
        if self.broken is not None:
            return False
        u32 = self._u32
        if u32[NODE_STATE >> 2] == NODE_DETACHED:
            self._break("the node detached the local channel")
            return False
        beat = (u32[NODE_HEARTBEAT >> 2], u32[(NODE_HEARTBEAT >> 2) + 1])
        if beat != self._beat[0]:
            self._beat = (beat, now)
        elif now - self._beat[1] > STALE_S:
            self._break("the node's heartbeat on the local channel stopped %.1f s ago" % (now - self._beat[1]))
            return False
        return True

    def _break(self, why):
        """Fails every request in flight with UNAVAILABLE; the channel is not used again."""
        with self._sq_lock:
            if self.broken is not None:
                return
            self.broken = ChannelError(why)
        with self._poll_lock:
            self._in_flight = 0
            for slot, owner in enumerate(self._owners):
                if owner is not None:
                    self._owners[slot] = None
                    fn, obj = owner
                    fn(obj, self._map, HEADER + slot * self.slot_bytes, UNAVAILABLE, 0, why)

    @property
    def in_flight(self):
        return self._in_flight

    # -- closing -----------------------------------------------------------------------------------------

    def close(self, timeout=30.0):
        """Waits (up to ``timeout`` s) for requests in flight, says it is closing, detaches, unmaps and
        removes the segment. Safe to call twice and at interpreter exit."""
        if self.closed:
            return
        if os.getpid() != self.pid:  # a forked child: the channel is its parent's
            self.closed = True
            return
        deadline = time.monotonic() + timeout
        if self.broken is None:
            self._wait(lambda: self._in_flight == 0, deadline)
        self.closed = True
        if self.broken is None and self._free:
            try:
                slot = self._free.pop()
                encode_plain(self._map, HEADER + slot * self.slot_bytes, DETACH, 0)
                self._push(slot, _ignore, None)
                u32 = self._u32
                self._wait(lambda: self._in_flight == 0 or u32[NODE_STATE >> 2] == NODE_DETACHED,
                           time.monotonic() + 0.5)
            except ChannelError:
                pass
        self._u32[CLIENT_STATE >> 2] = CLIENT_CLOSING
        for _, buffer, _ in self._staging:
            buffer._on_close = []
            buffer.close()
        self._staging = []
        _LIVE.discard(self)
        self._unmap()

    def _unmap(self):
        try:
            self._u32.release()
            self._buf.release()
            self._map.close()
        except (BufferError, ValueError):
            pass  # a view still exported: the mapping goes with the process
        try:
            os.unlink(self._path)
        except FileNotFoundError:
            pass


def _forget_host(ref, name):
    channel = ref()
    if channel is not None:
        channel.forget_host(name)


_LIVE = weakref.WeakSet()


def _after_fork_in_child():
    # The rings and slots are the parent's: a forked child must not touch them (its clients use gRPC).
    for channel in list(_LIVE):
        channel.closed = True
    _LIVE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _close_all():
    for channel in list(_LIVE):
        try:
            channel.close(timeout=1.0)
        except Exception:
            pass
