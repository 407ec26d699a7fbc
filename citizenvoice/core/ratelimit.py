"""Keys for flask-limiter that never put a raw client address into the limiter storage."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis.exceptions import NoScriptError

if TYPE_CHECKING:
    from flask_limiter import Limiter


def client_key() -> str:
    """A keyed hash of the client address (after ProxyFix, when configured)."""
    return client_key_for(str(current_app.config["SECRET_KEY"]), request.remote_addr)


def client_key_for(secret: str, address: str | None) -> str:
    """:func:`client_key` of a given secret and address."""
    addr = (address or "unknown").encode()
    return "c:" + hmac.new(secret.encode(), addr, hashlib.sha256).hexdigest()[:32]


def keyed(value: str, purpose: str) -> str:
    """A keyed hash of any value (an account name, a device id) for use as a limiter key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{purpose}:{digest[:32]}"


# ---- limits checked by hand on the rating routes ---------------------------------------------

#: Seconds between attempts to reach the shared storage again once it was found unreachable.
STORAGE_RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


class DirectLimits:
    """Rate limits counted straight in flask-limiter's storage, without its per-view machinery.

    The rating routes are the busiest of the site and check two or three limits per request;
    the decorators cost more than the counting. Here each limit is one ``hit`` on the same
    storage and strategy, with the same key prefix. When the shared storage (Redis) cannot be
    reached, counting goes on in this process's memory, a warning is logged once, and the
    storage is tried again every :data:`STORAGE_RETRY_SECONDS`.
    """

    def __init__(self) -> None:
        self._fallback: RateLimiter | None = None
        #: The storage found unreachable (an app configured anew brings its own).
        self._failed: object | None = None
        self._retry_at = 0.0

    def allow(self, checks: Iterable[tuple[str, str, str]], prefix: str | None = None) -> bool:
        """Count one request against each (limit, scope, key); False once one is exceeded.

        ``prefix`` is the app's ``RATELIMIT_KEY_PREFIX``, read from the current app when not
        given.
        """
        from citizenvoice.extensions import limiter

        if not limiter.enabled:
            return True
        if prefix is None:
            prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "")
        strategy = self._strategy(limiter)
        items = [(_parsed(limit), (prefix, key, scope)) for limit, scope, key in checks]
        try:
            if isinstance(strategy, FixedWindowRateLimiter) and isinstance(
                strategy.storage, RedisStorage
            ):
                return _hit_in_one_round_trip(strategy.storage, items)
            return all(strategy.hit(item, *identifiers) for item, identifiers in items)
        except Exception:  # the storage's own errors: connection refused, timeouts, …
            if strategy is self._fallback:
                raise
            self._fall_back(strategy)
            return self.allow(checks, prefix)

    def _strategy(self, limiter: Limiter) -> RateLimiter:
        if self._fallback is None or self._failed is not limiter.storage:
            self._fallback = None
            return limiter.limiter
        if time.monotonic() >= self._retry_at:
            self._retry_at = time.monotonic() + STORAGE_RETRY_SECONDS
            try:
                reachable = limiter.storage.check()
            except Exception:
                reachable = False
            if reachable:
                log.warning("rate-limit storage reachable again: survey limits are shared again")
                self._fallback = None
                return limiter.limiter
        return self._fallback

    def _fall_back(self, strategy: RateLimiter) -> None:
        self._failed = strategy.storage
        log.warning(
            "rate-limit storage unreachable: survey limits are counted in memory until it is back"
        )
        self._fallback = type(strategy)(MemoryStorage())
        self._retry_at = time.monotonic() + STORAGE_RETRY_SECONDS


#: Every key of KEYS incremented by one, each given its expiry (ARGV, in order) when it is new:
#: the storage's own ``incr_expire`` script, for several keys in one call.
INCR_EXPIRE_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
    local current = redis.call("incrby", key, 1)
    if tonumber(current) == 1 then
        redis.call("expire", key, ARGV[i])
    end
    counts[i] = current
end
return counts
"""


#: The script's digest, which Redis computes the same way when the script is loaded.
INCR_EXPIRE_ALL_SHA = hashlib.sha1(INCR_EXPIRE_ALL.encode(), usedforsecurity=False).hexdigest()


def _hit_in_one_round_trip(
    storage: RedisStorage, items: list[tuple[RateLimitItem, tuple[str, str, str]]]
) -> bool:
    """Fixed windows on Redis: every counter incremented in one script call, one round trip
    (what ``FixedWindowRateLimiter.hit`` does for each, less the round trips). The script is
    called by its digest and loaded again when Redis has forgotten it (restarted since)."""
    keys = [storage.prefixed_key(item.key_for(*identifiers)) for item, identifiers in items]
    expiries = [item.get_expiry() for item, _ids in items]
    client: Any = storage.get_connection()
    counts = _call_script(client.connection_pool, keys, expiries)
    return all(int(n) <= item.amount for n, (item, _ids) in zip(counts, items, strict=True))


def _call_script(pool: Any, keys: list[str], expiries: list[int]) -> Any:
    """EVALSHA on a connection of the client's pool, without the client's per-command layers
    (they cost twice the round trip itself). The pool hands out a connection the server
    dropped (a restarted Redis) only after opening it again."""
    command = _packed("EVALSHA", INCR_EXPIRE_ALL_SHA, len(keys), *keys, *expiries)
    connection = pool.get_connection()
    try:
        return _evalsha(connection, command)
    finally:
        pool.release(connection)


def _evalsha(connection: Any, command: bytes) -> Any:
    """The script's reply; a server that has forgotten the script is given it again."""
    try:
        connection.send_packed_command([command])
        return connection.read_response()
    except NoScriptError:
        connection.send_command("SCRIPT", "LOAD", INCR_EXPIRE_ALL)
        connection.read_response()
        connection.send_packed_command([command])
        return connection.read_response()


def _packed(*args: str | int) -> bytes:
    """A command in Redis's wire format (RESP): an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


direct_limits = DirectLimits()
