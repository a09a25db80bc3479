"""The Python side of the local channel, against a node side written in this test from the byte layout
(tests/fake_local_node.py): the header, records, SGEs and results the client writes, reads and writes,
KV calls over the channel and over gRPC, registration, errors, detaching. No Java node needed."""

import os
import random
import struct
import subprocess
import sys
import unittest
from unittest import mock

import grpc
import numpy

import tensorfs
from tensorfs import _local, _wire
from tensorfs.kv import KVStore

try:
    from fake_local_node import HEADER, MAGIC, FakeNode, parse_record  # python3 -m unittest discover -s tests
except ImportError:
    from .fake_local_node import HEADER, MAGIC, FakeNode, parse_record  # python3 -m unittest tests.test_local

S = _wire.STATUS


def _torch():
    try:
        import torch

        return torch
    except ImportError:
        return None


class CodecTest(unittest.TestCase):
    """Records the client encodes, decoded by the test's own reading of the layout."""

    def slot(self, nbytes=8192):
        return bytearray(nbytes)

    def test_io_record_has_path_policy_and_aligned_sges(self):
        slot = self.slot()
        _local.encode_io(slot, 0, _local.WRITE, 1, 77, 0, "/t/a/b.bin".encode(), b"cache(1,3)",
                         [(5, 4096, 100), (_local.INLINE, 512, 9)])
        rec = parse_record(slot)
        self.assertEqual((rec["op"], rec["flags"], rec["count"], rec["user"], rec["offset"]), (2, 1, 2, 77, 0))
        self.assertEqual(rec["path"], "/t/a/b.bin")
        self.assertEqual((rec["policy"], rec["policy_len"]), ("cache(1,3)", 10))
        self.assertEqual(rec["sges"], [(5, 4096, 100), (_local.INLINE, 512, 9)])
        sge_at = (64 + 2 + 10 + 10 + 7) & ~7
        self.assertEqual(rec["args_len"], sge_at + 48 - 64)
        self.assertEqual(struct.unpack_from("<IIQQ", slot, sge_at), (5, 0, 4096, 100))

    def test_read_record_carries_its_offset_at_byte_16(self):
        slot = self.slot()
        _local.encode_io(slot, 0, _local.READ, 0, 0, (1 << 40) + 3, "/x".encode(), b"", [(1, 0, 1)])
        self.assertEqual(struct.unpack_from("<Q", slot, 16)[0], (1 << 40) + 3)
        self.assertEqual(parse_record(slot)["policy_len"], 0)

    def test_kv_record_has_tenant_keys_sges_and_results_after_them(self):
        slot = self.slot()
        keys = ["blk/0", "blk/1", "ключ"]
        results_off = _local.encode_kv(slot, 0, _local.KV_PUT, 9, b"tenant-a", [k.encode() for k in keys],
                                       [(3, 0, 10), (3, 64, 20), (_local.INLINE, 4000, 5)])
        rec = parse_record(slot)
        self.assertEqual((rec["op"], rec["count"], rec["user"], rec["tenant"], rec["keys"]),
                         (3, 3, 9, "tenant-a", keys))
        self.assertEqual(rec["sges"], [(3, 0, 10), (3, 64, 20), (_local.INLINE, 4000, 5)])
        self.assertEqual(rec["results_off"], results_off)
        self.assertEqual(results_off % 8, 0)

    def test_exists_record_has_no_sges(self):
        slot = self.slot()
        results_off = _local.encode_kv(slot, 0, _local.KV_EXISTS, 0, b"t", [b"a", b"bb"], None)
        rec = parse_record(slot)
        self.assertEqual(rec["keys"], ["a", "bb"])
        self.assertEqual(results_off, (64 + 3 + 3 + 4 + 7) & ~7)

    def test_register_records(self):
        slot = self.slot()
        _local.encode_register_host(slot, 0, 0, b"tfs-1-abc", 1 << 20)
        rec = parse_record(slot)
        self.assertEqual((rec["op"], rec["name"], rec["size"]), (7, "tfs-1-abc", 1 << 20))
        handle = bytes(range(64))
        _local.encode_register_gpu(slot, 0, 0, handle, 3, 12345)
        rec = parse_record(slot)
        self.assertEqual((rec["op"], rec["handle"], rec["device"], rec["size"]), (8, handle, 3, 12345))
        _local.encode_plain(slot, 0, _local.UNREGISTER, 0, 42)
        self.assertEqual(parse_record(slot)["offset"], 42)

    def test_error_text_sits_in_the_last_kib(self):
        slot = self.slot()
        text = "unknown buffer id 7".encode()
        struct.pack_into("<H", slot, 8192 - 1024, len(text))
        slot[8192 - 1022:8192 - 1022 + len(text)] = text
        self.assertEqual(_local.read_error(slot, 0, 8192), "unknown buffer id 7")

    def test_plan_splits_a_batch_over_slots_and_keeps_everything_inside(self):
        from tensorfs import _kvlocal

        keys = [("key-%04d" % i).encode() for i in range(600)]
        items = [(_kvlocal.HOST, None, 100 if i % 3 else 5000) for i in range(600)]
        chunks = _kvlocal.plan(8192, b"tenant", keys, items)
        self.assertGreater(len(chunks), 1)
        self.assertEqual([c.start for c in chunks[1:]], [c.end for c in chunks[:-1]])
        self.assertEqual(chunks[-1].end, 600)
        for c in chunks:
            count = c.end - c.start
            self.assertEqual(c.inline_base, c.results_off + 16 * count)
            end = c.inline_base + sum((items[i][2] + 7) & ~7 for i in c.inline)
            self.assertLessEqual(end, 8192 - 1024)

    def test_slot_geometry_is_checked(self):
        for slots, slot_bytes in ((3, 8192), (2048, 8192), (4, 4096), (4, 8192 + 1), (4, 2 << 20)):
            with self.assertRaises(ValueError):
                _local.LocalChannel(lambda *a: (1, "n"), slots=slots, slot_bytes=slot_bytes)


class ChannelTest(unittest.TestCase):
    """A Client on the channel of the fake node."""

    @classmethod
    def setUpClass(cls):
        cls.node = FakeNode()
        cls.server, cls.address = cls.node.serve()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.server.stop(None)

    def setUp(self):
        self.client = tensorfs.Client(self.address, token="", local=True)
        self.addCleanup(self.client.close)
        self.assertTrue(self.client.local, "the fake node attached the channel")
        self.channel = self.node.channels[-1]
        self.buffers = []

    def tearDown(self):
        for b in self.buffers:
            b.close()

    def buffer(self, nbytes):
        b = tensorfs.HostBuffer(nbytes)
        self.buffers.append(b)
        return b

    def wait_all(self, requests):
        while not all(r.done for r in requests):
            self.assertTrue(self.client.wait(timeout=30), "completions did not come in 30 s")
        return requests

    def test_header_is_the_contract_layout(self):
        local = self.client._local
        path = "/dev/shm/" + local.shm_name
        self.assertTrue(local.shm_name.startswith("tfs-ch-%d-" % os.getpid()))
        self.assertEqual(os.path.getsize(path), HEADER + local.slots * local.slot_bytes)
        with open(path, "rb") as f:
            head = f.read(400)
        magic, version, slots, slot_bytes, reserved, nonce = struct.unpack_from("<QIIII16s", head, 0)
        self.assertEqual((magic, version, slots, slot_bytes, reserved), (MAGIC, 1, local.slots, local.slot_bytes, 0))
        self.assertEqual(head[:8], b"TFSCHNL1")
        self.assertEqual(nonce, local.nonce)
        self.assertEqual(struct.unpack_from("<I", head, 384)[0], 1, "client_state open")
        self.assertEqual(struct.unpack_from("<I", head, 328)[0], 1, "node_state attached")

    def test_write_gathers_and_read_scatters_byte_exact(self):
        data = random.Random(1).randbytes(300_000)
        a, b = self.buffer(200_000), self.buffer(200_000)
        view = a.memoryview()
        view[:200_000] = data[:200_000]
        view.release()
        view = b.memoryview()
        view[:100_000] = data[200_000:]
        view.release()
        w = self.client.write("/t/f.bin", 0, [a.sge(), b.sge(0, 100_000)], flags=tensorfs.FLAG_KVCACHE, desc="w")
        self.wait_all([w])
        self.assertTrue(w.ok, w.message)
        self.assertEqual((w.value, w.desc), (300_000, "w"))
        self.assertEqual(self.node.files["/t/f.bin"], data)
        self.assertEqual(self.node.policies["/t/f.bin"], "kvcache")

        c, d = self.buffer(150_000), self.buffer(150_000)
        r = self.client.read("/t/f.bin", 7, [c.sge(0, 150_000), d.sge(0, 150_000)])
        self.assertEqual(self.client._run(r, 30), 299_993, "short at the end of the file")
        cv, dv = c.memoryview(), d.memoryview()
        self.assertEqual(bytes(cv) + bytes(dv[:149_993]), data[7:])
        cv.release()
        dv.release()

    def test_read_past_end_missing_file_and_sge_outside_its_buffer(self):
        self.node.files["/t/small"] = b"x" * 100
        buf = self.buffer(4096)
        past = self.client.read("/t/small", 1000, [buf.sge(0, 10)])
        missing = self.client.read("/t/absent", 0, [buf.sge(0, 10)])
        outside = self.client.read("/t/small", 0, [tensorfs.Sge.host(buf.name, 4000, 200)])
        no_segment = self.client.read("/t/small", 0, [tensorfs.Sge.host("tfs-no-such-segment", 0, 1)])
        bad_write = self.client.write("/t/w", 7, [buf.sge(0, 10)])
        self.wait_all([past, missing, outside, no_segment, bad_write])
        self.assertTrue(past.ok)
        self.assertEqual(past.value, 0)
        self.assertEqual(missing.status_name, "NOT_FOUND")
        self.assertEqual(outside.status_name, "BAD_REQUEST")
        self.assertIn("outside buffer", outside.message)
        self.assertEqual(no_segment.status_name, "BAD_REQUEST")
        self.assertIn("tfs-no-such-segment", no_segment.message)
        self.assertEqual(bad_write.status_name, "BAD_REQUEST")

    def test_more_requests_than_slots_all_complete(self):
        data = random.Random(4).randbytes(256 * 512)
        self.node.files["/t/many"] = data
        buf = self.buffer(300 * 512)
        slots = self.client._local.slots
        requests = [self.client.read("/t/many", (i % 256) * 512, [buf.sge(i * 512, 512)], desc=i) for i in range(300)]
        self.assertGreater(len(requests), slots)
        view = buf.memoryview()
        for r in self.wait_all(requests):
            self.assertTrue(r.ok, r.message)
            at = (r.desc % 256) * 512
            self.assertEqual(bytes(view[r.desc * 512:(r.desc + 1) * 512]), data[at:at + 512])
        view.release()
        self.assertEqual(self.client.outstanding(), 0)
        self.assertEqual(self.client.wait(timeout=0), [])

    def test_a_segment_is_registered_once_and_released_when_closed(self):
        self.node.files["/t/reg"] = b"abc"
        buf = tensorfs.HostBuffer(4096)
        before = len(self.node.registered)
        for _ in range(5):
            self.assertEqual(self.client._run(self.client.read("/t/reg", 0, [buf.sge(0, 3)]), 30), 3)
        mine = [r for r in self.node.registered[before:] if r[1] == ("host", buf.name)]
        self.assertEqual(len(mine), 1)
        buf.close()
        self.client._run(self.client.read("/t/reg", 0, [self.buffer(16).sge(0, 3)]), 30)
        self.assertIn(mine[0][0], self.node.unregistered)

    def test_a_segment_name_made_anew_is_registered_anew(self):
        self.node.files["/t/again"] = b"first-segment"
        name = "tfs-test-%d-again" % os.getpid()
        for round_ in range(2):
            buf = _RawSegment(name, 4096)
            try:
                self.assertEqual(self.client._run(self.client.read("/t/again", 0, [tensorfs.Sge.host(name, 0, 13)]), 30), 13)
                self.assertEqual(buf.read(13), b"first-segment", "round %d reads into the segment now named" % round_)
            finally:
                buf.close()
        self.assertEqual(len([r for r in self.node.registered if r[1] == ("host", name)]), 2)

    def test_kv_put_get_exists_remove_with_bytes_numpy_and_torch(self):
        grpc_calls = len(self.node.kv_calls)
        rnd = random.Random(7)
        small = rnd.randbytes(100)
        large = rnd.randbytes(300_000)  # past a slot: staged
        array = numpy.arange(1000, dtype=numpy.float32)
        values = [small, bytearray(large), array]
        keys = ["b/small", "b/large", "b/array"]
        torch = _torch()
        if torch is not None:
            tensor = torch.arange(500, dtype=torch.float64)
            values.append(tensor)
            keys.append("b/tensor")
        results = self.client.kv_put("ten", keys, values)
        self.assertTrue(all(r.ok for r in results), results)
        self.assertEqual([r.length for r in results[:3]], [100, 300_000, 4000])
        self.assertEqual(self.node.kv[("ten", "b/large")], large)
        self.assertEqual(self.node.kv[("ten", "b/array")], array.tobytes())

        got = self.client.kv_get("ten", keys + ["b/missing"])
        self.assertEqual(got[:3], [small, large, array.tobytes()])
        self.assertIsNone(got[-1])
        if torch is not None:
            self.assertEqual(got[3], tensor.numpy().tobytes())

        out_small, out_large, out_array = bytearray(200), numpy.zeros(300_000, numpy.uint8), numpy.zeros_like(array)
        outs = [out_small, out_large, out_array, bytearray(10)]
        results = self.client.kv_get("ten", ["b/small", "b/large", "b/array", "b/missing"], outs)
        self.assertEqual([r.status_name for r in results], ["OK", "OK", "OK", "NOT_FOUND"])
        self.assertEqual(bytes(out_small[:100]), small)
        self.assertEqual(bytes(out_small[100:]), bytes(100), "bytes past the block are left alone")
        self.assertEqual(out_large.tobytes(), large)
        self.assertTrue((out_array == array).all())
        too_small = self.client.kv_get("ten", ["b/large"], [bytearray(1000)])[0]
        self.assertEqual((too_small.status_name, too_small.length), ("TOO_LARGE", 300_000))
        if torch is not None:
            out = torch.zeros(500, dtype=torch.float64)
            self.assertTrue(self.client.kv_get("ten", ["b/tensor"], [out])[0].ok)
            self.assertTrue(torch.equal(out, tensor))

        present, prefix = self.client.kv_exists("ten", ["b/small", "b/large", "b/nope", "b/array"])
        self.assertEqual((present, prefix), ([True, True, False, True], 2))
        self.assertEqual(self.client.kv_remove("ten", ["b/small", "b/nope"]), [True, False])
        self.assertEqual(self.client.kv_exists("ten", ["b/small"]), ([False], 0))
        self.assertEqual(self.node.kv_calls[grpc_calls:], [], "all of it went through the channel")

    def test_a_batch_larger_than_a_slot_spans_several_records(self):
        keys = ["many/%05d" % i for i in range(3000)]
        values = [("v%d" % i).encode() * (1 + i % 50) for i in range(3000)]
        before = len(self.node.records)
        self.assertTrue(all(r.ok for r in self.client.kv_put("ten", keys, values)))
        puts = [r for r in self.node.records[before:] if r["op"] == _local.KV_PUT]
        self.assertGreater(len(puts), 1)
        self.assertEqual(sum(r["count"] for r in puts), 3000)
        self.assertEqual(self.client.kv_get("ten", keys), values)
        present, prefix = self.client.kv_exists("ten", keys[:2000] + ["many/none"] + keys[2000:])
        self.assertEqual(prefix, 2000)
        self.assertEqual(present.count(False), 1)

    def test_a_get_without_outs_asks_again_for_a_block_larger_than_its_room(self):
        block = random.Random(9).randbytes(3 << 20)
        self.client.kv_put("ten", ["big"], [block])
        self.client._kv_room = 4096
        self.assertEqual(self.client.kv_get("ten", ["big"]), [block])
        self.assertEqual(self.client._kv_room, 3 << 20)

    def test_per_key_and_whole_record_errors(self):
        with self.assertRaises(tensorfs.TfsError) as refused:
            self.client.kv_put("forbidden", ["k"], [b"v"])
        self.assertEqual(refused.exception.code, "FORBIDDEN")
        self.assertIn("tenant forbidden", refused.exception.message)
        results = self.client.kv_put("ten", ["ok", "/bad"], [b"1", b"2"])
        self.assertEqual([r.status_name for r in results], ["OK", "BAD_PATH"])
        with self.assertRaises(tensorfs.TfsError) as bad:
            self.client.kv_get("ten", ["ok", "/bad"])
        self.assertEqual(bad.exception.code, "BAD_PATH")
        self.assertIn("/bad", bad.exception.message)

    def test_malformed_calls_are_refused_before_anything_is_sent(self):
        before = len(self.node.records)
        c = self.client
        cases = [
            (TypeError, lambda: c.kv_put("ten", "key", [b"v"])),
            (TypeError, lambda: c.kv_put("ten", [b"key"], [b"v"])),
            (ValueError, lambda: c.kv_put("ten", [""], [b"v"])),
            (ValueError, lambda: c.kv_put("", ["k"], [b"v"])),
            (ValueError, lambda: c.kv_put("ten", ["k" * 5000], [b"v"])),
            (ValueError, lambda: c.kv_put("ten", ["a\0b"], [b"v"])),
            (ValueError, lambda: c.kv_put("ten", ["k1", "k2"], [b"v"])),
            (ValueError, lambda: c.kv_put("ten", ["k%d" % i for i in range(4097)], [b"v"] * 4097)),
            (TypeError, lambda: c.kv_put("ten", ["k"], ["a str"])),
            (TypeError, lambda: c.kv_put("ten", ["k"], [12])),
            (ValueError, lambda: c.kv_put("ten", ["k"], [numpy.zeros((4, 4))[:, 1]])),
            (TypeError, lambda: c.kv_get("ten", ["k"], [b"read-only"])),
            (TypeError, lambda: c.kv_get("ten", ["k"], [memoryview(b"read-only")])),
            (ValueError, lambda: c.kv_get("ten", ["k", "j"], [bytearray(1)])),
            (ValueError, lambda: c.read("/t/x", -1, [])),
        ]
        for error, call in cases:
            with self.assertRaises(error):
                call()
        self.assertEqual(len(self.node.records), before)

    def test_a_cuda_allocation_is_registered_by_handle_and_again_when_reached_past(self):
        local = self.client._local
        handle = bytes(range(1, 65))
        first = local.gpu_id(handle, 2, 4096)
        self.assertEqual(local.gpu_id(handle, 2, 1000), first)
        larger = local.gpu_id(handle, 2, 8192)
        self.assertNotEqual(larger, first)
        gpu = [r for r in self.node.registered if r[1][0] == "gpu"]
        self.assertEqual([(r[1][1], r[1][2], r[2]) for r in gpu[-2:]], [(handle, 2, 4096), (handle, 2, 8192)])
        local.start(lambda buf, base: _local.encode_plain(buf, base, _local.NOP, 0))  # flushes the release
        local._flush_forgotten()
        local.wait_for(local.start(lambda buf, base: _local.encode_plain(buf, base, _local.NOP, 0)))
        self.assertIn(first, self.node.unregistered)

    def test_host_tensors_load_and_save_through_the_staging_segment(self):
        torch = _torch()
        if torch is None:
            self.skipTest("torch is not installed")
        t = torch.arange(10000, dtype=torch.int32)
        self.assertEqual(self.client.save_from("/t/tensor", t), 40000)
        self.assertEqual(self.node.files["/t/tensor"], t.numpy().tobytes())
        back = torch.zeros_like(t)
        self.assertEqual(self.client.load_into("/t/tensor", back), 40000)
        self.assertTrue(torch.equal(back, t))

    def test_close_detaches_and_removes_the_segment(self):
        client = tensorfs.Client(self.address, token="", local=True)
        channel = self.node.channels[-1]
        path = "/dev/shm/" + client._local.shm_name
        client.kv_put("ten", ["c"], [b"x"])
        client.close()
        self.assertFalse(os.path.exists(path))
        channel.thread.join(5)
        self.assertIn(channel.path, self.node.detached)
        self.assertEqual(self.node.records[-1]["op"], _local.DETACH)
        self.assertFalse(client.local)

    def test_a_node_that_detaches_fails_requests_in_flight_and_the_client_goes_on_by_grpc(self):
        client = tensorfs.Client(self.address, token="", local=True)
        self.addCleanup(client.close)
        channel = self.node.channels[-1]
        self.node.files["/t/held"] = b"abc"
        buf = self.buffer(16)
        client._run(client.read("/t/held", 0, [buf.sge(0, 3)]), 30)  # registers buf
        channel.hold_completions = True
        request = client.read("/t/held", 0, [buf.sge(0, 3)])
        channel.u32[328 // 4] = 2  # the node detaches
        done = client.wait(timeout=30)
        self.assertEqual(done, [request])
        self.assertEqual(request.status_name, "UNAVAILABLE")
        self.assertIn("detached", request.message)
        self.assertFalse(client.local)
        self.assertTrue(client.kv_put("ten", ["after"], [b"y"])[0].ok)
        self.assertEqual(self.node.kv_calls[-1], "KvPut")

    def test_interpreter_exit_detaches(self):
        code = ("import sys; sys.path.insert(0, %r); import tensorfs; c = tensorfs.Client(%r, token='', local=True);"
                "assert c.local; c.kv_put('ten', ['exit'], [b'z']); print(c._local.shm_name)"
                % (os.path.dirname(os.path.dirname(tensorfs.__file__)), self.address))
        before = len(self.node.channels)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        channel = self.node.channels[before]
        channel.thread.join(5)
        self.assertIn(channel.path, self.node.detached)
        self.assertFalse(os.path.exists("/dev/shm/" + out.stdout.strip()))
        self.assertEqual(self.node.kv[("ten", "exit")], b"z")


class FallbackTest(unittest.TestCase):
    def serve(self, node):
        server, address = node.serve()
        self.addCleanup(server.stop, None)
        self.addCleanup(node.stop)
        return address

    def test_grpc_when_the_node_has_no_channel_or_is_elsewhere(self):
        for code in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE):
            node = FakeNode(attach_status=code)
            with tensorfs.Client(self.serve(node), token="") as c:
                self.assertFalse(c.local, code)
                self.assertTrue(c.kv_put("ten", ["k"], [b"v"])[0].ok)
            self.assertEqual(node.attach_calls, 1)
            self.assertEqual(node.kv_calls, ["KvPut"])

    def test_local_false_and_tfs_local_off_never_attach(self):
        node = FakeNode()
        address = self.serve(node)
        with tensorfs.Client(address, token="", local=False) as c:
            self.assertFalse(c.local)
        with mock.patch.dict(os.environ, {"TFS_LOCAL": "off"}):
            with tensorfs.Client(address, token="") as c:
                self.assertFalse(c.local)
        self.assertEqual(node.attach_calls, 0)

    def test_only_an_address_of_this_host_is_tried_by_default(self):
        from tensorfs.client import _on_this_host

        self.assertTrue(_on_this_host("127.0.0.1:9090"))
        self.assertTrue(_on_this_host("localhost:9090"))
        self.assertTrue(_on_this_host("unix:/run/tfs.sock"))
        self.assertFalse(_on_this_host("192.0.2.7:9090"), "TEST-NET-1 is no address of this host")

    def test_kv_over_grpc_answers_as_over_the_channel(self):
        node = FakeNode()
        address = self.serve(node)
        rnd = random.Random(3)
        keys = ["g/%d" % i for i in range(40)] + ["g/big"]
        values = [rnd.randbytes(rnd.randrange(0, 3000)) for _ in range(40)] + [rnd.randbytes(9 << 20)]
        answers = []
        for local in (True, False):
            with tensorfs.Client(address, token="", local=local) as c:
                self.assertEqual(c.local, local)
                puts = c.kv_put("ten-%s" % local, keys, values)
                got = c.kv_get("ten-%s" % local, keys + ["g/none"])
                outs = [bytearray(len(v) + 5) for v in values[:3]] + [bytearray(1)]
                into = c.kv_get("ten-%s" % local, keys[:3] + ["g/big"], outs)
                exists = c.kv_exists("ten-%s" % local, keys[:2] + ["g/none"] + keys[2:4])
                removed = c.kv_remove("ten-%s" % local, ["g/0", "g/none"])
                answers.append((puts, got, [bytes(o) for o in outs[:3]], [(r.status_name, r.length) for r in into],
                                exists, removed))
        self.assertEqual(node.kv_calls.count("KvPut"), 2, "the 9 MiB block went alone")
        self.assertEqual(answers[0][1][:-1], values)
        self.assertIsNone(answers[0][1][-1])
        self.assertEqual(answers[0][3][-1], ("TOO_LARGE", 9 << 20))
        for channel, grpc_ in zip(answers[0], answers[1]):
            if channel and isinstance(channel, list) and isinstance(channel[0], tensorfs.KvResult):
                self.assertEqual([(r.status, r.length) for r in channel], [(r.status, r.length) for r in grpc_])
            else:
                self.assertEqual(channel, grpc_)


class KVStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = FakeNode()
        cls.server, cls.address = cls.node.serve()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.server.stop(None)

    def test_store_on_an_address_and_on_a_client(self):
        with KVStore(self.address, "/tenant-k/", token="") as store:
            self.assertTrue(store.local)
            self.assertTrue(all(r.ok for r in store.put(["a", "b"], [b"1", numpy.ones(3, numpy.int8)])))
            self.assertEqual(store.get(["a", "b", "c"]), [b"1", b"\x01\x01\x01", None])
            self.assertEqual(store.exists(["a", "c", "b"]), [True, False, True])
            self.assertEqual(store.prefix(["a", "b", "c"]), 2)
            out = bytearray(8)
            self.assertEqual(store.get_one("a", out), 1)
            self.assertIsNone(store.get_one("c", out))
            self.assertEqual(store.get_one("b"), b"\x01\x01\x01")
            self.assertTrue(store.exists_one("a"))
            store.put_one("d", b"dd")
            with self.assertRaises(tensorfs.TfsError):
                store.put_one("/bad", b"x")
            with self.assertRaises(tensorfs.TfsError) as small:
                store.get_one("d", bytearray(1))
            self.assertEqual(small.exception.code, "TOO_LARGE")
            self.assertEqual(store.remove(["a", "a2"]), [True, False])
            client = store.client
        self.assertFalse(client.local, "the store closed the client it made")
        self.assertEqual(self.node.kv[("tenant-k", "d")], b"dd")
        with tensorfs.Client(self.address, token="") as c:
            store = KVStore(c, "tenant-k")
            self.assertEqual(store.get(["d"]), [b"dd"])
            store.close()
            self.assertTrue(c.local, "a client given stays open")
        with self.assertRaises(ValueError):
            KVStore(self.address, "")
        with self.assertRaises(TypeError):
            KVStore(42, "t")


class _RawSegment:
    """A /dev/shm segment made without HostBuffer (as another library would)."""

    def __init__(self, name, nbytes):
        import mmap

        self.path = "/dev/shm/" + name
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.ftruncate(fd, nbytes)
        self.map = mmap.mmap(fd, nbytes)
        os.close(fd)

    def read(self, n):
        return self.map[:n]

    def close(self):
        self.map.close()
        os.unlink(self.path)


if __name__ == "__main__":
    unittest.main()
