"""What-if benchmark: a slider change. CX Lens recomputes the money from adoption figures already cached (no query);
the pandas column is what a dashboard without that cache does: recompute adoption from the raw tables, then the money."""

from __future__ import annotations

from benchmarks.harness import BenchContext, Case
from benchmarks.reference import behaviours as reference
from benchmarks.views.behaviours import CATALOGUE, floor_sql
from dashboard.charts import whatif as charts
from dashboard.metrics import whatif
from dashboard.metrics.behaviours import adoption as bh
from dashboard.metrics.scope import Filters

TARGETS = {
    "e-billing to 84 %": {"e_billing": 0.84},
    "every behaviour to best-in-class": None,
}


def _targets(items: tuple[whatif.Lever, ...], chosen: dict[str, float] | None) -> dict[str, float]:
    if chosen is not None:
        return chosen
    return {lever.key: whatif.preset_target(lever, "best") for lever in items}


def cases(ctx: BenchContext) -> list[Case]:
    """One case per slider move; the adoption figures are computed once beforehand, as the page's cache holds them."""
    with ctx.store.cursor() as cur:
        summary = bh.summary(cur, ctx.version, bh.BehaviourSpec.of(CATALOGUE, Filters()))

    def slider_change(chosen):
        # everything the page recomputes after a slider move: adoption from the cached summary, the money, the
        # projection, the sum in words and the three figures
        adoption = bh.adoption_table(summary, CATALOGUE, ctx.version)
        churn = bh.churn_by_behaviour(summary, CATALOGUE)
        items = whatif.levers(adoption, churn)
        base = float(adoption["customers_in_scope"].iloc[0])
        frame = whatif.breakdown(items, base, _targets(items, chosen), {}, whatif.ARTICLE_LIFETIME_VALUE)
        proj = whatif.projection(frame, 5, 3)
        whatif.formula_lines(frame, base)
        total = whatif.total_saving(frame)
        charts.waterfall(frame)
        charts.projection(proj, 3)
        return total

    def rescan(chosen):
        flags = reference.customer_flags(ctx.frames(), CATALOGUE, Filters())
        adoption = reference.adoption(flags)
        base = float(flags["in_scope"].sum())
        total = 0.0
        for b in CATALOGUE.behaviours:
            if b.key not in adoption:
                continue
            lever = whatif.Lever(b.key, b.name, adoption[b.key], b.best_in_class, b.saving)
            target = _targets((lever,), None)[b.key] if chosen is None else chosen.get(b.key, lever.current)
            total += base * max(target - lever.current, 0.0) * b.saving
        return total

    floor = floor_sql(ctx)
    return [
        Case(f"slider: {name}", lambda c=c: slider_change(c), lambda c=c: rescan(c), floor, reference.close)
        for name, c in TARGETS.items()
    ]
