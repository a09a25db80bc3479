"""The machine's own O_DIRECT read of a file, the yardstick of a cold read: the file's bytes read past the
page cache into page-aligned memory in large reads, several in flight (one thread each, os.preadv releases
the GIL), timed, then checked byte for byte against what was written. No torch, no node.

    seconds = read_checked(path, expected)   # raises AssertionError if any byte differs
"""

import mmap
import os
import threading
import time

ALIGN = 4096
MIB = 1 << 20


def write_file(path, data):
    """Writes ``data`` (any buffer) to ``path`` and syncs it, so an O_DIRECT read finds it on the disk."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _aligned(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def read_direct(path, size, buffer, in_flight=4, io_bytes=8 * MIB):
    """Reads the first ``size`` bytes of ``path`` with O_DIRECT into ``buffer`` (a page-aligned mmap of at
    least size rounded up to 4 KiB), in reads of ``io_bytes`` with ``in_flight`` of them at once. Returns
    the seconds taken; raises OSError where the file system refuses O_DIRECT, IOError on a short file."""
    if io_bytes % ALIGN:
        raise ValueError("io_bytes must be a multiple of %d" % ALIGN)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        view = memoryview(buffer)
        offsets = list(range(0, size, io_bytes))
        got = [0] * len(offsets)
        failures = []

        def worker(k):
            try:
                for i in range(k, len(offsets), in_flight):
                    at = offsets[i]
                    want = _aligned(min(io_bytes, size - at))
                    n = 0
                    while n < want:
                        r = os.preadv(fd, [view[at + n:at + want]], at + n)
                        if r == 0:
                            break
                        n += r
                    got[i] = min(n, size - at)
            except BaseException as e:  # reported by the caller
                failures.append(e)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(in_flight)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        view.release()
    finally:
        os.close(fd)
    if failures:
        raise failures[0]
    if sum(got) != size:
        raise IOError("O_DIRECT read of %s got %d of %d bytes" % (path, sum(got), size))
    return seconds


def read_checked(path, expected, rounds=1, in_flight=4, io_bytes=8 * MIB):
    """The best of ``rounds`` O_DIRECT reads of ``path``, each round's bytes compared with ``expected`` (a
    buffer of the file's bytes) after it is timed; the memory is zeroed before each round, so a round that
    read nothing cannot pass on an earlier one's bytes."""
    import numpy as np

    want = np.frombuffer(expected, dtype=np.uint8)
    size = want.size
    # Freed when the last view of it goes (numpy's views pin it, so it is not closed by hand).
    buffer = mmap.mmap(-1, _aligned(size))
    got = np.frombuffer(buffer, dtype=np.uint8, count=size)
    best = None
    for r in range(rounds):
        got[:] = 0
        seconds = read_direct(path, size, buffer, in_flight, io_bytes)
        if not np.array_equal(got, want):
            bad = int(np.argmax(got != want))
            raise AssertionError("O_DIRECT round %d: byte %d of %s differs" % (r, bad, path))
        best = seconds if best is None else min(best, seconds)
    return best
