"""The reads `radar status` makes in Redis (LLEN, TTL, EXISTS: integers), over one socket.

Importing redis-py loads its asyncio and cluster clients too: ~0.2 s in a fresh
interpreter on this (busy) machine, more than the rest of the beat's healthcheck (issue
18), for three commands. Only plain `redis://` URLs are read here (host, port, user,
password, database, as redis-py reads them); TLS and query options go to redis-py, which
knows them all. A failure to connect reads as redis-py's does; an error reply is
Redis's own text.
"""

from __future__ import annotations

import socket
from typing import BinaryIO, Protocol, cast
from urllib.parse import unquote, urlsplit

TIMEOUT = 3.0  # seconds, to connect and for each reply


class Reads(Protocol):
    def llen(self, name: str) -> int: ...
    def ttl(self, name: str) -> int: ...
    def exists(self, *names: str) -> int: ...
    def close(self) -> None: ...


class ResponseError(Exception):
    """Redis answered with an error (a wrong password, no such database)."""


def connect(url: str, timeout: float = TIMEOUT) -> Reads:
    """A client for these reads; it connects on the first one, as redis-py does."""
    parts = urlsplit(url)
    if parts.scheme != "redis" or parts.query:
        import redis

        return cast(Reads, redis.Redis.from_url(url, socket_timeout=timeout,
                                                socket_connect_timeout=timeout))
    return Probe(url, timeout)


class Probe:
    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        self.host, self.port = unquote(parts.hostname or "localhost"), parts.port or 6379
        user, password = (unquote(p or "") for p in (parts.username, parts.password))
        # AUTH password alone when no user is named: the default user on Redis >= 6, and
        # the only form Redis 5 knows (redis-py 5, which pyproject admits, sends it so)
        self.auth = (user, password) if user else (password,) if password else ()
        try:
            self.db = int(unquote(parts.path).replace("/", "")) if parts.path else 0
        except ValueError:
            self.db = 0  # redis-py ignores a path that is not a number
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.replies: BinaryIO | None = None

    def llen(self, name: str) -> int:
        return self.call("LLEN", name)

    def ttl(self, name: str) -> int:
        return self.call("TTL", name)

    def exists(self, *names: str) -> int:
        return self.call("EXISTS", *names)

    def close(self) -> None:
        for part in (self.replies, self.sock):  # the socket stays open while its file is
            if part is not None:
                part.close()
        self.sock = self.replies = None

    def call(self, *args: str) -> int:
        if self.sock is None:
            self._open()
        reply = self._send(*args)
        if not isinstance(reply, int):
            raise ResponseError(f"unexpected reply to {args[0]}: {reply!r}")
        return reply

    def _open(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), self.timeout)
        except TimeoutError:
            raise TimeoutError("Timeout connecting to server") from None
        except OSError as e:
            detail = f"Error {e.args[0]} connecting to {self.host}:{self.port}."
            raise ConnectionError(f"{detail} {e.args[1]}." if len(e.args) > 1 else detail
                                  ) from None
        self.replies = self.sock.makefile("rb")
        try:
            if self.auth:
                self._send("AUTH", *self.auth)
            if self.db:
                self._send("SELECT", str(self.db))
        except Exception:
            self.close()  # the next call starts over, not unauthenticated
            raise

    def _send(self, *args: str) -> int | str:
        """One command in RESP; its reply: an integer or a status line."""
        assert self.sock is not None and self.replies is not None
        words = [a.encode() for a in args]
        try:
            self.sock.sendall(b"*%d\r\n" % len(words)
                              + b"".join(b"$%d\r\n%b\r\n" % (len(w), w) for w in words))
            line = self.replies.readline()
        except TimeoutError:
            raise TimeoutError("Timeout reading from socket") from None
        except OSError as e:
            raise ConnectionError(f"Error while reading from {self.host}:{self.port} : "
                                  f"{e.args}") from None
        if not line.endswith(b"\r\n"):
            raise ConnectionError("Connection closed by server.")
        kind, text = line[:1], line[1:-2].decode("utf-8", "replace")
        if kind == b"-":
            raise ResponseError(text)
        return int(text) if kind == b":" else text
