"""GPU checkpoint tests against a node on this machine: state dicts of CUDA tensors saved through CUDA IPC
(the node copies from the device) and through host staging, loaded straight into CUDA tensors
(RestoreInto) and into host tensors, a cut-off GPU save resumed, and a DCP save/load by two gloo
processes with CUDA tensors (torch 2.x). Every tensor compared with torch.equal. Run by scripts/gpu-check.
"""

import os
import subprocess
import sys
import time
import unittest
import uuid

import torch

import tensorfs
from tensorfs import checkpoint as ckpt
from tensorfs.client import TfsError

MiB = 1 << 20
HERE = os.path.dirname(os.path.abspath(__file__))


def cuda_state(seed):
    g = torch.Generator().manual_seed(seed)
    return {
        "embed.weight": torch.randn(4096, 2048, generator=g).cuda(),  # 32 MiB: an item of its own
        "attn.weight": torch.randn(1024, 1024, generator=g).to(torch.bfloat16).cuda(),
        "attn.cols": torch.randn(512, 300, generator=g).cuda().t(),  # not contiguous
        "norm.bias": [torch.randn(i + 1, generator=g).cuda() for i in range(50)],  # packed
        "step": torch.tensor(100, dtype=torch.int64).cuda(),
        "host.extra": torch.randn(1000, generator=g),  # a CPU tensor among CUDA ones
        "lr": 0.5,
    }


class GpuCheckpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not torch.cuda.is_available():
            raise unittest.SkipTest("no CUDA device")
        cls.client = tensorfs.Client(os.environ["TFS_GRPC"])
        cls.job = "/gpuckpt/job-" + uuid.uuid4().hex[:8]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def assertSame(self, a, b, device=None):
        if isinstance(a, torch.Tensor):
            self.assertEqual(a.dtype, b.dtype)
            self.assertEqual(a.shape, b.shape)
            if device is not None:
                self.assertEqual(torch.device(device).type, b.device.type)
            self.assertTrue(torch.equal(a.cpu(), b.cpu()))
        elif isinstance(a, dict):
            self.assertEqual(a.keys(), b.keys())
            for k in a:
                self.assertSame(a[k], b[k], device)
        elif isinstance(a, list):
            self.assertEqual(len(a), len(b))
            for x, y in zip(a, b):
                self.assertSame(x, y, device)
        else:
            self.assertEqual(a, b)

    def test_cuda_state_dict_round_trips_through_ipc_and_through_host_staging(self):
        state = cuda_state(1)
        for ipc in (True, False):
            name = "%s/step-ipc-%d" % (self.job, ipc)
            ckpt.save(state, name, client=self.client, cuda_ipc=ipc)
            self.assertSame(state, ckpt.load(name, device="cuda", client=self.client, cuda_ipc=ipc), "cuda")
            self.assertSame(state, ckpt.load(name, device="cpu", client=self.client), "cpu")

    def test_a_cut_off_gpu_save_resumes_from_the_acknowledged_offsets(self):
        # Cut after 160 MiB of a 256 MiB item: with the node's default 64 MiB parts, two are acknowledged.
        state = {"w": torch.randn(256 * MiB // 4, generator=torch.Generator().manual_seed(2)).cuda()}
        name = self.job + "/step-cut"
        cps = self.client.checkpoints
        original = cps.save

        def cut(messages):
            sent = 0
            for m in messages:
                yield m
                sent += len(m.data) + sum(s.length for s in m.sges)
                if sent >= 160 * MiB:
                    time.sleep(2)
                    raise ConnectionAbortedError("the trainer died (test)")

        cps.save = lambda messages, timeout=None: original(cut(messages), timeout=timeout)
        try:
            with self.assertRaises(TfsError):
                ckpt.save(state, name, client=self.client, streams=1)
        finally:
            del cps.save
        acknowledged = sum(i.acknowledged for i in cps.describe(name).items)
        self.assertGreater(acknowledged, 0)
        result = ckpt.save(state, name, client=self.client, streams=1)
        self.assertEqual(acknowledged, result.bytes_skipped)
        self.assertEqual(result.bytes - acknowledged, result.bytes_sent)
        self.assertSame(state, ckpt.load(name, device="cuda", client=self.client), "cuda")

    def test_dcp_with_cuda_tensors_by_two_gloo_processes(self):
        name = self.job + "/dcp-cuda"
        env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
        done = subprocess.run([sys.executable, os.path.join(HERE, "..", "it", "dcp_two_ranks.py"), name,
                               "--device", "cuda"], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertIn("rank 0: every tensor equal", done.stdout)
        self.assertIn("rank 1: every tensor equal", done.stdout)
        self.assertEqual({0, 1}, {i.rank for i in self.client.checkpoints.describe(name).items})


if __name__ == "__main__":
    unittest.main()
