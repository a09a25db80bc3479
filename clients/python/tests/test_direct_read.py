"""The benchmark's O_DIRECT yardstick (bench.direct_read) on a temporary file: the bytes come back exact, a
size that is not a multiple of the alignment or the read size reads whole, and a file that differs from
what is expected fails the round."""

import os
import tempfile
import unittest

from bench import direct_read


def _odirect_supported(directory):
    probe = os.path.join(directory, "probe")
    with open(probe, "wb") as f:
        f.write(b"\0" * 4096)
    try:
        os.close(os.open(probe, os.O_RDONLY | os.O_DIRECT))
        return True
    except OSError:
        return False
    finally:
        os.remove(probe)


class DirectReadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        if not _odirect_supported(self.dir.name):
            self.skipTest("the file system of %s refuses O_DIRECT" % self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def test_reads_every_byte_with_several_in_flight_and_an_unaligned_tail(self):
        data = os.urandom(3 * direct_read.MIB + 12345)
        path = os.path.join(self.dir.name, "f")
        direct_read.write_file(path, data)
        seconds = direct_read.read_checked(path, data, rounds=2, in_flight=3, io_bytes=direct_read.MIB)
        self.assertGreater(seconds, 0)

    def test_fails_the_round_when_a_byte_differs(self):
        data = bytearray(os.urandom(2 * direct_read.MIB))
        path = os.path.join(self.dir.name, "f")
        direct_read.write_file(path, data)
        data[direct_read.MIB + 7] ^= 0x5A
        with self.assertRaises(AssertionError):
            direct_read.read_checked(path, bytes(data), in_flight=2, io_bytes=direct_read.MIB)

    def test_fails_on_a_file_shorter_than_expected(self):
        data = os.urandom(direct_read.MIB)
        path = os.path.join(self.dir.name, "f")
        direct_read.write_file(path, data[:4096])
        with self.assertRaises(IOError):
            direct_read.read_checked(path, data, io_bytes=direct_read.MIB)


if __name__ == "__main__":
    unittest.main()
