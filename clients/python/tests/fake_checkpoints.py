"""An in-memory stand-in for a node's Checkpoints service, for tests only: the contract's rules on offsets,
declared sizes, rank_done and commit, with bytes acknowledged in parts of ``part_bytes`` (a stream cut
off keeps only its sealed parts, as the node does)."""

import mmap
import os
import threading
import time

from tensorfs import _wire
from tensorfs.checkpoints import COMMITTED, OPEN
from tensorfs.client import TfsError


class _Checkpoint:
    def __init__(self, name, ranks, policy, keep_last):
        self.name, self.ranks, self.policy, self.keep_last = name, ranks, policy, keep_last
        self.state = OPEN
        self.items = {}  # (rank, key) -> [declared size, bytearray of acknowledged bytes]
        self.ranks_done = set()
        self.begun = int(time.time() * 1000)
        self.committed = 0


class FakeCheckpoints:
    def __init__(self, part_bytes=1 << 20, cut_after=None):
        self.part_bytes = part_bytes
        self.cut_after = cut_after  # cut the next save stream once it has received this many bytes
        self.saves = 0
        self._lock = threading.Lock()
        self._all = {}

    @property
    def checkpoints(self):
        return self

    def _get(self, name):
        cp = self._all.get(name)
        if cp is None:
            raise TfsError("NOT_FOUND", "no checkpoint %s" % name)
        return cp

    def _info(self, cp):
        job, _, step = cp.name.rpartition("/")
        size = sum(len(b) for _s, b in cp.items.values())
        return _wire.CheckpointInfo(name=cp.name, job=job, step=step, state=cp.state, ranks=cp.ranks, size=size,
                                    items=len(cp.items), policy=cp.policy or "persistent",
                                    begun_at_millis=cp.begun, committed_at_millis=cp.committed)

    def begin(self, name, ranks=1, policy="", keep_last=0):
        with self._lock:
            if name in self._all:
                raise TfsError("CONFLICT", "checkpoint %s exists" % name)
            if ranks < 1:
                raise TfsError("BAD_REQUEST", "ranks must be at least 1")
            cp = self._all[name] = _Checkpoint(name, ranks, policy, keep_last)
            return self._info(cp)

    def save(self, messages, timeout=None):
        with self._lock:
            self.saves += 1
        cp, rank = None, None
        sent = {}  # key -> bytes received in this stream, not yet acknowledged
        received = 0
        try:
            for m in messages:
                if cp is None:
                    with self._lock:
                        cp = self._get(m.name)
                    rank = m.rank
                    if cp.state != OPEN:
                        raise TfsError("CONFLICT", "checkpoint %s is committed" % cp.name)
                    if rank >= cp.ranks:
                        raise TfsError("BAD_REQUEST", "rank %d of %d" % (rank, cp.ranks))
                if m.key:
                    data = bytes(m.data) + b"".join(_read_sge(s) for s in m.sges)
                    with self._lock:
                        entry = cp.items.get((rank, m.key))
                        if entry is None:
                            if not m.size and data:
                                raise TfsError("BAD_REQUEST", "item %s has no declared size" % m.key)
                            entry = cp.items[(rank, m.key)] = [m.size, bytearray()]
                        elif m.size and m.size != entry[0]:
                            raise TfsError("BAD_REQUEST", "item %s was declared %d bytes" % (m.key, entry[0]))
                        pending = sent.setdefault(m.key, bytearray())
                        expected = len(entry[1]) + len(pending)
                        if m.offset != expected:
                            raise TfsError("PRECONDITION_FAILED", "item %s is at %d, not %d" % (m.key, expected, m.offset))
                        if expected + len(data) > entry[0]:
                            raise TfsError("BAD_REQUEST", "item %s: bytes past its %d" % (m.key, entry[0]))
                        pending += data
                        # seal whole parts as they complete
                        whole = len(pending) - len(pending) % self.part_bytes
                        if len(entry[1]) + len(pending) == entry[0]:
                            whole = len(pending)
                        if whole:
                            entry[1] += pending[:whole]
                            del pending[:whole]
                    received += len(data)
                    if self.cut_after is not None and received >= self.cut_after:
                        self.cut_after = None
                        raise TfsError("UNAVAILABLE", "stream cut off (test)")
                if m.rank_done:
                    with self._lock:
                        cp.ranks_done.add(rank)
        except TfsError:
            raise
        except Exception as e:  # the client's iterator failed: the stream is cut off
            raise TfsError("INTERNAL", "the save stream broke: %r" % e) from None
        reply = _wire.SaveReply()
        with self._lock:
            for key in sent:
                size, data = cp.items[(rank, key)]
                reply.items.add(rank=rank, key=key, size=size, acknowledged=len(data))
        return reply

    def commit(self, name):
        with self._lock:
            cp = self._get(name)
            missing = sorted(set(range(cp.ranks)) - cp.ranks_done)
            partial = [k for k, (s, b) in cp.items.items() if len(b) != s]
            if missing or partial:
                raise TfsError("CONFLICT", "ranks %s not done, items %s incomplete" % (missing, partial))
            cp.state, cp.committed = COMMITTED, int(time.time() * 1000)
            return self._info(cp)

    def abort(self, name):
        with self._lock:
            return self._info(self._all.pop(name) if name in self._all else self._get(name))

    delete = abort

    def describe(self, name):
        with self._lock:
            cp = self._get(name)
            m = _wire.CheckpointManifest(info=self._info(cp))
            for (rank, key), (size, data) in sorted(cp.items.items()):
                m.items.add(rank=rank, key=key, size=size, acknowledged=len(data))
            m.ranks_done.extend(sorted(cp.ranks_done))
            return m

    def list(self, job):
        with self._lock:
            return [self._info(cp) for cp in sorted(self._all.values(), key=lambda c: c.committed)
                    if cp.state == COMMITTED and cp.name.rpartition("/")[0] == job]

    def latest(self, job):
        found = self.list(job)
        if not found:
            raise TfsError("NOT_FOUND", "no checkpoint of %s" % job)
        return found[-1]

    def restore(self, name, items=None):
        with self._lock:
            cp = self._get(name)
            if cp.state != COMMITTED:
                raise TfsError("NOT_FOUND", "%s is not committed" % name)
            keys = list(items) if items else sorted(cp.items)
            for k in keys:
                if tuple(k) not in cp.items:
                    raise TfsError("NOT_FOUND", "no item %s" % (k,))
            chosen = [(tuple(k), cp.items[tuple(k)]) for k in keys]
        return _FakeStream(self._restore(chosen))

    @staticmethod
    def _restore(chosen):
        for (rank, key), (size, data) in chosen:
            first = _wire.RestoreMessage()
            first.item.rank, first.item.key, first.item.size, first.item.acknowledged = rank, key, size, len(data)
            first.data = bytes(data[:1 << 20])
            yield first
            for at in range(1 << 20, len(data), 1 << 20):
                yield _wire.RestoreMessage(data=bytes(data[at:at + (1 << 20)]))


class _FakeStream:
    def __init__(self, generator):
        self._generator = generator

    def __iter__(self):
        return self._generator

    def cancel(self):
        self._generator.close()


def _read_sge(sge):
    if sge.WhichOneof("memory") != "host":
        raise TfsError("BAD_REQUEST", "the fake reads host segments only")
    fd = os.open(os.path.join("/dev/shm", sge.host.name), os.O_RDONLY)
    try:
        with mmap.mmap(fd, 0, prot=mmap.PROT_READ) as m:
            return bytes(m[sge.offset:sge.offset + sge.length])
    finally:
        os.close(fd)
