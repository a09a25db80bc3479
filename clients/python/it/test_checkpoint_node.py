"""Checkpoint tests against a running node: TFS_GRPC=host:port python3 -m unittest discover -s it.

Save/load round trips (every tensor compared with torch.equal), a save cut off part way and resumed from
the node's acknowledged offsets, retention, abort, and a DCP save/load by two gloo processes.
"""

import os
import subprocess
import sys
import time
import unittest
import uuid

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import tensorfs  # noqa: E402
from tensorfs import checkpoint as ckpt  # noqa: E402
from tensorfs.client import TfsError  # noqa: E402
from test_checkpoint import assert_same, sample_state  # noqa: E402

ADDRESS = os.environ.get("TFS_GRPC")
MiB = 1 << 20


def large_state(seed, mib=24):
    g = torch.Generator().manual_seed(seed)
    state = sample_state()
    state["model"]["big"] = torch.randint(-2 ** 31, 2 ** 31 - 1, (mib * MiB // 4,), dtype=torch.int32, generator=g)
    state["model"]["small"] = [torch.randn(i + 1, 3, generator=g) for i in range(40)]
    return state


@unittest.skipUnless(ADDRESS, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class CheckpointNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = tensorfs.Client(ADDRESS)
        cls.job = "/pyckpt/job-" + uuid.uuid4().hex[:8]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_round_trip_into_cpu_tensors(self):
        state = large_state(1)
        name = self.job + "/step-000001"
        result = ckpt.save(state, name, client=self.client)
        self.assertEqual(2, result.info.state)  # COMMITTED
        self.assertEqual(result.bytes, result.info.size)
        self.assertEqual(result.bytes, result.bytes_sent)
        assert_same(self, state, ckpt.load(name, client=self.client))
        assert_same(self, state, ckpt.load(name, client=self.client, streams=1))
        manifest = self.client.checkpoints.describe(name)
        self.assertTrue(all(i.acknowledged == i.size for i in manifest.items))
        self.assertIn(ckpt.HEADER_KEY, {i.key for i in manifest.items})

    def test_a_cut_off_save_resumes_from_the_acknowledged_offsets(self):
        state = large_state(2, mib=40)
        name = self.job + "/step-000002"
        cps = self.client.checkpoints
        original = cps.save

        def cut(messages, after=20 * MiB):
            sent = 0
            for m in messages:
                yield m
                sent += len(m.data)
                if sent >= after:
                    time.sleep(2)  # let the node make what it has durable
                    raise ConnectionAbortedError("the trainer died (test)")

        cps.save = lambda messages, timeout=None: original(cut(messages), timeout=timeout)
        try:
            with self.assertRaises(TfsError):
                ckpt.save(state, name, client=self.client, streams=1)
        finally:
            del cps.save
        manifest = cps.describe(name)
        self.assertEqual(1, manifest.info.state, "still open")
        acknowledged = sum(i.acknowledged for i in manifest.items)
        self.assertGreater(acknowledged, 0, "the node kept what it had acknowledged")
        self.assertLess(acknowledged, 40 * MiB)
        with self.assertRaises(TfsError) as e:
            cps.commit(name)
        self.assertEqual("CONFLICT", e.exception.code)
        with self.assertRaises(TfsError):
            ckpt.load(name, client=self.client)
        result = ckpt.save(state, name, client=self.client, streams=1)
        self.assertEqual(acknowledged, result.bytes_skipped)
        self.assertEqual(result.bytes - acknowledged, result.bytes_sent, "only the rest was sent")
        assert_same(self, state, ckpt.load(name, client=self.client))

    def test_latest_list_and_keep_last(self):
        job = self.job + "-keep"
        states = [{"w": torch.full((1000,), float(i)), "step": i} for i in range(3)]
        for i, state in enumerate(states):
            ckpt.save(state, "%s/step-%06d" % (job, i), client=self.client, keep_last=2)
        names = [c.name for c in self.client.checkpoints.list(job)]
        self.assertEqual(["%s/step-%06d" % (job, i) for i in (1, 2)], names)
        self.assertEqual(names[-1], self.client.checkpoints.latest(job).name)
        assert_same(self, states[2], ckpt.load(job, client=self.client))

    def test_abort_drops_an_open_checkpoint(self):
        name = self.job + "/step-aborted"
        ckpt.save({"w": torch.ones(10)}, name, client=self.client, commit=False)
        self.client.checkpoints.abort(name)
        with self.assertRaises(TfsError) as e:
            self.client.checkpoints.describe(name)
        self.assertEqual("NOT_FOUND", e.exception.code)

    def test_dcp_save_and_load_by_two_gloo_processes(self):
        name = self.job + "/dcp-000001"
        script = os.path.join(HERE, "dcp_two_ranks.py")
        env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
        done = subprocess.run([sys.executable, script, name], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertIn("rank 0: every tensor equal", done.stdout, done.stdout + done.stderr)
        self.assertIn("rank 1: every tensor equal", done.stdout, done.stdout + done.stderr)
        manifest = self.client.checkpoints.describe(name)
        self.assertEqual(2, manifest.info.ranks)
        self.assertEqual(2, manifest.info.state)
        self.assertEqual({0, 1}, {i.rank for i in manifest.items}, "each rank saved its own items")


if __name__ == "__main__":
    unittest.main()
