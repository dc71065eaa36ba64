"""The index on disk: generations, the atomic swap between them, and writers that wait their turn.

Layout: ``<SEARCH_INDEX_DIR>/current`` is a symlink to ``gen-<stamp>``. A rebuild writes a new
generation beside the live one (marked ``.building`` while it is written) and swaps the symlink
with one atomic ``os.replace``, so readers always open a whole index: the old one or the new one.

Only the outbox writes; it takes a writer here, which waits for Whoosh's write lock rather than
failing at once, because saving a listing in one process and applying the outbox in another
routinely overlap for a few milliseconds.
"""

import os
import shutil
import time
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import IndexWriter

from cpspartners.search.schema import make_schema

LOCK_TIMEOUT = 5.0
LOCK_RETRIES = 6


def current_path(root: str) -> str:
    """The symlink naming the live generation under ``root``."""
    return os.path.join(root, "current")


def create_generation(root: str) -> str:
    """A new empty index folder beside the live one; not live until ``swap_in``."""
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, "gen-%d-%d" % (time.time_ns(), os.getpid()))
    os.makedirs(path)
    whoosh_index.create_in(path, make_schema())
    return path


def swap_in(root: str, generation: str) -> None:
    """Point ``current`` at ``generation`` atomically, then remove generations no longer live."""
    link = os.path.join(root, "current.%d.tmp" % os.getpid())
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.basename(generation), link)
    os.replace(link, current_path(root))
    for name in os.listdir(root):
        path = os.path.join(root, name)
        # Readers in other processes keep their open files; POSIX keeps unlinked files alive.
        if (
            name.startswith("gen-")
            and os.path.realpath(path) != os.path.realpath(generation)
            and not os.path.exists(os.path.join(path, ".building"))
        ):
            shutil.rmtree(path, ignore_errors=True)


def ensure_index(root: str) -> str:
    """The live generation's path, creating an empty index the first time."""
    link = current_path(root)
    if not os.path.exists(link):
        swap_in(root, create_generation(root))
    return os.path.realpath(link)


def open_writer(path: str, timeout: float = LOCK_TIMEOUT, retries: int = LOCK_RETRIES, **settings: Any) -> IndexWriter:
    """A writer on the index at ``path``; waits for the lock, retrying, before giving up.

    Tries at least once; the last attempt's ``LockError`` is raised.
    """
    ix = whoosh_index.open_dir(path)
    for attempt in range(retries - 1):
        try:
            return ix.writer(timeout=timeout, delay=0.05, **settings)
        except whoosh_index.LockError:
            time.sleep(0.05 * (attempt + 1))
    return ix.writer(timeout=timeout, delay=0.05, **settings)
