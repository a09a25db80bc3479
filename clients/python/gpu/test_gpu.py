"""GPU tests of the Python client against a node with a GPU: bytes land in CUDA tensors through CUDA
IPC and come back out of them. Needs torch with CUDA and a node at TFS_GRPC; run by scripts/gpu-check.
"""

import os
import unittest

import torch

import tensorfs

MIB = 1 << 20


def _random_bytes(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n,), dtype=torch.uint8, generator=g)


class GpuTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not torch.cuda.is_available():
            raise unittest.SkipTest("no CUDA device")
        cls.client = tensorfs.Client(os.environ["TFS_GRPC"])

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def _put(self, path, host_tensor):
        n = host_tensor.numel()
        with tensorfs.HostBuffer(n) as buf:
            view = buf.memoryview()
            view[:n] = host_tensor.numpy().tobytes()
            view.release()
            done = self.client._run(self.client.write(path, 0, [buf.sge(0, n)]), 120)
        self.assertEqual(n, done)

    def test_cuda_tensors_through_the_local_channel_byte_exact(self):
        if not self.client.local:
            self.skipTest("the node attached no local channel: %s" % self.client._local_refusal)
        remote = tensorfs.Client(os.environ["TFS_GRPC"], local=False)
        self.addCleanup(remote.close)
        tenant = "gpu-test-kv"
        t = torch.randn(1 << 20, device="cuda")  # 4 MiB
        host = t.cpu()
        self.assertEqual(self.client.save_from("/gpu-test/channel/gpu", t), 4 << 20)
        back = torch.zeros_like(t)
        self.assertEqual(self.client.load_into("/gpu-test/channel/gpu", back), 4 << 20)
        self.assertTrue(torch.equal(back.cpu(), host))
        self.assertEqual(remote.read_bytes("/gpu-test/channel/gpu"), host.numpy().tobytes())
        blocks = [t[:1000], t[1 << 19:], torch.arange(7, dtype=torch.uint8, device="cuda")]
        self.assertTrue(all(r.ok for r in self.client.kv_put(tenant, ["g0", "g1", "g2"], blocks)))
        self.assertEqual(remote.kv_get(tenant, ["g0", "g2"]), [host[:1000].numpy().tobytes(), bytes(range(7))])
        outs = [torch.zeros(1000, device="cuda"), torch.zeros(1 << 19, device="cuda")]
        results = self.client.kv_get(tenant, ["g0", "g1"], outs)
        self.assertEqual([r.length for r in results], [4000, 2 << 20])
        self.assertTrue(torch.equal(outs[0].cpu(), host[:1000]))
        self.assertTrue(torch.equal(outs[1].cpu(), host[1 << 19:]))

    def test_load_into_a_cuda_tensor_byte_exact_on_hit_and_on_miss(self):
        data = _random_bytes(64 * MIB + 12345, 1)
        self._put("/gpu/t/a", data)
        expected = data.cuda()
        for op, state in (("dontneed", "cold"), ("willneed", "hit")):
            self.client.hint("/gpu/t/a", op)
            target = torch.zeros(data.numel(), dtype=torch.uint8, device="cuda")
            self.assertEqual(data.numel(), self.client.load_into("/gpu/t/a", target, timeout=120))
            torch.cuda.synchronize()
            self.assertTrue(torch.equal(expected, target), "bytes differ on a %s read" % state)

    def test_scatter_into_slices_of_tensors_and_host_memory(self):
        data = _random_bytes(10 * MIB + 7, 2)
        self._put("/gpu/t/b", data)
        big = torch.zeros(32 * MIB, dtype=torch.uint8, device="cuda")
        other = torch.zeros(3 * MIB, dtype=torch.float32, device="cuda")  # 12 MiB
        with tensorfs.HostBuffer(2 * MIB) as host:
            sges = [tensorfs.Sge.of(big, 1 * MIB + 3, 4 * MIB), host.sge(0, 2 * MIB),
                    tensorfs.Sge.of(other, 4096, 8 * MIB)]
            request = self.client.read("/gpu/t/b", 5, sges)
            self.assertEqual(10 * MIB + 2, self.client._run(request, 120), "a short read ends at the file's end")
            torch.cuda.synchronize()
            expected = data[5:]
            self.assertTrue(torch.equal(expected[:4 * MIB].cuda(), big[1 * MIB + 3:5 * MIB + 3]))
            view = host.memoryview()
            self.assertEqual(expected[4 * MIB:6 * MIB].numpy().tobytes(), bytes(view[:2 * MIB]))
            view.release()
            rest = other.view(torch.uint8)[4096:4096 + 4 * MIB + 2]
            self.assertTrue(torch.equal(expected[6 * MIB:].cuda(), rest))
            self.assertEqual(0, int(big[:1 * MIB + 3].sum().item()), "bytes before the slice untouched")

    def test_save_from_a_cuda_tensor(self):
        source = _random_bytes(20 * MIB + 1, 3).cuda()
        self.assertEqual(source.numel(), self.client.save_from("/gpu/t/saved", source, timeout=120))
        self.assertEqual(source.cpu().numpy().tobytes(), self.client.read_bytes("/gpu/t/saved"))


if __name__ == "__main__":
    unittest.main()
