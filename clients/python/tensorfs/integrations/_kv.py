"""What the engine adapters share: opening a KVStore, turning engine keys into tensorfs key names, and
reading KVStore's per-key results."""

import hashlib
import os

# A key is one path segment below the tenant: at most 255 bytes, no '/', not '.' or '..'.
_MAX_KEY_BYTES = 255


def open_store(address=None, tenant=None, token=None):
    """A ``tensorfs.kv.KVStore`` on ``address`` (default $TFS_GRPC, else 127.0.0.1:9090) for ``tenant``.
    ``token``: default $TFS_TOKEN (the client reads it)."""
    from tensorfs.kv import KVStore

    if not tenant:
        raise ValueError("a tensorfs tenant is needed for KV blocks")
    return KVStore(address or os.environ.get("TFS_GRPC", "127.0.0.1:9090"), tenant, token=token)


def key_name(text):
    """An engine's key as one tensorfs name: '%' and '/' escaped (so distinct keys stay distinct), and a
    key too long for one segment shortened to its start and a SHA-256 of the whole."""
    name = text.replace("%", "%25").replace("/", "%2F")
    if name in (".", ".."):
        name = name.replace(".", "%2E")
    raw = name.encode("utf-8")
    if len(raw) > _MAX_KEY_BYTES:
        digest = hashlib.sha256(raw).hexdigest()
        name = raw[:_MAX_KEY_BYTES - len(digest) - 1].decode("utf-8", "ignore") + "~" + digest
    return name


def hit(result):
    """Whether a KVStore per-key result says the key was stored / found."""
    if result is None or result is False:
        return False
    if result is True or isinstance(result, (int, bytes, bytearray, memoryview)):
        return True
    ok = getattr(result, "ok", None)
    if ok is not None:
        return bool(ok)
    status = getattr(result, "status", None)
    return status in (0, "OK")


def length(result):
    """The block length a KVStore get result reports (None when it reports none)."""
    if isinstance(result, bool) or result is None:
        return None
    if isinstance(result, int):
        return result
    if isinstance(result, (bytes, bytearray, memoryview)):
        return len(result)
    n = getattr(result, "length", None)
    return n if isinstance(n, int) else None
