"""The pure helpers of bench/faults.py: errors around a fault, and applications against what the
clients saw. The benchmark itself starts servers and is never run by the tests."""

import importlib
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "bench")


@pytest.fixture
def faults(monkeypatch):
    """bench/faults.py imported as the script is run; sys.path and sys.modules put back after."""
    before = set(sys.modules)
    monkeypatch.syspath_prepend(BENCH)  # restores the whole of sys.path, web.py's inserts too
    yield importlib.import_module("faults")
    for name in set(sys.modules) - before:
        if name in ("faults", "load", "web", "search"):
            del sys.modules[name]


def test_errors_after_counts_5xx_and_failed_connections_from_the_fault(faults):
    events = [(1.0, 500), (10.0, 200), (10.5, 0), (11.0, 302), (12.5, 503), (13.0, 404), (20.0, 200)]
    assert faults.errors_after(events, 10.0) == (2, 2.5)  # the 500 before the fault does not count
    assert faults.errors_after(events, 10.0, end=11.0) == (1, 0.5)
    assert faults.errors_after(events, 13.0) == (0, 0.0)  # a 404 is a refusal, not an error
    assert faults.errors_after([], 0) == (0, 0.0)
    assert faults.answer_rate(events, 10.0, 12.0) == 1.5  # 10.0, 10.5 and 11.0


def test_application_check_compares_what_was_saved_with_what_clients_saw(faults):
    before = {("a@x", "old")}
    after = {("a@x", "old"), ("a@x", "one"), ("b@x", "two"), ("c@x", "three"), ("d@x", "four")}
    seen = [
        ("a@x", "one", 302),  # saved, and the client was told so
        ("a@x", "one", 409),  # the same again, refused: still one application
        ("b@x", "two", None),  # no answer (connection cut): saved, which is allowed
        ("c@x", "three", 400),  # refused, yet saved: a ghost
        ("e@x", "five", 302),  # told it succeeded, not saved: lost
        ("f@x", "six", 503),  # an error, not saved: allowed
    ]
    assert faults.application_check(before, after, seen) == {"ok": 1, "lost": 1, "ghost": 2, "unknown": 2}
