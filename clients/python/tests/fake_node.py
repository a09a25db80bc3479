"""An in-memory stand-in for the few tensorfs.Client calls that file loaders make (stat, read_bytes, read,
write, _run), serving host shared-memory elements the way the node does: it opens /dev/shm/<segment> and
reads or writes the bytes at the element's offset. Used by the unit tests that run without a node."""

import os
from types import SimpleNamespace

from tensorfs import TfsError
from tensorfs.memory import SHM_DIR


class FakeNode:
    def __init__(self):
        self.files = {}
        self.reads = []  # (path, offset, total length) of every batch read, to check the batching
        self.events = []  # "read" at each submission, "run" at each wait, in order

    def stat(self, path):
        if path not in self.files:
            raise TfsError("NOT_FOUND", "no file %s" % path)
        return SimpleNamespace(path=path, size=len(self.files[path]))

    def read_bytes(self, path, offset=0, length=0):
        data = self.stat(path) and self.files[path]
        end = len(data) if length == 0 else min(len(data), offset + length)
        return bytes(data[offset:end])

    def write_bytes(self, path, data, policy=""):
        self.files[path] = bytes(data)

    def read(self, path, offset, sges, flags=0, desc=None):
        if path not in self.files:
            return SimpleNamespace(error=TfsError("NOT_FOUND", "no file %s" % path), value=0)
        data = self.files[path]
        at = offset
        for sge in sges:
            if sge.segment is None:
                raise AssertionError("the fake node serves host segments only")
            piece = data[at:at + sge.length]
            with open(os.path.join(SHM_DIR, sge.segment), "r+b") as f:
                f.seek(sge.offset)
                f.write(piece)
            at += len(piece)
        total = sum(s.length for s in sges)
        self.reads.append((path, offset, total))
        self.events.append("read")
        return SimpleNamespace(error=None, value=max(0, min(len(data) - offset, total)))

    def write(self, path, offset, sges, flags=0, desc=None, policy=""):
        out = bytearray()
        for sge in sges:
            with open(os.path.join(SHM_DIR, sge.segment), "rb") as f:
                f.seek(sge.offset)
                out += f.read(sge.length)
        self.files[path] = bytes(out)
        return SimpleNamespace(error=None, value=len(out))

    def _run(self, request, timeout):
        self.events.append("run")
        if request.error is not None:
            raise request.error
        return request.value
