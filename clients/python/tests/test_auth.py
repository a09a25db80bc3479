"""The caller's token on the wire: every kind of gRPC call a Client makes (unary, server stream, client
stream, bidirectional batch stream, the Checkpoints service) carries ``authorization: Bearer <token>``,
from ``token=`` or ``$TFS_TOKEN``; a refusal comes out as TfsError UNAUTHENTICATED or FORBIDDEN.

Against a small gRPC server in this process that records the metadata it gets and, for a token it does
not know, answers as a node with auth on does (status and ``tfs-error`` trailer); no node needed.
"""

import os
import threading
import unittest
from concurrent import futures
from unittest import mock

import grpc

import tensorfs
from tensorfs import _wire, auth
from tensorfs import checkpoint as ckpt
from tensorfs.client import TfsError

GOOD = "tfs_0123456789ab_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"
READ_ONLY = "tfs_fedcba987654_cmVhZC1vbmx5LXJlYWQtb25seS1yZWFkLW9ubHktcmVhZA"


class _Node:
    """Answers Stat, Read, Write, Batch and Checkpoints.Describe/Restore; records each call's
    ``authorization`` metadata by method. GOOD may do anything, READ_ONLY may not write, anything else is
    unauthenticated."""

    def __init__(self):
        self.seen = {}
        self._lock = threading.Lock()

    def _check(self, context, method, writes=False):
        values = [v for k, v in context.invocation_metadata() if k == "authorization"]
        with self._lock:
            self.seen.setdefault(method, []).append(values)
        if values == ["Bearer " + GOOD]:
            return
        if values == ["Bearer " + READ_ONLY] and not writes:
            return
        if values == ["Bearer " + READ_ONLY]:
            context.set_trailing_metadata((("tfs-error", "FORBIDDEN"),))
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "role read-only of tenant t may not write")
        context.set_trailing_metadata((("tfs-error", "UNAUTHENTICATED"),))
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no valid token: send Authorization: Bearer <token>")

    def stat(self, request, context):
        self._check(context, "Stat")
        return _wire.FileInfo(path=request.path, size=1)

    def read(self, request, context):
        self._check(context, "Read")
        yield _wire.Chunk(data=b"ab")
        yield _wire.Chunk(data=b"c")

    def write(self, requests, context):
        first = next(requests)
        self._check(context, "Write", writes=True)
        size = sum(len(m.data) for m in requests)
        return _wire.FileInfo(path=first.path, size=size)

    def batch(self, submissions, context):
        self._check(context, "Batch")
        for s in submissions:
            yield _wire.Completion(id=s.id, value=0, status=0)

    def describe(self, request, context):
        self._check(context, "Checkpoints.Describe")
        return _wire.CheckpointManifest(info=_wire.CheckpointInfo(name=request.name))

    def restore(self, request, context):
        self._check(context, "Checkpoints.Restore")
        yield _wire.RestoreMessage(data=b"x")

    def handlers(self):
        w = _wire
        tensorfs_methods = {
            "Stat": grpc.unary_unary_rpc_method_handler(self.stat, w.StatRequest.FromString, w.FileInfo.SerializeToString),
            "Read": grpc.unary_stream_rpc_method_handler(self.read, w.ReadRequest.FromString, w.Chunk.SerializeToString),
            "Write": grpc.stream_unary_rpc_method_handler(self.write, w.WriteChunk.FromString,
                                                          w.FileInfo.SerializeToString),
            "Batch": grpc.stream_stream_rpc_method_handler(self.batch, w.Submission.FromString,
                                                           w.Completion.SerializeToString),
        }
        checkpoint_methods = {
            "Describe": grpc.unary_unary_rpc_method_handler(self.describe, w.CheckpointRequest.FromString,
                                                            w.CheckpointManifest.SerializeToString),
            "Restore": grpc.unary_stream_rpc_method_handler(self.restore, w.RestoreRequest.FromString,
                                                            w.RestoreMessage.SerializeToString),
        }
        return (grpc.method_handlers_generic_handler(w.SERVICE.strip("/"), tensorfs_methods),
                grpc.method_handlers_generic_handler(w.CHECKPOINTS.strip("/"), checkpoint_methods))


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = _Node()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        cls.server.add_generic_rpc_handlers(cls.node.handlers())
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.address = "127.0.0.1:%d" % port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None)

    def setUp(self):
        self.node.seen.clear()
        env = mock.patch.dict(os.environ)
        env.start()
        self.addCleanup(env.stop)
        os.environ.pop(auth.ENV, None)

    def every_call(self, client):
        """Makes one call of each kind; returns what each answered."""
        stat = client.stat("/t/a")
        data = client.read_bytes("/t/a")
        info = client.write_bytes("/t/b", b"12345")
        with tensorfs.HostBuffer(16) as buf:
            request = client.read("/t/a", 0, [buf.sge(0, 1)])
            done = client.wait(timeout=10)
        manifest = client.checkpoints.describe("/t/job/s1")
        restored = b"".join(m.data for m in client.checkpoints.restore("/t/job/s1"))
        return stat, data, info, request, done, manifest, restored

    def assert_every_call_sent(self, header):
        for method in ("Stat", "Read", "Write", "Batch", "Checkpoints.Describe", "Checkpoints.Restore"):
            self.assertEqual(self.node.seen.get(method), [[header]], method)

    def test_should_send_the_token_argument_on_every_kind_of_call(self):
        with tensorfs.Client(self.address, token=GOOD) as c:
            stat, data, info, request, done, manifest, restored = self.every_call(c)
        self.assertEqual(stat.path, "/t/a")
        self.assertEqual(data, b"abc")
        self.assertEqual(info.size, 5)
        self.assertEqual(done, [request])
        self.assertTrue(request.ok, request.message)
        self.assertEqual(manifest.info.name, "/t/job/s1")
        self.assertEqual(restored, b"x")
        self.assert_every_call_sent("Bearer " + GOOD)

    def test_should_take_the_token_from_tfs_token_when_no_argument_is_given(self):
        os.environ[auth.ENV] = GOOD + "\n"  # as read from a token file
        with tensorfs.Client(self.address) as c:
            self.every_call(c)
        self.assert_every_call_sent("Bearer " + GOOD)

    def test_should_prefer_the_argument_to_tfs_token(self):
        os.environ[auth.ENV] = "tfs_000000000000_c3RhbGU"
        with tensorfs.Client(self.address, token=GOOD) as c:
            c.stat("/t/a")
        self.assertEqual(self.node.seen["Stat"], [["Bearer " + GOOD]])

    def test_should_send_no_authorization_without_a_token_and_surface_unauthenticated(self):
        with tensorfs.Client(self.address) as c:
            with self.assertRaises(TfsError) as unary:
                c.stat("/t/a")
            with self.assertRaises(TfsError) as server_stream:
                c.read_bytes("/t/a")
            with self.assertRaises(TfsError) as client_stream:
                c.write_bytes("/t/b", b"1")
            with self.assertRaises(TfsError) as checkpoints:
                c.checkpoints.describe("/t/job/s1")
        for refused in (unary, server_stream, client_stream, checkpoints):
            self.assertEqual(refused.exception.code, "UNAUTHENTICATED")
        self.assertEqual(self.node.seen["Stat"], [[]])

    def test_should_fail_batch_requests_with_unauthenticated_for_an_unknown_token(self):
        with tensorfs.Client(self.address, token="tfs_ffffffffffff_bm8") as c:
            with tensorfs.HostBuffer(16) as buf:
                request = c.read("/t/a", 0, [buf.sge(0, 1)])
                c.wait(timeout=10)
                self.assertTrue(request.done)
                self.assertEqual(request.status_name, "UNAUTHENTICATED")
                with self.assertRaises(TfsError) as later:
                    c.read("/t/a", 0, [buf.sge(0, 1)])
        self.assertEqual(later.exception.code, "UNAUTHENTICATED")

    def test_should_surface_forbidden_when_the_role_does_not_allow_the_call(self):
        with tensorfs.Client(self.address, token=READ_ONLY) as c:
            self.assertEqual(c.stat("/t/a").path, "/t/a")
            with self.assertRaises(TfsError) as refused:
                c.write_bytes("/t/b", b"1")
        self.assertEqual(refused.exception.code, "FORBIDDEN")
        self.assertIn("read-only", refused.exception.message)

    def test_should_pass_the_token_to_checkpoint_clients_made_from_an_address(self):
        with ckpt._client(self.address, GOOD) as c:
            c.checkpoints.describe("/t/job/s1")
        os.environ[auth.ENV] = GOOD
        with ckpt._client(self.address) as c:
            c.checkpoints.describe("/t/job/s1")
        self.assertEqual(self.node.seen["Checkpoints.Describe"], [["Bearer " + GOOD]] * 2)

    def test_should_refuse_a_token_beside_a_client_object(self):
        with tensorfs.Client(self.address, token=GOOD) as c:
            with self.assertRaises(ValueError):
                ckpt._client(c, GOOD)

    def test_should_refuse_a_token_with_white_space_inside(self):
        with self.assertRaises(ValueError):
            tensorfs.Client(self.address, token="tfs_abc def")
        self.assertIsNone(auth.resolve("  "))
        self.assertEqual(auth.resolve(" %s\n" % GOOD), GOOD)


if __name__ == "__main__":
    unittest.main()
