"""Progress of long steps: a callback (step, fraction done), fed by DuckDB's own progress while a query runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import duckdb

Progress = Callable[[str, float], None]
"""Called with what is being done and the fraction of the whole task done (0 to 1)."""

POLL_SECONDS = 0.2


def silent(_step: str, _fraction: float) -> None:
    """A progress callback that shows nothing."""


def part(progress: Progress | None, start: float, end: float) -> Progress:
    """A callback for one part of a task: its own 0..1 mapped onto start..end of the whole."""
    report = progress or silent

    def scaled(step: str, fraction: float) -> None:
        report(step, start + (end - start) * max(0.0, min(1.0, fraction)))

    return scaled


def run(cur: duckdb.DuckDBPyConnection, work: Callable[[], Any], progress: Progress | None, step: str) -> Any:
    """Run work() (queries on cur) in a worker thread and, from the calling thread, report cur's query progress under step.

    The callback runs in the caller's thread (Streamlit draws only from the script thread). If the callback
    raises (the page was left), the worker is waited for before the error goes on, so cur is free again.
    """
    if progress is None:
        return work()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed back to the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    progress(step, 0.0)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            try:
                done = cur.query_progress()
            except duckdb.Error:
                done = -1
            if done >= 0:
                progress(step, done / 100)
    finally:
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    progress(step, 1.0)
    return outcome.get("value")
