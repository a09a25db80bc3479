"""O_DIRECT reads of files written the ways a node writes replicas, to tell the disk's own speed from the
serving path's: one 1 GiB file written alone, three written interleaved (as a chain's three replicas on one
disk), sixteen 64 MiB files per replica; each read with one thread of 4 MiB reads and with 8 threads of
2 or 4 MiB reads. Usage: python3 disk_patterns.py DIR (needs about 5 GiB free in DIR; removes nothing).
python3 disk_patterns.py DIR --depths 1,2,4,8,16 writes only the replica files and reads them with 4 MiB reads
in file order, that many at once (the queue depths a node serving one reader keeps), each depth twice.
python3 disk_patterns.py DIR --streams 1,2,4 [DEPTH] reads them that many files at a time with their pieces
interleaved (as a reader loading several chunks at once asks for them), DEPTH reads at once (8)."""
import os, mmap, time, threading, sys
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
MB = 1 << 20; W = 4 * MB; N = 256  # 1 GiB per file
buf = mmap.mmap(-1, W); buf.write(os.urandom(W))
def opend(p, fl): return os.open(p, fl | os.O_DIRECT, 0o644)
def write_solo(p):
    fd = opend(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for i in range(N): os.pwrite(fd, buf, i * W)
    os.fsync(fd); os.close(fd)
def write_inter(ps):
    fds = [opend(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) for p in ps]
    for i in range(N):
        for fd in fds: os.pwrite(fd, buf, i * W)
    for fd in fds: os.fsync(fd); os.close(fd)
def write_chunks(prefix, k):  # 16 files of 64 MiB, 3 writers interleaved (as replicas)
    for c in range(16):
        fds = [opend(f"{prefix}{r}-{c}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC) for r in range(k)]
        for i in range(16):
            for fd in fds: os.pwrite(fd, buf, i * W)
        for fd in fds: os.fsync(fd); os.close(fd)
def read_seq(paths, size):
    rb = mmap.mmap(-1, size); t = time.time(); n = 0
    for p in paths:
        fd = opend(p, os.O_RDONLY); off = 0
        while True:
            r = os.preadv(fd, [rb], off)
            if r <= 0: break
            off += r; n += r
        os.close(fd)
    return n / (time.time() - t) / 1e6
def read_par(paths, size, threads):
    return read_jobs([(p, off) for p in paths for off in range(0, os.path.getsize(p), size)], size, threads)
def read_jobs(jobs, size, threads):
    """Reads the (file, offset) pieces in the order given, `threads` at once; MB/s."""
    lock = threading.Lock(); tot = [0]
    def work():
        rb = mmap.mmap(-1, size)
        while True:
            with lock:
                if not jobs: return
                p, off = jobs.pop(0)
            fd = opend(p, os.O_RDONLY); r = os.preadv(fd, [rb], off); os.close(fd)
            with lock: tot[0] += r
    t = time.time(); ts = [threading.Thread(target=work) for _ in range(threads)]
    [x.start() for x in ts]; [x.join() for x in ts]
    return tot[0] / (time.time() - t) / 1e6
def read_streams(paths, size, streams, threads):
    """Reads the files `streams` at a time, their 4 MiB pieces interleaved (file 0's first, file 1's first, ...),
    `threads` at once: the order a reader that loads several chunks at once asks a holder for them."""
    jobs = []
    for g in range(0, len(paths), streams):
        group = paths[g:g + streams]
        pieces = [[(p, off) for off in range(0, os.path.getsize(p), size)] for p in group]
        for i in range(max(len(x) for x in pieces)):
            jobs += [x[i] for x in pieces if i < len(x)]
    return read_jobs(jobs, size, threads)
if len(sys.argv) > 3 and sys.argv[2] == "--streams":
    # python3 disk_patterns.py DIR --streams 1,2,4 [DEPTH]: the replica files read that many files at once,
    # pieces interleaved, DEPTH reads in flight (default 8), each count twice.
    write_chunks(f"{d}/r", 3)
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    for k, streams in enumerate([int(x) for x in sys.argv[3].split(",")] * 2):
        r = f"{d}/r{k % 3}-"
        print("16 x 64 MiB replica files, 4 MiB reads, %d files at once interleaved, %2d reads at once: %.0f MB/s"
              % (streams, depth, read_streams([f"{r}{c}" for c in range(16)], 4 * MB, streams, depth)))
    sys.exit(0)
if len(sys.argv) > 3 and sys.argv[2] == "--depths":
    write_chunks(f"{d}/r", 3)
    for depth in [int(x) for x in sys.argv[3].split(",")] * 2:
        r = f"{d}/r{depth % 3}-"
        print("16 x 64 MiB replica files, 4 MiB reads, %2d at once: %.0f MB/s"
              % (depth, read_par([f"{r}{c}" for c in range(16)], 4 * MB, depth)))
    sys.exit(0)
write_solo(f"{d}/solo")
print("solo file, 1 thread 4 MiB: %.0f MB/s" % read_seq([f"{d}/solo"], W))
print("solo file, 8 threads 2 MiB: %.0f MB/s" % read_par([f"{d}/solo"], 2 * MB, 8))
write_inter([f"{d}/a", f"{d}/b", f"{d}/c"])
print("interleaved-written file, 1 thread 4 MiB: %.0f MB/s" % read_seq([f"{d}/a"], W))
print("interleaved-written file, 8 threads 2 MiB: %.0f MB/s" % read_par([f"{d}/b"], 2 * MB, 8))
write_chunks(f"{d}/r", 3)
chunks = [f"{d}/r0-{c}" for c in range(16)]
print("16 x 64 MiB replica files, 1 thread 4 MiB: %.0f MB/s" % read_seq(chunks, W))
print("16 x 64 MiB replica files, 8 threads 2 MiB: %.0f MB/s" % read_par([f"{d}/r1-{c}" for c in range(16)], 2 * MB, 8))
print("16 x 64 MiB replica files, 8 threads 4 MiB: %.0f MB/s" % read_par([f"{d}/r2-{c}" for c in range(16)], 4 * MB, 8))
print("solo again, 1 thread 4 MiB: %.0f MB/s" % read_seq([f"{d}/solo"], W))
print("solo again, 8 threads 2 MiB: %.0f MB/s" % read_par([f"{d}/solo"], 2 * MB, 8))
