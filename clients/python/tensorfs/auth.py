"""The caller's token: ``authorization: Bearer <token>`` metadata on every gRPC call a client makes.

A token is given as an argument (``token=``) or, when none is, read from the ``TFS_TOKEN`` environment
variable. A node with auth on answers a call without a valid token with UNAUTHENTICATED and one whose
token's role or tenant does not allow it with FORBIDDEN; both come out as ``TfsError`` with that code.
"""

import collections
import os

import grpc

ENV = "TFS_TOKEN"
_HEADER = "authorization"


def resolve(token=None):
    """The token to send: ``token`` when given, else ``$TFS_TOKEN``; None when neither is set (``token=""``
    sends none, whatever ``$TFS_TOKEN`` says). Surrounding white space (a file's newline) is dropped; a token with white space or control characters inside is
    refused here rather than sent as a broken header."""
    if token is None:
        token = os.environ.get(ENV)
    if token is None:
        return None
    if not isinstance(token, str):
        raise TypeError("a token is a str, not %s" % type(token).__name__)
    token = token.strip()
    if not token:
        return None
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in token):
        raise ValueError("a token has no white space or control characters inside")
    return token


def bearer(token):
    """The value of the Authorization header (HTTP) or ``authorization`` call metadata (gRPC)."""
    return "Bearer " + token


def authorize(channel, token):
    """``channel`` with ``token`` sent as call metadata on every call made through it (unary and
    streaming alike); ``channel`` itself when ``token`` is None."""
    if token is None:
        return channel
    return grpc.intercept_channel(channel, _BearerInterceptor(token))


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                            "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    pass


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                         grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the token to each call's metadata; any metadata the caller passed stays (an ``authorization``
    entry of its own replaces the token's). Stateless after construction: shared by every thread."""

    def __init__(self, token):
        self._entry = (_HEADER, bearer(token))

    def _details(self, details):
        metadata = list(details.metadata or ())
        if not any(key == _HEADER for key, _ in metadata):
            metadata.append(self._entry)
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)


__all__ = ["ENV", "resolve", "bearer", "authorize"]
