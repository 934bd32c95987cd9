"""Tables built once at publish time, inside the publish transaction, so pages never re-scan raw events."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from dashboard.staged import engine
from dashboard.store import PrepareStep, Version, register_prepare_step

Preparer = Callable[[duckdb.DuckDBPyConnection, Version], None]


def preparers() -> tuple[Preparer, ...]:
    """The staged definitions first, then each view's prepare step (which reads them); a view that reads prepared
    tables adds its step here. Imported when a publish or upgrade runs, not when the app starts: the view modules
    bring scipy and the rest of the metrics, a second or more of a cold start that the Overview never uses."""
    from dashboard import staged
    from dashboard.metrics import overview
    from dashboard.metrics.behaviours import adoption as behaviours
    from dashboard.metrics.defection import prepare as defection_prepare
    from dashboard.metrics.drivers import prepare as drivers_prepare
    from dashboard.metrics.funnel import prepare as funnel_prepare
    from dashboard.metrics.journey import prepare as journey_prepare

    return (
        staged.build,
        overview.prepare,
        journey_prepare.prepare,
        funnel_prepare.prepare,
        behaviours.prepare,
        defection_prepare.prepare,
        drivers_prepare.prepare,
    )


def build_all(cur: duckdb.DuckDBPyConnection, version: Version) -> None:
    """Run every view's prepare step for a version being published, on the configured engine (staged.engine)."""
    engine.prepare_on(cur, version, preparers())


PREPARED_SCHEMA = 4
"""The schema number of the prepared tables, changed on purpose whenever a prepare step builds different tables or
rows (tests/test_prepared_schema.py fails until it is): versions built under another number are out of date, a page
says so, and `python -m dashboard upgrade` or the Data page rebuilds them. Never bumped by a docstring edit."""

STEP = PrepareStep(build_all, PREPARED_SCHEMA)
"""What publish and upgrade run."""

register_prepare_step(STEP)
