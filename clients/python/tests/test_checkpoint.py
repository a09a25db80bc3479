"""Tests of tensorfs.checkpoint and tensorfs.dcp that need no node: item layout, the state dict's
structure and header, save/load and resume against an in-memory Checkpoints service (fake_checkpoints),
and a one-process DCP round trip."""

import collections
import os
import pickle
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))

try:
    import torch
except ImportError:  # scripts/ensure-deps installs python3-torch
    torch = None

if torch is not None:
    from fake_checkpoints import FakeCheckpoints

    from tensorfs import _items
    from tensorfs import checkpoint as ckpt
    from tensorfs.client import TfsError

MiB = 1 << 20


def sample_state():
    g = torch.Generator().manual_seed(7)
    big = torch.randn(1024, 1536, generator=g)  # 6 MiB: an item of its own
    tied = torch.randn(64, 8, generator=g)
    return {
        "model": collections.OrderedDict([
            ("embed.weight", big),
            ("head.weight", tied),
            ("head2.weight", tied),  # the same tensor under two names
            ("norm.bias", torch.randn(8, generator=g).to(torch.bfloat16)),
            ("steps", torch.tensor(12345, dtype=torch.int64)),
            ("mask", torch.rand(33, generator=g) > 0.5),
            ("empty", torch.empty(0, 4)),
            ("transposed", torch.randn(40, 30, generator=g).t()),  # not contiguous
            ("half", torch.randn(3, 5, 7, generator=g).half()),
        ]),
        "optim": {"state": {0: {"exp_avg": torch.randn(300, 300, generator=g), "step": 3}},
                  "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]},
        "epoch": 4,
        "note": "step 100",
    }


def assert_same(test, a, b, path="state"):
    if isinstance(a, torch.Tensor):
        test.assertIsInstance(b, torch.Tensor, path)
        test.assertEqual(a.dtype, b.dtype, path)
        test.assertEqual(tuple(a.shape), tuple(b.shape), path)
        test.assertTrue(torch.equal(a.cpu(), b.cpu()), path)
        return
    test.assertEqual(type(a), type(b), path)
    if isinstance(a, dict):
        test.assertEqual(list(a.keys()), list(b.keys()), path)
        for k in a:
            assert_same(test, a[k], b[k], "%s/%s" % (path, k))
    elif isinstance(a, (list, tuple)):
        test.assertEqual(len(a), len(b), path)
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(test, x, y, "%s/%d" % (path, i))
    else:
        test.assertEqual(a, b, path)


@unittest.skipIf(torch is None, "needs torch (scripts/ensure-deps installs python3-torch)")
class LayoutTest(unittest.TestCase):
    def test_large_blobs_get_their_own_items_and_small_ones_are_packed(self):
        blobs = [_items.Blob("a", torch.zeros(2 * MiB, dtype=torch.uint8)),
                 _items.Blob("b", b"x" * 100), _items.Blob("c", torch.zeros(10, dtype=torch.float32)),
                 _items.Blob("d", b""), _items.Blob("e", torch.zeros(5 * MiB, dtype=torch.uint8))]
        items = _items.layout(blobs, pack_below=1 * MiB, pack_bytes=4 * MiB)
        self.assertEqual(["a", "__pack_1", "e"], [i.key for i in items])
        self.assertEqual([2 * MiB, 140, 5 * MiB], [i.size for i in items])
        self.assertEqual(("__pack_1", 0), (blobs[1].key, blobs[1].offset))
        self.assertEqual(("__pack_1", 100), (blobs[2].key, blobs[2].offset))
        self.assertIsNone(blobs[3].key, "an empty blob has no item")

    def test_packs_are_bounded_and_the_layout_is_deterministic(self):
        def blobs():
            return [_items.Blob("t%d" % i, torch.zeros(300 * 1024, dtype=torch.uint8)) for i in range(10)]

        one, two = _items.layout(blobs(), pack_bytes=MiB), _items.layout(blobs(), pack_bytes=MiB)
        self.assertTrue(all(i.size <= MiB for i in one))
        self.assertEqual(10 * 300 * 1024, sum(i.size for i in one))
        self.assertEqual([(i.key, i.size) for i in one], [(i.key, i.size) for i in two])

    def test_keys_are_unique_and_at_most_1024_bytes(self):
        used = set()
        self.assertEqual("w", _items.unique_key("w", used))
        self.assertEqual("w#1", _items.unique_key("w", used))
        long = _items.unique_key("é" * 2000, used)
        self.assertLessEqual(len(long.encode("utf-8")), 1024)
        self.assertNotEqual(long, _items.unique_key("é" * 2000 + "x", used))

    def test_messages_carry_offsets_sizes_and_rank_done(self):
        blob = _items.Blob("w", torch.arange(3 * MiB // 4, dtype=torch.int32))  # 3 MiB
        item = _items.layout([blob], pack_below=1)[0]
        sent = [0]
        msgs = list(_items._messages("/t/j/s", 2, [(item, MiB // 2)], True, MiB, 16 * MiB, True, [], sent))
        self.assertEqual("/t/j/s", msgs[0].name)
        self.assertEqual(2, msgs[0].rank)
        self.assertEqual([MiB // 2, 3 * MiB // 2, 5 * MiB // 2], [m.offset for m in msgs])
        self.assertEqual([3 * MiB, 0, 0], [m.size for m in msgs])
        self.assertEqual([False, False, True], [m.rank_done for m in msgs])
        self.assertEqual(5 * MiB // 2, sent[0])
        whole = bytes(memoryview(blob.source.numpy()).cast("B"))
        self.assertEqual(whole[MiB // 2:], b"".join(m.data for m in msgs))


@unittest.skipIf(torch is None, "needs torch (scripts/ensure-deps installs python3-torch)")
class SaveLoadTest(unittest.TestCase):
    def test_round_trip_keeps_every_tensor_dtype_shape_and_the_structure(self):
        fake = FakeCheckpoints()
        state = sample_state()
        result = ckpt.save(state, "/t/job/step-000001", client=fake, pack_below=MiB)
        self.assertIsNotNone(result.info)
        self.assertEqual(0, result.bytes_skipped)
        loaded = ckpt.load("/t/job/step-000001", client=fake)
        assert_same(self, state, loaded)
        self.assertIs(loaded["model"]["head.weight"], loaded["model"]["head2.weight"], "tied weights stay tied")
        self.assertEqual("/t/job/step-000001", fake.latest("/t/job").name)
        assert_same(self, state, ckpt.load("/t/job", client=fake), "a job loads its latest checkpoint")

    def test_no_tensor_bytes_are_pickled(self):
        fake = FakeCheckpoints()
        state = {"w": torch.full((1000,), 7, dtype=torch.int32)}
        ckpt.save(state, "/t/job/step-2", client=fake)
        header = b"".join(m.data for m in fake.restore("/t/job/step-2", [(0, ckpt.HEADER_KEY)]))
        self.assertLess(len(header), 400)
        self.assertNotIn(b"\x07\x00\x00\x00" * 4, header)

    def test_a_cut_off_save_resumes_from_the_acknowledged_offsets(self):
        fake = FakeCheckpoints(part_bytes=MiB, cut_after=int(2.5 * MiB))
        state = sample_state()
        with self.assertRaises(TfsError):
            ckpt.save(state, "/t/job/step-3", client=fake, streams=1, pack_below=MiB)
        acknowledged = sum(i.acknowledged for i in fake.describe("/t/job/step-3").items)
        self.assertGreaterEqual(acknowledged, 2 * MiB)
        with self.assertRaises(TfsError):
            fake.commit("/t/job/step-3")
        result = ckpt.save(state, "/t/job/step-3", client=fake, streams=1, pack_below=MiB)
        self.assertEqual(acknowledged, result.bytes_skipped)
        self.assertEqual(result.bytes - acknowledged, result.bytes_sent)
        assert_same(self, state, ckpt.load("/t/job/step-3", client=fake))

    def test_resuming_with_another_state_dict_is_refused(self):
        fake = FakeCheckpoints(cut_after=MiB)
        with self.assertRaises(TfsError):
            ckpt.save(sample_state(), "/t/job/step-4", client=fake, streams=1, pack_below=MiB)
        with self.assertRaises(TfsError) as e:
            ckpt.save({"other": torch.zeros(3 * MiB, dtype=torch.uint8)}, "/t/job/step-4", client=fake)
        self.assertEqual("BAD_REQUEST", e.exception.code)

    def test_a_committed_checkpoint_is_not_saved_again(self):
        fake = FakeCheckpoints()
        ckpt.save({"w": torch.ones(3)}, "/t/job/step-5", client=fake)
        with self.assertRaises(TfsError) as e:
            ckpt.save({"w": torch.ones(3)}, "/t/job/step-5", client=fake)
        self.assertEqual("CONFLICT", e.exception.code)

    def test_two_ranks_commit_when_both_are_done(self):
        fake = FakeCheckpoints()
        a, b = {"w": torch.arange(10)}, {"w": torch.arange(20, 40)}
        ckpt.save(a, "/t/job/step-6", client=fake, rank=0, ranks=2, commit=False)
        ckpt.save(b, "/t/job/step-6", client=fake, rank=1, ranks=2, commit=True)
        assert_same(self, a, ckpt.load("/t/job/step-6", client=fake, rank=0))
        assert_same(self, b, ckpt.load("/t/job/step-6", client=fake, rank=1))

    def test_the_header_admits_only_plain_values_unless_trusted(self):
        class Custom:
            pass

        data = pickle.dumps({"format": ckpt.FORMAT, "tree": {"x": collections.Counter("ab")}})
        with self.assertRaises(pickle.UnpicklingError):
            ckpt._unpickle(data, weights_only=True)
        self.assertEqual(collections.Counter("ab"), ckpt._unpickle(data, weights_only=False)["tree"]["x"])
        ok = pickle.dumps({"t": (1, 2.5, "s", None, torch.float16, torch.Size([2])), "o": collections.OrderedDict()})
        self.assertEqual(torch.float16, ckpt._unpickle(ok, weights_only=True)["t"][4])

    def test_sparse_tensors_are_refused_before_anything_is_sent(self):
        fake = FakeCheckpoints()
        with self.assertRaises(ValueError):
            ckpt.save({"s": torch.eye(3).to_sparse()}, "/t/job/step-7", client=fake)
        self.assertEqual(0, fake.saves)


@unittest.skipIf(torch is None, "needs torch (scripts/ensure-deps installs python3-torch)")
class DcpTest(unittest.TestCase):
    def test_one_process_round_trip(self):
        from tensorfs import dcp

        try:
            from torch.distributed.checkpoint import load_state_dict, save_state_dict
        except ImportError:
            from torch.distributed._shard.checkpoint import load_state_dict, save_state_dict
        fake = FakeCheckpoints()
        g = torch.Generator().manual_seed(3)
        state = {"w": torch.randn(700, 900, generator=g), "b": torch.randn(17, generator=g),
                 "t": torch.randn(30, 20, generator=g).t(), "n": torch.tensor(5), "extra": {"lr": 0.1}}
        save_state_dict(state, dcp.TensorfsWriter("/t/dcp/step-1", client=fake, pack_below=MiB), no_dist=True)
        items = {i.key for i in fake.describe("/t/dcp/step-1").items}
        self.assertIn(dcp.METADATA_KEY, items)
        self.assertIn("w", items)
        into = {"w": torch.zeros(700, 900), "b": torch.zeros(17), "t": torch.zeros(20, 30),
                "n": torch.tensor(0), "extra": {"lr": 0.0}}
        load_state_dict(into, dcp.TensorfsReader("/t/dcp/step-1", client=fake), no_dist=True)
        for k in ("w", "b", "t", "n"):
            self.assertTrue(torch.equal(state[k], into[k]), k)
        self.assertEqual(0.1, into["extra"]["lr"])

    def test_checkpoint_ids(self):
        from tensorfs import dcp

        self.assertEqual((None, "/t/j/s"), dcp.split_checkpoint_id("/t/j/s"))
        self.assertEqual(("10.0.0.1:9090", "/t/j/s"), dcp.split_checkpoint_id("tensorfs://10.0.0.1:9090/t/j/s"))
        self.assertFalse(dcp.TensorfsWriter.validate_checkpoint_id("/t/j"))
        self.assertFalse(dcp.TensorfsWriter.validate_checkpoint_id("/t/j/s/x"), "a name has three segments")
        self.assertFalse(dcp.TensorfsReader.validate_checkpoint_id("relative/t/j/s"))
        self.assertTrue(dcp.TensorfsReader.validate_checkpoint_id("/t/j/step-1"))


if __name__ == "__main__":
    unittest.main()
