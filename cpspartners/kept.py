"""What every visitor sees alike, computed once per process and kept for a minute.

``kept(name, compute, today)`` is ``compute()``, held by this process for ``HOME_CACHE_SECONDS``
(config, 60 by default) and only for ``today``: the home page's counts, the table of areas,
a school's listing ids, the community areas a filter offers. A minute's lag there is harmless;
rows shown are loaded and re-checked against the public rule on each request by the caller.
Each process keeps its own (a gunicorn worker, a test's app): nothing here is shared.
"""

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import current_app

_STORE = "cpspartners_kept"  # our key in app.extensions


def kept(name: str, compute: Callable[[], Any], today: date) -> Any:
    """``compute()``, kept by this process for ``HOME_CACHE_SECONDS`` under ``name`` (and only for
    ``today``): what every visitor of a page sees alike, and may see a minute late."""
    store = current_app.extensions.setdefault(_STORE, {})
    now, ttl = time.monotonic(), current_app.config["HOME_CACHE_SECONDS"]
    found = store.get(name)
    if found is None or now - found[0] >= ttl or found[1] != today:
        found = store[name] = (now, today, compute())
    return found[2]


def forget_kept() -> None:
    """Drop what ``kept`` holds (a test that changed the directory; a worker warming up)."""
    current_app.extensions.pop(_STORE, None)
