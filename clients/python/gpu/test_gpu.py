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
