"""Tests of the Python client against a running node: TFS_GRPC=host:port python3 -m unittest discover -s tests.

Host buffers only (no torch, no GPU). Every test uses its own paths under /pytest-<random>/.
"""

import os
import random
import unittest
import uuid

import tensorfs

ADDRESS = os.environ.get("TFS_GRPC")


@unittest.skipUnless(ADDRESS, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = tensorfs.Client(ADDRESS)
        cls.root = "/pytest-" + uuid.uuid4().hex[:10]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def setUp(self):
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

    def wait_all(self, requests):
        while not all(r.done for r in requests):
            self.assertTrue(self.client.wait(timeout=30), "completions did not come in 30 s")
        return requests

    def test_read_scatters_file_into_host_buffers_byte_exact(self):
        data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
        self.client.write_bytes(self.path("scatter.bin"), data)
        a, b = self.buffer(2 << 20), self.buffer(2 << 20)

        first = self.client.read(self.path("scatter.bin"), 5, [a.sge(0, 1 << 20), b.sge(100, 1 << 20), a.sge(1 << 20, 999)],
                                 desc="first")
        second = self.client.read(self.path("scatter.bin"), 3 << 20, [b.sge((1 << 20) + 200, 4096)], desc="second")
        r1, r2 = self.wait_all([first, second])

        self.assertTrue(r1.ok, r1.message)
        self.assertEqual(r1.desc, "first")
        self.assertEqual(r1.value, (2 << 20) + 999)
        av, bv = a.memoryview(), b.memoryview()
        self.assertEqual(bytes(av[0:1 << 20]), data[5:5 + (1 << 20)])
        self.assertEqual(bytes(bv[100:100 + (1 << 20)]), data[5 + (1 << 20):5 + (2 << 20)])
        self.assertEqual(bytes(av[1 << 20:(1 << 20) + 999]), data[5 + (2 << 20):5 + (2 << 20) + 999])
        self.assertTrue(r2.ok, r2.message)
        self.assertEqual(r2.value, 17, "a read at the end of the file is short")
        self.assertEqual(bytes(bv[(1 << 20) + 200:(1 << 20) + 217]), data[3 << 20:])
        av.release()
        bv.release()

    def test_read_past_end_and_missing_file_complete_with_value_and_status(self):
        self.client.write_bytes(self.path("small.bin"), b"x" * 100)
        buf = self.buffer(4096)

        past = self.client.read(self.path("small.bin"), 1000, [buf.sge(0, 10)])
        missing = self.client.read(self.path("absent.bin"), 0, [buf.sge(0, 10)])
        too_small = self.client.read(self.path("small.bin"), 0, [tensorfs.Sge.host(buf.name, 4000, 200)])
        self.wait_all([past, missing, too_small])

        self.assertTrue(past.ok)
        self.assertEqual(past.value, 0)
        self.assertEqual(missing.status_name, "NOT_FOUND")
        self.assertEqual(too_small.status_name, "BAD_REQUEST")

    def test_write_gathers_host_buffers_then_reads_back(self):
        a, b = self.buffer(1 << 20), self.buffer(1 << 20)
        part_a = random.Random(2).randbytes(1 << 20)
        part_b = random.Random(3).randbytes(1 << 20)
        av, bv = a.memoryview(), b.memoryview()
        av[:] = part_a
        bv[:] = part_b
        av.release()
        bv.release()

        w = self.client.write(self.path("gathered.bin"), 0, [a.sge(), b.sge(10, 1000)], flags=tensorfs.FLAG_KVCACHE)
        bad = self.client.write(self.path("offset.bin"), 7, [a.sge(0, 10)])
        self.wait_all([w, bad])

        self.assertTrue(w.ok, w.message)
        self.assertEqual(w.value, (1 << 20) + 1000)
        self.assertEqual(self.client.read_bytes(self.path("gathered.bin")), part_a + part_b[10:1010])
        self.assertEqual(self.client.stat(self.path("gathered.bin")).policy, "kvcache")
        self.assertEqual(bad.status_name, "BAD_REQUEST")

    def test_many_requests_in_flight_all_complete(self):
        data = random.Random(4).randbytes(1 << 20)
        self.client.write_bytes(self.path("many.bin"), data)
        buf = self.buffer(300 * 4096)
        requests = [self.client.read(self.path("many.bin"), (i % 256) * 4096, [buf.sge(i * 4096, 4096)], desc=i)
                    for i in range(300)]
        done = self.wait_all(requests)
        view = buf.memoryview()
        for r in done:
            self.assertTrue(r.ok, r.message)
            self.assertEqual(r.value, 4096)
            at = (r.desc % 256) * 4096
            self.assertEqual(bytes(view[r.desc * 4096:(r.desc + 1) * 4096]), data[at:at + 4096])
        view.release()
        self.assertEqual(self.client.outstanding(), 0)

    def test_stat_list_delete_round_trip(self):
        info = self.client.write_bytes(self.path("dir/f.bin"), b"hello tensorfs")
        stat = self.client.stat(self.path("dir/f.bin"))
        self.assertEqual(stat.size, 14)
        self.assertEqual(stat.version, info.version)
        self.assertEqual(self.client.read_bytes(self.path("dir/f.bin"), 6, 3), b"ten")
        names = [(e.name, e.directory) for e in self.client.list(self.path("dir"))]
        self.assertEqual(names, [("f.bin", False)])
        self.assertEqual(self.client.delete(self.path("dir/f.bin")), stat.version)
        with self.assertRaises(tensorfs.TfsError) as failed:
            self.client.stat(self.path("dir/f.bin"))
        self.assertEqual(failed.exception.code, "NOT_FOUND")
        with self.assertRaises(tensorfs.TfsError) as bad:
            self.client.read_bytes(self.root + "//x")
        self.assertEqual(bad.exception.code, "BAD_PATH")

    def test_list_pages_through_a_directory_and_delete_tree_removes_it(self):
        names = ["f%03d" % i for i in range(25)]
        for name in names:
            self.client.write_bytes(self.path("paged/" + name), b"x" * 3)
        self.client.write_bytes(self.path("paged/sub/deep.bin"), b"yy")
        seen, token, pages = [], "", 0
        while True:
            entries, token = self.client.list_page(self.path("paged"), limit=7, page_token=token)
            self.assertLessEqual(len(entries), 7)
            seen.extend(e.name for e in entries)
            pages += 1
            if not token:
                break
        self.assertEqual(seen, names + ["sub"])
        self.assertEqual(pages, 4)
        self.assertEqual([e.name for e in self.client.list(self.path("paged"))], names + ["sub"])
        with self.assertRaises(tensorfs.TfsError) as bad:
            self.client.list_page(self.path("paged"), limit=10001)
        self.assertEqual(bad.exception.code, "BAD_REQUEST")
        self.assertEqual(self.client.delete_tree(self.path("paged")), 26)
        with self.assertRaises(tensorfs.TfsError) as gone:
            self.client.list(self.path("paged"))
        self.assertEqual(gone.exception.code, "NOT_FOUND")
        with self.assertRaises(tensorfs.TfsError) as again:
            self.client.delete_tree(self.path("paged"))
        self.assertEqual(again.exception.code, "NOT_FOUND")

    def test_write_and_delete_only_when_their_preconditions_hold(self):
        path = self.path("cond/f.bin")
        v1 = self.client.write_bytes(path, b"one", if_none_match="*").version
        for precondition in ({"if_none_match": "*"}, {"if_match": v1 + 6}, {"if_match": [v1 + 1, v1 + 2]}):
            with self.assertRaises(tensorfs.TfsError) as refused:
                self.client.write_bytes(path, b"never", **precondition)
            self.assertEqual(refused.exception.code, "PRECONDITION_FAILED", precondition)
        self.assertIn("is at version %d" % v1, refused.exception.message)
        self.assertEqual(self.client.read_bytes(path), b"one")
        v2 = self.client.write_bytes(path, b"two", if_match=v1).version
        self.assertEqual(v2, v1 + 1)
        with self.assertRaises(tensorfs.TfsError) as refused:
            self.client.delete(path, if_match=v1)
        self.assertEqual(refused.exception.code, "PRECONDITION_FAILED")
        with self.assertRaises(tensorfs.TfsError) as refused:
            self.client.delete(path, if_none_match=str(v2))
        self.assertEqual(refused.exception.code, "PRECONDITION_FAILED")
        self.assertEqual(self.client.read_bytes(path), b"two")
        self.assertEqual(self.client.delete(path, if_match="*"), v2)
        with self.assertRaises(TypeError):
            self.client.delete(path, if_match=1.5)

    def test_hint_reaches_node_or_reports_why_not(self):
        self.client.write_bytes(self.path("hinted.bin"), b"abc")
        try:
            said = self.client.hint(self.path("hinted.bin"), "willneed")
            self.assertIsInstance(said, str)
        except tensorfs.TfsError as e:
            self.assertEqual(e.code, "UNAVAILABLE", "a node without cache hints says so")
        with self.assertRaises(ValueError):
            self.client.hint(self.path("hinted.bin"), "sometimes")


class HostBufferTest(unittest.TestCase):
    def test_host_buffer_is_a_named_shared_memory_segment(self):
        with tensorfs.HostBuffer(8192) as b:
            self.assertTrue(os.path.exists("/dev/shm/" + b.name))
            sge = b.sge(4096)
            self.assertEqual((sge.segment, sge.offset, sge.length), (b.name, 4096, 4096))
            with self.assertRaises(ValueError):
                b.sge(8000, 500)
        self.assertFalse(os.path.exists("/dev/shm/" + b.name))

    def test_cuda_ipc_handle_is_taken_from_versioned_torch_handles(self):
        from tensorfs.memory import _cuda_ipc_handle

        raw = bytes(range(64))
        self.assertEqual(_cuda_ipc_handle(raw), raw)
        self.assertEqual(_cuda_ipc_handle(b"\x02c" + raw), raw)
        with self.assertRaises(ValueError):
            _cuda_ipc_handle(b"\x02e" + raw)


if __name__ == "__main__":
    unittest.main()
