"""Shared bits for services: the one transaction runner, and the clock."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from cpspartners.extensions import db
from cpspartners.models._base import utcnow

__all__ = ["transaction", "utcnow"]

P = ParamSpec("P")
R = TypeVar("R")
_OPEN = "cpspartners.transaction_open"  # our key in session.info


def transaction(action: Callable[P, R]) -> Callable[P, R]:
    """Run ``action`` as one transaction: commit when it returns, roll back and re-raise on any error.

    A service that calls another runs inside the caller's transaction: only the outermost commits,
    so a later refusal also undoes what the inner one wrote.
    """

    @wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        info = db.session.info
        if info.get(_OPEN):
            return action(*args, **kwargs)
        info[_OPEN] = True
        try:
            result = action(*args, **kwargs)
            db.session.commit()
        except BaseException:  # also Ctrl-C half-way through an import: nothing half-written stays
            db.session.rollback()
            raise
        finally:
            info.pop(_OPEN, None)
        return result

    return run
