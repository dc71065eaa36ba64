"""What "ready" means: every part a request may need answers. Plain functions, one per part.

Each check returns None when the part answers, or a short reason. The reasons name the part
and the kind of failure only (no addresses, no error text): the readiness answer is public.
"""

from sqlalchemy import text

from cpspartners.extensions import db


def database():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the same thing here: not ready
        db.session.rollback()
        return "unreachable"
    return None


def _redis(url):
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except RedisError:
        return "unreachable"
    return None


def rate_limits(config):
    """The shared rate-limit counters, when they live in Redis (several workers)."""
    uri = config.get("RATELIMIT_STORAGE_URI") or ""
    return _redis(uri) if uri.startswith(("redis://", "rediss://")) else None


def jobs(config):
    """The job queue, when one is configured (without it, jobs run in the web process)."""
    url = config.get("RQ_REDIS_URL")
    return _redis(url) if url else None


def search_index():
    """The search index opens for reading (an empty index is ready: the first rebuild fills it)."""
    from cpspartners import search

    try:
        search.reader().current()
    except Exception:  # a missing, locked or corrupt folder: not ready to answer searches
        return "unreadable"
    return None


def replica():
    """The read replica, when one is set (``REPLICA_DATABASE_URL``): None when unset or answering."""
    from cpspartners import replica as reports

    engine = reports.replica_engine()
    if engine is None or reports.answers(engine):
        return None
    return "unreachable"


def degraded(app):
    """``{part: reason}`` for parts that do not answer but leave the site ready: a replica that is
    down costs the primary the reports' load (they fall back to it), nothing more."""
    results = {"replica": replica()}
    return {part: reason for part, reason in results.items() if reason}


def readiness(app):
    """``{part: reason}`` for every part that does not answer; empty when ready."""
    results = {
        "database": database(),
        "rate_limits": rate_limits(app.config),
        "jobs": jobs(app.config),
        "search_index": search_index(),
    }
    return {part: reason for part, reason in results.items() if reason}
