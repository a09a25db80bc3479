"""tensorfs.fsspec without a node: URLs, the protocol's registration, and how node errors map to the
OSErrors fsspec callers expect (the node tests are it/test_fsspec_node.py)."""

import errno
import unittest

import fsspec

from tensorfs import TfsError
from tensorfs.fsspec import TensorfsFileSystem, _errno_error


class FsspecPathsTest(unittest.TestCase):
    def test_a_url_names_the_node_only_with_a_port(self):
        strip, kwargs = TensorfsFileSystem._strip_protocol, TensorfsFileSystem._get_kwargs_from_urls
        self.assertEqual(strip("tensorfs://node-3:9090/team/a/b"), "/team/a/b")
        self.assertEqual(kwargs("tensorfs://node-3:9090/team/a/b"), {"address": "node-3:9090"})
        self.assertEqual(kwargs("tensorfs://[::1]:9090/team"), {"address": "[::1]:9090"})
        self.assertEqual(strip("tensorfs://[::1]:9090/team"), "/team")
        self.assertEqual(strip("tensorfs://team/a"), "/team/a")
        self.assertEqual(kwargs("tensorfs://team/a"), {})
        self.assertEqual(strip("tensorfs:///team/a/"), "/team/a")
        self.assertEqual(strip("/team//a/"), "/team/a")
        self.assertEqual(strip("tensorfs://"), "/")
        self.assertEqual(strip(["tensorfs:///x", "y"]), ["/x", "/y"])
        self.assertEqual(TensorfsFileSystem._parent("/team/a/b"), "/team/a")

    def test_the_protocol_is_registered_and_instances_need_no_node_until_used(self):
        fs = fsspec.filesystem("tensorfs", address="127.0.0.1:1", skip_instance_cache=True)
        self.assertIsInstance(fs, TensorfsFileSystem)
        self.assertEqual(fs.unstrip_protocol("/team/x"), "tensorfs://127.0.0.1:1/team/x")
        self.assertIsNone(fs._client)

    def test_node_errors_become_oserrors_with_the_node_error_as_cause(self):
        cases = [("NOT_FOUND", "/a not found", FileNotFoundError, errno.ENOENT),
                 ("CONFLICT", "/a exists", FileExistsError, errno.EEXIST),
                 ("CONFLICT", "/a is not empty", OSError, errno.ENOTEMPTY),
                 ("FORBIDDEN", "read-only on team", PermissionError, errno.EACCES),
                 ("UNAUTHENTICATED", "no token", PermissionError, errno.EACCES)]
        for code, message, kind, number in cases:
            node_error = TfsError(code, message)
            mapped = _errno_error(node_error, "/a")
            self.assertIsInstance(mapped, kind, code)
            self.assertEqual(mapped.errno, number, code)
            self.assertEqual(mapped.filename, "/a")
            self.assertIs(mapped.__cause__, node_error)
        self.assertIsInstance(_errno_error(TfsError("BAD_PATH", "empty segment"), "/a"), ValueError)
        unavailable = TfsError("UNAVAILABLE", "try again")
        self.assertIs(_errno_error(unavailable, "/a"), unavailable)


if __name__ == "__main__":
    unittest.main()
