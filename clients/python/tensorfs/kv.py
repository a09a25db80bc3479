"""KV-cache blocks of one tenant: the store the LMCache and SGLang adapters build on.

    from tensorfs.kv import KVStore
    store = KVStore("127.0.0.1:9090", "tenant-a", token=...)
    store.put(["req-1/0", "req-1/1"], [block0, block1])      # torch tensors (CPU or CUDA), numpy, bytes
    hits = store.prefix(["req-1/0", "req-1/1", "req-1/2"])   # 2: how many leading blocks are there
    store.get(["req-1/0"], [out_tensor])                    # into a preallocated tensor
    store.get(["req-1/1"])                                  # [bytes] (None for a miss)

Blocks are immutable once put (a put replaces the whole block atomically) and follow the kvcache
contract: a block may be evicted or lost, a miss is an answer, a hit is exactly the bytes put. Keys are
names below the tenant (``tenant/key`` is a tensorfs path). On the node's host the calls go through the
local channel (CUDA tensors move GPU to node without a host copy); elsewhere through gRPC.
"""

from .client import Client, TfsError


class KVStore:
    """A tenant's KV blocks on one node. Thread-safe (its Client is). Made from an address (it then owns
    a Client and closes it) or from a Client (shared; ``close`` leaves it open)."""

    def __init__(self, client_or_address, tenant, token=None):
        if not isinstance(tenant, str) or not tenant.strip("/"):
            raise ValueError("a tenant is a non-empty name, not %r" % (tenant,))
        if isinstance(client_or_address, Client):
            if token is not None:
                raise ValueError("token= goes with an address; the Client given has its own")
            self.client = client_or_address
            self._owned = False
        elif isinstance(client_or_address, str):
            self.client = Client(client_or_address, token=token)
            self._owned = True
        else:
            raise TypeError("a Client or a host:port address, not %s" % type(client_or_address).__name__)
        self.tenant = tenant.strip("/")

    @property
    def local(self):
        """True when the calls go through the node's local channel."""
        return self.client.local

    def put(self, keys, values):
        """Puts one block per key; returns a KvResult per key (``.ok``)."""
        return self.client.kv_put(self.tenant, keys, values)

    def get(self, keys, outs=None):
        """Without ``outs``: each block's bytes, None for a miss. With ``outs`` (a writable buffer, array
        or tensor per key, at least its block's size): a KvResult per key (NOT_FOUND for a miss)."""
        return self.client.kv_get(self.tenant, keys, outs)

    def exists(self, keys):
        """A bool per key: whether it has a block."""
        return self.client.kv_exists(self.tenant, keys)[0]

    def prefix(self, keys):
        """How many leading keys have a block."""
        return self.client.kv_exists(self.tenant, keys)[1]

    def remove(self, keys):
        """Removes the keys' blocks; a bool per key: whether it had one."""
        return self.client.kv_remove(self.tenant, keys)

    def put_one(self, key, value):
        """Puts one block; raises TfsError when it was not stored."""
        result = self.put([key], [value])[0]
        if not result.ok:
            raise TfsError(result.status_name, "key %s: %s" % (key, result.message or result.status_name))
        return result

    def get_one(self, key, out=None):
        """One block: its bytes (None for a miss); with ``out``, the bytes written into it (None for a
        miss; TfsError for any other failure, such as an out smaller than the block)."""
        if out is None:
            return self.get([key])[0]
        result = self.get([key], [out])[0]
        if result.ok:
            return result.length
        if result.status_name == "NOT_FOUND":
            return None
        raise TfsError(result.status_name, "key %s: %s" % (key, result.message or result.status_name))

    def exists_one(self, key):
        return self.exists([key])[0]

    def close(self):
        """Closes the Client when this store made it."""
        if self._owned:
            self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
