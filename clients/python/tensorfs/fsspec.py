"""tensorfs as an fsspec filesystem: ``fsspec.open("tensorfs:///team/data/x.bin")``, pandas, zarr, PyTorch
DCP's ``FsspecWriter`` / ``FsspecReader``.

URLs: ``tensorfs://HOST:PORT/tenant/path`` names the node in the URL; ``tensorfs:///tenant/path`` (or a
bare ``/tenant/path``) uses the ``address`` option, else ``$TFS_GRPC``, else ``127.0.0.1:9090``. A URL
whose first part has no port (``tensorfs://team/x``) is the path ``/team/x``. The token is the ``token``
option, else ``$TFS_TOKEN``. Registered for the ``tensorfs`` protocol through the ``fsspec.specs`` entry
point (pyproject.toml).

Everything goes through one ``tensorfs.Client`` per filesystem instance (made at first use; gRPC, and the
node's local channel for file reads when the node is on this host). A file is written as one whole new
version: bytes written to an open file stream to the node as they are flushed (at most a few MiB held
here) and become visible at ``close()`` (inside an fsspec transaction: at its commit; a discard abandons
the upload and the old version stays). A file open for reading reads the version that is current at each
fetch: replacing it while a reader has it open can give that reader bytes of both versions.
"""

import errno
import queue
import threading
from datetime import datetime, timezone

import fsspec
import grpc
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from . import _wire
from .client import Client, TfsError, _error
from .memory import HostBuffer

DEFAULT_ADDRESS = "127.0.0.1:9090"
_PIECE = 1 << 20          # bytes per gRPC message of an upload
_QUEUED_PIECES = 8        # pieces an upload holds before write() waits for the node
_END = object()


def _errno_error(error, path):
    """The OSError an fsspec caller expects for a node's TfsError (the TfsError as its cause); the
    TfsError itself for the codes no OSError fits."""
    mapped = _mapped(error, path)
    if mapped is not error:
        mapped.__cause__ = error
    return mapped


def _mapped(error, path):
    code, message = error.code, error.message
    if code == "NOT_FOUND":
        return FileNotFoundError(errno.ENOENT, message, path)
    if code == "CONFLICT" and "exist" in message:
        return FileExistsError(errno.EEXIST, message, path)
    if code == "CONFLICT" and "not empty" in message:
        return OSError(errno.ENOTEMPTY, message, path)
    if code == "CONFLICT" and "is a file" in message:
        return NotADirectoryError(errno.ENOTDIR, message, path)
    if code == "CONFLICT" and "is a directory" in message:
        return IsADirectoryError(errno.EISDIR, message, path)
    if code in ("FORBIDDEN", "UNAUTHENTICATED"):
        return PermissionError(errno.EACCES, "%s: %s" % (code, message), path)
    if code in ("BAD_REQUEST", "BAD_PATH"):
        return ValueError("%s: %s" % (path, message))
    return error


class _Call:
    """Runs one node call and turns its TfsError into the matching OSError."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, TfsError):
            mapped = _errno_error(exc, self.path)
            if mapped is not exc:
                raise mapped
        return False


class TensorfsFileSystem(AbstractFileSystem):
    """An fsspec filesystem over one tensorfs node. Thread-safe (its client is). Paths are absolute
    tensorfs paths (``/tenant/...``); sizes are bytes; ``info`` adds the node's ``version`` (the ETag),
    ``policy``, ``chunk_size`` and ``crc32c`` of a file, and its attributes where the node keeps them.

    Options: ``address`` (host:port of the node's gRPC endpoint), ``token``, ``local`` (as for ``Client``),
    ``client`` (an existing Client to use instead; not closed here)."""

    protocol = "tensorfs"
    root_marker = "/"
    cachable = True

    def __init__(self, address=None, token=None, local=None, client=None, **kwargs):
        super().__init__(address=address, token=token, local=local, **kwargs)
        import os

        self.address = address or os.environ.get("TFS_GRPC") or DEFAULT_ADDRESS
        self._token = token
        self._local = local
        self._client = client
        self._own_client = client is None
        self._lock = threading.Lock()

    # -- paths -------------------------------------------------------------------------------------------

    @staticmethod
    def _split_url(path):
        """(address or None, path) of a path with or without the protocol."""
        path = fsspec.utils.stringify_path(path)
        address = None
        for prefix in ("tensorfs://", "tensorfs::"):
            if path.startswith(prefix):
                rest = path[len(prefix):]
                netloc, slash, tail = rest.partition("/")
                if netloc and _has_port(netloc):
                    address, path = netloc, "/" + tail
                else:
                    path = "/" + rest
                break
        return address, path

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = cls._split_url(path)[1]
        parts = [p for p in path.split("/") if p]
        return "/" + "/".join(parts)

    @staticmethod
    def _get_kwargs_from_urls(path):
        address = TensorfsFileSystem._split_url(path)[0]
        return {"address": address} if address else {}

    def unstrip_protocol(self, name):
        return "tensorfs://%s%s" % (self.address, self._strip_protocol(name))

    # -- the client --------------------------------------------------------------------------------------

    @property
    def client(self):
        """The filesystem's tensorfs.Client (made at first use)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = Client(self.address, token=self._token, local=self._local)
        return self._client

    def close(self):
        """Closes the client this filesystem made (a later call makes a new one)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._own_client:
            client.close()

    # -- metadata ----------------------------------------------------------------------------------------

    def _file_info(self, message):
        info = {"name": self._strip_protocol(message.path), "size": message.size, "type": "file"}
        for field, value in message.ListFields():
            if field.name not in ("path", "size", "is_dir"):
                info[field.name] = dict(value) if field.name == "user" else value
        return info

    def info(self, path, **kwargs):
        path = self._strip_protocol(path)
        if path == "/":
            return {"name": "/", "size": 0, "type": "directory"}
        try:
            message = self.client.stat(path)
            if getattr(message, "is_dir", False):
                info = self._file_info(message)
                info.update(name=path, size=0, type="directory")
                return info
            return self._file_info(message)
        except TfsError as e:
            if e.code != "NOT_FOUND":
                raise _errno_error(e, path)
            miss = e
        # A directory with entries (implicit: it exists while something is under it).
        try:
            entries, _ = self.client.list_page(path, limit=1)
        except TfsError as e:
            if e.code in ("NOT_FOUND", "CONFLICT"):
                raise _errno_error(miss, path)
            raise _errno_error(e, path)
        if entries:
            return {"name": path, "size": 0, "type": "directory"}
        raise _errno_error(miss, path)

    def ls(self, path, detail=True, **kwargs):
        path = self._strip_protocol(path)
        out = []
        token = ""
        while True:
            try:
                entries, token = self.client.list_page(path, limit=1000, page_token=token)
            except TfsError as e:
                if e.code not in ("NOT_FOUND", "CONFLICT"):  # CONFLICT: "not a directory"
                    raise _errno_error(e, path)
                info = self.info(path)  # a file lists as itself, an empty directory as nothing; else raises
                out = [info] if info["type"] == "file" else []
                return out if detail else [o["name"] for o in out]
            for entry in entries:
                name = (path.rstrip("/") + "/" + entry.name) if path != "/" else "/" + entry.name
                item = {"name": name, "size": 0 if entry.directory else entry.size,
                        "type": "directory" if entry.directory else "file"}
                for field, value in entry.ListFields():  # version, mtime_millis, md5_hex where the node sends them
                    if field.name not in ("name", "directory", "size"):
                        item[field.name] = value
                out.append(item)
            if not token:
                break
        if not out:
            info = self.info(path)  # an empty listing: a file, an explicit empty directory, or nothing
            if info["type"] == "file":
                out = [info]
        return out if detail else [o["name"] for o in out]

    def exists(self, path, **kwargs):
        try:
            self.info(path)
            return True
        except FileNotFoundError:
            return False

    def modified(self, path):
        info = self.info(path)
        millis = info.get("mtime_millis") or info.get("sealed_at_millis")
        if not millis:
            raise NotImplementedError("the node gave no time for %s" % path)
        return datetime.fromtimestamp(millis / 1000.0, tz=timezone.utc)

    def ukey(self, path):
        info = self.info(path)
        return "%s@%s" % (info["name"], info.get("version", 0))

    def checksum(self, path):
        info = self.info(path)
        return int(info.get("version", 0)) << 32 | int(info.get("crc32c", 0))

    # -- directories -------------------------------------------------------------------------------------

    def mkdir(self, path, create_parents=True, **kwargs):
        """Makes an explicit directory (it stays when emptied). Parents are made as needed either way
        (``create_parents=False`` refuses when the parent does not exist). FileExistsError when the
        name exists."""
        path = self._strip_protocol(path)
        if not create_parents and not self.isdir(self._parent(path)):
            raise FileNotFoundError(errno.ENOENT, "no parent directory", path)
        try:
            self.client.mkdir(path, **kwargs)
        except TfsError as e:
            if e.code == "CONFLICT":  # a directory or a file has the name: EEXIST, as mkdir(2) says
                raise FileExistsError(errno.EEXIST, e.message, path) from e
            raise _errno_error(e, path)

    def makedirs(self, path, exist_ok=False):
        path = self._strip_protocol(path)
        if exist_ok and self.isdir(path):
            return  # an implicit directory (one with entries) stays implicit
        try:
            self.mkdir(path)
        except FileExistsError:
            if not exist_ok or not self.isdir(path):
                raise

    def rmdir(self, path):
        path = self._strip_protocol(path)
        with _Call(path):
            self.client.rmdir(path)

    # -- removal, moves, copies --------------------------------------------------------------------------

    def rm_file(self, path):
        path = self._strip_protocol(path)
        with _Call(path):
            self.client.delete(path)

    def _rm(self, path):
        self.rm_file(path)

    def rm(self, path, recursive=False, maxdepth=None):
        """Deletes files; a directory only with ``recursive`` (every file under it, then the directory
        if it is an explicit one)."""
        paths = path if isinstance(path, list) else [path]
        for p in paths:
            p = self._strip_protocol(p)
            info = self.info(p)
            if info["type"] != "directory":
                self.rm_file(p)
                continue
            if not recursive:
                raise IsADirectoryError(errno.EISDIR, "a directory: rm it with recursive=True", p)
            if maxdepth is not None:
                for q in reversed(self.expand_path(p, recursive=True, maxdepth=maxdepth)):
                    if q != p and not self.isdir(q):
                        self.rm_file(q)
                continue
            with _Call(p):
                self.client.delete_tree(p)
            self._rmdir_quietly(p)
        self.invalidate_cache()

    def _rmdir_quietly(self, path):
        """Removes the explicit directories left at and under ``path`` (implicit ones went with their
        last file)."""
        if not hasattr(self.client, "rmdir"):
            return
        try:
            children = self.ls(path, detail=True)
        except FileNotFoundError:
            return
        for child in children:
            if child["type"] == "directory":
                self._rmdir_quietly(child["name"])
        try:
            self.client.rmdir(path)
        except TfsError as e:
            if e.code != "NOT_FOUND":
                raise _errno_error(e, path)

    def mv(self, path1, path2, recursive=False, maxdepth=None, **kwargs):
        """Renames on the node: a file's new name gets the same version (no bytes copied) atomically; a
        directory moves entry by entry (see the node's rename)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        with _Call(path1):
            self.client.rename(path1, path2)
        self.invalidate_cache()

    def cp_file(self, path1, path2, policy=None, **kwargs):
        """Copies a file's bytes into a new version of ``path2`` as they are read, with the source's
        policy unless ``policy`` is given (the node's stream: no whole copy held here)."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        with _Call(path1):
            source = self.client.stat(path1)
        if policy is None:
            policy = source.policy

        failed = []

        def messages():
            yield _wire.WriteChunk(path=path2, policy=policy)
            if source.size:
                try:
                    for chunk in self.client._read(_wire.ReadRequest(path=path1, offset=0, length=source.size)):
                        yield _wire.WriteChunk(data=chunk.data)
                except grpc.RpcError as e:  # the source's read failed: the upload is cancelled below
                    failed.append(_error(e))
                    raise

        try:
            self.client._write(messages())
        except grpc.RpcError as e:
            error = failed[0] if failed else _error(e)
            raise _errno_error(error, path1 if failed else path2)

    # -- bytes -------------------------------------------------------------------------------------------

    def cat_file(self, path, start=None, end=None, **kwargs):
        path = self._strip_protocol(path)
        if (start is not None and start < 0) or (end is not None and end < 0) or end is not None:
            size = self.info(path)["size"]
            start = 0 if start is None else (max(0, size + start) if start < 0 else start)
            end = size if end is None else (max(0, size + end) if end < 0 else min(end, size))
            if end <= start:
                return b""
            with _Call(path):
                return self.client.read_bytes(path, start, end - start)
        with _Call(path):
            data = self.client.read_bytes(path, start or 0, 0)
        if not data and start:
            self.info(path)  # past the end, or nothing there: the latter raises
        return data

    def pipe_file(self, path, value, policy="", **kwargs):
        path = self._strip_protocol(path)
        with _Call(path):
            self.client.write_bytes(path, value, policy=policy)

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs):
        return TensorfsFile(self, self._strip_protocol(path), mode, block_size=block_size,
                            autocommit=autocommit, cache_options=cache_options, **kwargs)


def _has_port(netloc):
    host, sep, port = netloc.rpartition(":")
    return bool(sep) and bool(host) and port.isdigit()


class TensorfsFile(AbstractBufferedFile):
    """A file of a TensorfsFileSystem. Reading: ranged fetches of ``block_size`` (4 MiB default) through
    fsspec's cache. Writing (``wb``; ``ab`` streams the old bytes first): one upload stream to the node
    that the buffered bytes join at each flush; the new version is sealed at close, or at the
    transaction's commit. Owned by one thread at a time, like any file object. ``policy``: the stored
    file's policy (persistent, kvcache, cache(min,max); default the node's)."""

    DEFAULT_BLOCK_SIZE = 4 << 20

    def __init__(self, fs, path, mode="rb", policy="", **kwargs):
        self.policy = policy or ""
        self._upload = None
        self._staging = None
        super().__init__(fs, path, mode, **kwargs)

    # -- reads -------------------------------------------------------------------------------------------

    def _fetch_range(self, start, end):
        end = min(end, self.size)
        if end <= start:
            return b""
        client = self.fs.client
        length = end - start
        if client.local and length <= (64 << 20):
            # Straight from the node's cache pages into shared memory over the local channel.
            if self._staging is None or self._staging.nbytes < length:
                if self._staging is not None:
                    self._staging.close()
                self._staging = HostBuffer(max(length, self.blocksize))
            with _Call(self.path):
                n = client._run(client.read(self.path, start, [self._staging.sge(0, length)]), None)
            view = self._staging.memoryview()
            try:
                return bytes(view[:n])
            finally:
                view.release()
        with _Call(self.path):
            return client.read_bytes(self.path, start, length)

    # -- writes ------------------------------------------------------------------------------------------

    def _initiate_upload(self):
        self._upload = _Upload(self.fs.client, self.path, self.policy)
        if self.mode == "ab" and self.fs.exists(self.path):
            size = self.fs.info(self.path)["size"]
            for at in range(0, size, 16 << 20):
                with _Call(self.path):
                    self._upload.send(self.fs.client.read_bytes(self.path, at, min(16 << 20, size - at)))

    def _upload_chunk(self, final=False):
        self._upload.send(self.buffer.getbuffer())
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self):
        if self._upload is not None:
            upload, self._upload = self._upload, None
            with _Call(self.path):
                upload.finish()

    def discard(self):
        if self._upload is not None:
            upload, self._upload = self._upload, None
            upload.cancel()

    def close(self):
        try:
            super().close()
        except BaseException:
            self.discard()
            raise
        finally:
            if self._staging is not None:
                self._staging.close()
                self._staging = None

    def __del__(self):
        if getattr(self, "_upload", None) is not None and getattr(self, "autocommit", True):
            self._upload.cancel()  # never closed: the half-written version is abandoned


class _Upload:
    """One Write stream to the node, fed piece by piece from the writing thread; the node seals the new
    version when the stream ends (``finish``), or abandons it when the call is cancelled."""

    def __init__(self, client, path, policy):
        self._pieces = queue.Queue(maxsize=_QUEUED_PIECES)
        self._pieces.put(_wire.WriteChunk(path=path, policy=policy))
        self._future = client._write.future(self._messages())

    def _messages(self):
        while True:
            piece = self._pieces.get()
            if piece is _END:
                return
            yield piece

    def send(self, data):
        view = memoryview(data).cast("B")
        for at in range(0, len(view), _PIECE):
            self._put(_wire.WriteChunk(data=bytes(view[at:at + _PIECE])))

    def _put(self, item):
        while True:
            if self._future.done():
                self._raise()
                raise TfsError("INTERNAL", "the upload stream ended early")
            try:
                self._pieces.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self):
        """Ends the stream; the FileInfo of the sealed version (TfsError when the node refused it)."""
        self._put(_END)
        return self._raise()

    def _raise(self):
        try:
            return self._future.result()
        except grpc.RpcError as e:
            raise _error(e) from None

    def cancel(self):
        self._future.cancel()


# Importing this module is enough where the package is not installed (its entry point then is not seen).
fsspec.register_implementation(TensorfsFileSystem.protocol, TensorfsFileSystem, clobber=True)
