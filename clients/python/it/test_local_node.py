"""The local channel against a running node on this host:
TFS_GRPC=127.0.0.1:9090 TFS_TOKEN=... python3 -m unittest discover -s it -p 'test_local_node.py'
(the Java build runs it in PythonCheckpointIT with every test under it/). CUDA tensors: gpu/test_gpu.py.

Everything written one way (channel or gRPC, ``local=False``) is read back the other way, byte-exact;
KV blocks likewise. Malformed records get error completions and the node goes on serving. Skipped
without TFS_GRPC, and when the node does not attach a channel (an in-process test node has none) unless
TFS_EXPECT_LOCAL=1, which makes that a failure."""

import os
import random
import subprocess
import sys
import threading
import time
import unittest
import uuid

import tensorfs
from tensorfs import _local

ADDRESS = os.environ.get("TFS_GRPC")
EXPECT_LOCAL = os.environ.get("TFS_EXPECT_LOCAL", "0") == "1"


@unittest.skipUnless(ADDRESS, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class LocalNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.local = tensorfs.Client(ADDRESS)
        cls.remote = tensorfs.Client(ADDRESS, local=False)
        cls.root = "/pytest-local-" + uuid.uuid4().hex[:10]
        cls.tenant = "pytest-kv-" + uuid.uuid4().hex[:10]

    @classmethod
    def tearDownClass(cls):
        cls.local.close()
        cls.remote.close()

    def setUp(self):
        if EXPECT_LOCAL:
            self.assertTrue(self.local.local, "the node attaches the local channel: %s" % self.local._local_refusal)
        elif not self.local.local:
            self.skipTest("the node did not attach a local channel: %s" % self.local._local_refusal)
        self.assertFalse(self.remote.local)
        self.buffers = []

    def tearDown(self):
        for b in self.buffers:
            b.close()

    def buffer(self, nbytes):
        b = tensorfs.HostBuffer(nbytes)
        self.buffers.append(b)
        return b

    def path(self, name):
        return self.root + "/" + name

    def test_written_on_the_channel_read_by_grpc_and_back(self):
        data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
        for writer, reader, name in ((self.local, self.remote, "ch-to-grpc"), (self.remote, self.local, "grpc-to-ch")):
            src = self.buffer(len(data))
            view = src.memoryview()
            view[:] = data
            view.release()
            n = writer._run(writer.write(self.path(name), 0, [src.sge(0, 1 << 20), src.sge(1 << 20)]), 60)
            self.assertEqual(n, len(data))
            a, b = self.buffer(2 << 20), self.buffer(2 << 20)
            r = reader.read(self.path(name), 5, [a.sge(0, 2 << 20), b.sge(0, 2 << 20)])
            self.assertEqual(reader._run(r, 60), len(data) - 5, name)
            av, bv = a.memoryview(), b.memoryview()
            self.assertEqual(bytes(av) + bytes(bv[:len(data) - 5 - (2 << 20)]), data[5:], name)
            av.release()
            bv.release()

    def test_one_byte_reads_short_reads_and_misses_on_the_channel(self):
        self.remote.write_bytes(self.path("small"), b"abcdef")
        buf = self.buffer(4096)
        one = self.local.read(self.path("small"), 2, [buf.sge(0, 1)])
        short = self.local.read(self.path("small"), 4, [buf.sge(100, 100)])
        past = self.local.read(self.path("small"), 100, [buf.sge(200, 10)])
        missing = self.local.read(self.path("absent"), 0, [buf.sge(300, 10)])
        outside = self.local.read(self.path("small"), 0, [tensorfs.Sge.host(buf.name, 4000, 200)])
        for r in (one, short, past, missing, outside):
            while not r.done:
                self.local.wait(timeout=30)
        view = buf.memoryview()
        self.assertEqual((one.status_name, one.value, bytes(view[0:1])), ("OK", 1, b"c"))
        self.assertEqual((short.value, bytes(view[100:102])), (2, b"ef"))
        self.assertEqual((past.status_name, past.value), ("OK", 0))
        self.assertEqual(missing.status_name, "NOT_FOUND")
        self.assertEqual(outside.status_name, "BAD_REQUEST")
        view.release()

    def test_kv_blocks_put_one_way_got_the_other(self):
        rnd = random.Random(2)
        sizes = [1, 100, 4096, 256 << 10, 1 << 20, 4 << 20]
        blocks = [rnd.randbytes(n) for n in sizes]
        keys = ["blk/%d" % n for n in sizes]
        for putter, getter in ((self.local, self.remote), (self.remote, self.local)):
            self.assertTrue(all(r.ok for r in putter.kv_put(self.tenant, keys, blocks)))
            self.assertEqual(getter.kv_get(self.tenant, keys + ["blk/none"]), blocks + [None])
            outs = [bytearray(n + 3) for n in sizes]
            results = getter.kv_get(self.tenant, keys, outs)
            self.assertEqual([r.length for r in results], sizes)
            for out, block in zip(outs, blocks):
                self.assertEqual(bytes(out[:len(block)]), block)
            present, prefix = getter.kv_exists(self.tenant, keys[:3] + ["blk/none"] + keys[3:])
            self.assertEqual((present, prefix), ([True] * 3 + [False] + [True] * 3, 3))
            self.assertEqual(getter.kv_remove(self.tenant, keys[:2] + ["blk/none"]), [True, True, False])
            self.assertEqual(putter.kv_exists(self.tenant, keys[:2]), ([False, False], 0))

    def test_a_batch_of_many_small_blocks(self):
        keys = ["many/%04d" % i for i in range(1000)]
        blocks = [("%d-" % i).encode() * (i % 40 + 1) for i in range(1000)]
        self.assertTrue(all(r.ok for r in self.local.kv_put(self.tenant, keys, blocks)))
        self.assertEqual(self.remote.kv_get(self.tenant, keys), blocks)
        self.assertEqual(self.local.kv_get(self.tenant, keys), blocks)

    def test_an_out_smaller_than_its_block_is_an_error_of_that_key_only(self):
        self.local.kv_put(self.tenant, ["fit", "nofit"], [b"x" * 10, b"y" * 5000])
        results = self.local.kv_get(self.tenant, ["fit", "nofit"], [bytearray(10), bytearray(100)])
        self.assertTrue(results[0].ok)
        self.assertFalse(results[1].ok)
        self.assertNotEqual(results[1].status_name, "NOT_FOUND")

    def test_malformed_records_get_error_completions_and_the_node_goes_on(self):
        ch = self.local._local

        def raw(fill):
            return ch.call(fill)

        bad_op = raw(lambda buf, base: _local._RECORD.pack_into(buf, base, 99, 0, 0, 0, 0, 0, 0, 0))
        self.assertEqual(bad_op.status, tensorfs.client._wire.STATUS["BAD_REQUEST"], bad_op.message)
        self.assertTrue(bad_op.message)
        unknown_buffer = raw(lambda buf, base: _local.encode_io(buf, base, _local.READ, 0, 0, 0, self.path("x").encode(),
                                                                b"", [(987654, 0, 1)]))
        self.assertEqual(unknown_buffer.status, tensorfs.client._wire.STATUS["BAD_REQUEST"], unknown_buffer.message)
        too_many = raw(lambda buf, base: _local._RECORD.pack_into(buf, base, _local.KV_EXISTS, 0, 100000, 0, 0, 8, 0, 72))
        self.assertEqual(too_many.status, tensorfs.client._wire.STATUS["BAD_REQUEST"], too_many.message)
        outside = raw(lambda buf, base: _local.encode_io(buf, base, _local.READ, 0, 0, 0, self.path("x").encode(), b"",
                                                         [(_local.INLINE, ch.slot_bytes - 8, 4096)]))
        self.assertEqual(outside.status, tensorfs.client._wire.STATUS["BAD_REQUEST"], outside.message)
        bad_unregister = raw(lambda buf, base: _local.encode_plain(buf, base, _local.UNREGISTER, 0, 123456))
        self.assertNotEqual(bad_unregister.status, 0)
        nop = raw(lambda buf, base: _local.encode_plain(buf, base, _local.NOP, 0))
        self.assertEqual((nop.status, nop.value), (0, 0))
        self.assertTrue(self.local.kv_put(self.tenant, ["after-bad"], [b"ok"])[0].ok)
        self.assertEqual(self.local.kv_get(self.tenant, ["after-bad"]), [b"ok"])

    def test_host_tensors_through_the_channel(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch is not installed")
        t = torch.arange(100_000, dtype=torch.float32)
        self.local.save_from(self.path("tensor"), t)
        back = torch.zeros_like(t)
        self.remote.load_into(self.path("tensor"), back)
        self.assertTrue(torch.equal(back, t))
        again = torch.zeros_like(t)
        self.local.load_into(self.path("tensor"), again)
        self.assertTrue(torch.equal(again, t))
        self.assertTrue(self.local.kv_put(self.tenant, ["tensor"], [t])[0].ok)
        out = torch.zeros_like(t)
        self.assertTrue(self.remote.kv_get(self.tenant, ["tensor"], [out])[0].ok)
        self.assertTrue(torch.equal(out, t))

    def test_threads_share_one_client_on_the_channel(self):
        self.remote.write_bytes(self.path("shared"), bytes(range(256)) * 16)
        errors = []

        def work(t):
            try:
                buf = tensorfs.HostBuffer(4096)
                try:
                    for i in range(100):
                        key = "thr/%d/%d" % (t, i)
                        value = ("%d-%d" % (t, i)).encode() * (1 + i)
                        assert self.local.kv_put(self.tenant, [key], [value])[0].ok
                        assert self.local.kv_get(self.tenant, [key]) == [value], key
                        n = self.local._run(self.local.read(self.path("shared"), i, [buf.sge(0, 100)]), 60)
                        view = buf.memoryview()
                        assert n == 100 and bytes(view[:100]) == bytes((i + j) % 256 for j in range(100)), i
                        view.release()
                finally:
                    buf.close()
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(300)
        self.assertEqual(errors, [])
        self.assertEqual(self.local.outstanding(), 0)

    def test_a_client_killed_with_its_channel_open_is_detached_and_its_segment_removed(self):
        code = ("import os, sys, signal; sys.path.insert(0, %r); import tensorfs; c = tensorfs.Client(%r);"
                "assert c.local; c.kv_put(%r, ['killed'], [b'k']); print(c._local.shm_name, flush=True);"
                "os.kill(os.getpid(), signal.SIGKILL)"
                % (os.path.dirname(os.path.dirname(tensorfs.__file__)), ADDRESS, self.tenant))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        name = out.stdout.strip()
        self.assertTrue(name.startswith("tfs-ch-"), out.stderr)
        deadline = time.monotonic() + 30
        while os.path.exists("/dev/shm/" + name) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists("/dev/shm/" + name), "the node removed the segment of a client that died")
        self.assertEqual(self.local.kv_get(self.tenant, ["killed"]), [b"k"])

    def test_a_closed_channel_is_released_and_a_new_client_attaches(self):
        c = tensorfs.Client(ADDRESS)
        self.assertEqual(c.local, self.local.local)
        name = c._local.shm_name if c._local else None
        c.kv_put(self.tenant, ["closing"], [b"c"])
        c.close()
        if name:
            self.assertFalse(os.path.exists("/dev/shm/" + name))
        with tensorfs.Client(ADDRESS) as again:
            self.assertEqual(again.kv_get(self.tenant, ["closing"]), [b"c"])


if __name__ == "__main__":
    unittest.main()
