"""The savings what-if: pure arithmetic on adoption figures already computed (no query, so a slider answers at once).

annual saving of a behaviour = customer base × (target adoption − current adoption) × saving per adopting
customer per year, to the whole currency unit (so the behaviours' lines shown add up to the total exactly); targets
below the current adoption count as the current adoption (no negative savings).
Worked example: 463,904 customers × (84 % − 16 %) × $11 = $3,470,001.92, so $3,470,002 a year; halfway (to 50 %)
$1,735,001.

retained customers of a behaviour = customer base × (target − current) × churn gap, where the churn gap is the
churn rate of customers without the behaviour minus that of customers with it, over the selected period;
retained revenue = retained customers × lifetime value. It is shown apart from the cost savings: the gap is an
association, not proof that moving a customer changes whether they stay.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from dashboard.formatting import NumberFormat

SETTING = "whatif.scenarios"
ARTICLE_LIFETIME_VALUE = 7000.0
"""The article's regular customer worth $7,000 over ten years: the stated assumption when the data have no purchases."""
PRESETS = {
    "current": "Current",
    "halfway": "Halfway",
    "best": "Best-in-class",
}
MAX_SCENARIOS = 50
ARTICLE_BASE = 463_904
"""The article's customer base: with e-billing moved from 16 % to its best-in-class 84 % at $11 a customer, $3.47M."""
ARTICLE_BEHAVIOUR = "e_billing"


@dataclass(frozen=True)
class Lever:
    """One behaviour in the what-if: its current adoption, best-in-class, saving per customer and churn gap."""

    key: str
    behaviour: str
    current: float
    best_in_class: float | None = None
    saving: float = 0.0
    churn_gap: float | None = None
    status: str = "measured"
    assumption: bool = False


def levers(adoption: pd.DataFrame, churn: pd.DataFrame | None = None) -> tuple[Lever, ...]:
    """The what-if's levers: every behaviour of the adoption table with a current adoption (measured or estimated)."""
    gaps = {} if churn is None or churn.empty else dict(zip(churn["key"], churn["churn_gap"], strict=True))
    out = []
    for row in adoption.itertuples(index=False):
        if row.current is None or pd.isna(row.current):
            continue
        gap = gaps.get(row.key)
        out.append(
            Lever(
                row.key,
                row.behaviour,
                float(row.current),
                None if row.best_in_class is None or pd.isna(row.best_in_class) else float(row.best_in_class),
                float(row.saving),
                None if gap is None or pd.isna(gap) else float(gap),
                row.status,
                bool(row.assumption),
            )
        )
    return tuple(out)


def preset_target(lever: Lever, preset: str) -> float:
    """Target adoption of a preset: current; halfway = current + (best-in-class − current) ÷ 2; best-in-class.

    A behaviour already at or above best-in-class (or without one) stays at its current adoption.
    """
    if preset not in PRESETS:
        raise ValueError(f"preset {preset!r} is not one of {', '.join(PRESETS)}")
    if preset == "current" or lever.best_in_class is None or lever.best_in_class <= lever.current:
        return lever.current
    if preset == "halfway":
        return lever.current + (lever.best_in_class - lever.current) / 2
    return lever.best_in_class


def article_targets(items: tuple[Lever, ...] | list[Lever]) -> dict[str, float] | None:
    """The article's worked example on these levers: e-billing at best-in-class, every other behaviour at today's
    adoption (None when there is no e-billing lever with a best-in-class to move to)."""
    if not any(lever.key == ARTICLE_BEHAVIOUR and lever.best_in_class is not None for lever in items):
        return None
    return {lever.key: preset_target(lever, "best" if lever.key == ARTICLE_BEHAVIOUR else "current") for lever in items}


def clip_target(lever: Lever, target: float | None) -> float:
    """target kept between the current adoption and 100 % (None = current)."""
    if target is None or not math.isfinite(target):
        return lever.current
    return min(max(float(target), lever.current), 1.0)


BREAKDOWN_COLUMNS = [
    "key",
    "behaviour",
    "current",
    "target",
    "change",
    "saving",
    "customers_moved",
    "annual_saving",
    "churn_gap",
    "retained_customers",
    "retained_revenue",
    "status",
    "assumption",
]


def whole(amount: float) -> float:
    """amount to the whole currency unit, halves away from zero ($1,735,000.50 → $1,735,001)."""
    return float(Decimal(repr(float(amount))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def breakdown(
    items: tuple[Lever, ...] | list[Lever],
    base: float,
    targets: Mapping[str, float | None],
    savings: Mapping[str, float] | None = None,
    lifetime_value: float | None = None,
) -> pd.DataFrame:
    """Per behaviour: change in adoption, customers moved = base × change, annual saving = customers moved × saving
    (to the whole currency unit), retained customers = customers moved × churn gap, retained revenue = retained
    customers × lifetime value.

    targets and savings are keyed by behaviour; a missing target means the current adoption, a missing saving the
    catalogue's. Rows in lever order.
    """
    savings = savings or {}
    rows = []
    for lever in items:
        target = clip_target(lever, targets.get(lever.key))
        change = target - lever.current
        saving = float(savings.get(lever.key, lever.saving))
        moved = float(base) * change
        retained = None if lever.churn_gap is None else moved * lever.churn_gap
        rows.append(
            {
                "key": lever.key,
                "behaviour": lever.behaviour,
                "current": lever.current,
                "target": target,
                "change": change,
                "saving": saving,
                "customers_moved": moved,
                "annual_saving": whole(moved * saving),
                "churn_gap": lever.churn_gap,
                "retained_customers": retained,
                "retained_revenue": None if retained is None or lifetime_value is None else retained * float(lifetime_value),
                "status": lever.status,
                "assumption": lever.assumption,
            }
        )
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


def total_saving(frame: pd.DataFrame) -> float:
    """Total annual savings: the sum of the behaviours' annual savings (each to the whole currency unit)."""
    return float(frame["annual_saving"].sum()) if len(frame) else 0.0


def total_retained(frame: pd.DataFrame) -> tuple[float | None, float | None]:
    """Retained customers and retained revenue summed over behaviours with a churn gap (None when none has one)."""
    known = frame[frame["retained_customers"].notna()] if len(frame) else frame
    if known.empty:
        return None, None
    revenue = known["retained_revenue"]
    return float(known["retained_customers"].sum()), (None if revenue.isna().all() else float(revenue.sum()))


def ramp_share(year: int, ramp_years: int) -> float:
    """Share of the change in adoption reached in a year (1 = first): rises in equal steps to 1 at year ramp_years."""
    if year < 1:
        raise ValueError("years count from 1")
    return 1.0 if ramp_years <= 1 else min(year / ramp_years, 1.0)


def projection(frame: pd.DataFrame, years: int = 5, ramp_years: int = 3) -> pd.DataFrame:
    """Savings per year and behaviour over years: annual saving × ramp share of that year; with the running total.

    One row per (year, behaviour) with year, key, behaviour, reached (ramp share), saving; and cumulative =
    all behaviours' savings up to and including that year.
    """
    if not 1 <= years <= 30 or not 0 <= ramp_years <= 30:
        raise ValueError("years must be 1 to 30 and ramp-up years 0 to 30")
    rows = []
    running = 0.0
    for year in range(1, years + 1):
        reached = ramp_share(year, ramp_years)
        year_total = 0.0
        for item in frame.itertuples(index=False):
            amount = float(item.annual_saving) * reached
            year_total += amount
            rows.append({"year": year, "key": item.key, "behaviour": item.behaviour, "reached": reached, "saving": amount})
        running += year_total
        for row in rows[len(rows) - len(frame) :]:
            row["cumulative"] = running
    return pd.DataFrame(rows, columns=["year", "key", "behaviour", "reached", "saving", "cumulative"])


def money_headline(value: float, number_format: NumberFormat = NumberFormat()) -> str:
    """Money for the headline: M or B with up to three decimals, K with up to two, trailing zeros dropped ($3.47M, $1.735M)."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    size = abs(value)
    for cut, suffix, decimals in ((1e9, "B", 3), (1e6, "M", 3)):
        if round(size / cut, decimals) >= 1:
            return f"{sign}{number_format.currency}{_trimmed(number_format, size / cut, decimals)}{suffix}"
    if size >= 1e4:
        return f"{sign}{number_format.currency}{_trimmed(number_format, size / 1e3, 2)}K"
    return f"{sign}{number_format.money(size, 0)}"


def _trimmed(number_format: NumberFormat, value: float, decimals: int) -> str:
    text = number_format.number(value, decimals)
    return text.rstrip("0").rstrip(number_format.decimal) if number_format.decimal in text else text


def money_full(value: float, number_format: NumberFormat = NumberFormat()) -> str:
    """Money to the whole unit with thousands separators ($3,470,002)."""
    return number_format.money(value, 0)


MAX_SHOWN_DECIMALS = 6
"""The most decimals a percentage in the formula line is shown with (enough for the shown terms to give the figure)."""


def _shown(value: float, decimals: int, least: int, fmt: NumberFormat) -> tuple[str, Decimal]:
    """value rounded to decimals, written with trailing zeros trimmed down to least decimals; with the value as shown."""
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    digits = decimals
    while digits > least and exact == exact.quantize(Decimal(1).scaleb(-(digits - 1)), rounding=ROUND_HALF_UP):
        digits -= 1
    return fmt.number(float(exact), digits), exact


def formula_terms(item: Any, base: float, fmt: NumberFormat = NumberFormat()) -> tuple[str, str, str, str]:
    """The customers, target %, today's % and saving of one behaviour's line, each shown with the fewest decimals (at
    least the usual ones) for which customers × (target − today) × saving, worked by hand, gives its annual saving to
    the whole currency unit."""
    for decimals in range(1, MAX_SHOWN_DECIMALS + 1):
        customers, base_shown = _shown(base, max(decimals - 1, 0), 0, fmt)
        target, target_shown = _shown(item.target * 100, decimals, 1, fmt)
        today, today_shown = _shown(item.current * 100, decimals, 1, fmt)
        saving, saving_shown = _shown(item.saving, decimals + 1, 2, fmt)
        by_hand = base_shown * (target_shown - today_shown) / 100 * saving_shown
        if by_hand.quantize(Decimal(1), rounding=ROUND_HALF_UP) == Decimal(repr(float(item.annual_saving))):
            break
    return customers, target, today, saving


def formula_lines(frame: pd.DataFrame, base: float, number_format: NumberFormat = NumberFormat()) -> list[str]:
    """The sum in words, one line per behaviour moved: customers × (target − today) × saving = annual saving, with
    each term shown precisely enough to give that saving by hand; then the lines added up to the total when several."""
    fmt = number_format
    lines = []
    amounts = []
    for item in frame.itertuples(index=False):
        if item.change <= 0:
            continue
        customers, target, today, saving = formula_terms(item, base, fmt)
        lines.append(
            f"{item.behaviour}: {customers} customers × ({target} % − {today} %) "
            f"× {fmt.currency}{saving} a customer = {money_full(item.annual_saving, fmt)} a year"
        )
        amounts.append(item.annual_saving)
    if len(amounts) > 1:
        lines.append(f"Total: {' + '.join(money_full(a, fmt) for a in amounts)} = {money_full(sum(amounts), fmt)} a year")
    return lines


# -- scenarios ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A saved what-if: its inputs and the adoption figures it was computed from, so it reads the same later."""

    name: str
    levers: tuple[Lever, ...]
    base: float
    targets: tuple[tuple[str, float], ...] = ()
    savings: tuple[tuple[str, float], ...] = ()
    years: int = 5
    ramp_years: int = 3
    lifetime_value: float | None = None
    include_retained: bool = True
    base_overridden: bool = False
    saved_at: str = ""
    context: str = field(default="", compare=False)
    """Dataset, version and filters it was saved with, in words."""

    def validate(self) -> Scenario:
        """Self with the name tidied; ValueError when a figure is out of range."""
        name = " ".join(str(self.name or "").split())
        if not name or len(name) > 60:
            raise ValueError("a scenario name is 1 to 60 characters")
        if not (math.isfinite(self.base) and 0 <= self.base <= 1e10):
            raise ValueError("the customer base must be between 0 and 10,000,000,000")
        if not 1 <= int(self.years) <= 30 or not 0 <= int(self.ramp_years) <= 30:
            raise ValueError("years must be 1 to 30 and ramp-up years 0 to 30")
        if self.lifetime_value is not None and not (math.isfinite(self.lifetime_value) and self.lifetime_value >= 0):
            raise ValueError("the lifetime value must be a positive number")
        return replace(self, name=name)

    def frame(self) -> pd.DataFrame:
        """The scenario's per-behaviour breakdown."""
        return breakdown(self.levers, self.base, dict(self.targets), dict(self.savings), self.lifetime_value)

    def to_json(self) -> dict[str, Any]:
        """The scenario as a JSON-ready dict (the stored form)."""
        data = asdict(self)
        data["levers"] = [asdict(lever) for lever in self.levers]
        data["targets"] = dict(self.targets)
        data["savings"] = dict(self.savings)
        return data


def scenario_from_json(data: Mapping[str, Any]) -> Scenario:
    """A Scenario from its stored dict; ValueError when it is malformed."""
    try:
        lever_fields = set(Lever.__dataclass_fields__)
        items = tuple(Lever(**{k: v for k, v in lever.items() if k in lever_fields}) for lever in data["levers"])
        known = {k: data[k] for k in Scenario.__dataclass_fields__ if k in data and k not in ("levers", "targets", "savings")}
        return Scenario(
            levers=items,
            targets=tuple((str(k), float(v)) for k, v in dict(data.get("targets", {})).items()),
            savings=tuple((str(k), float(v)) for k, v in dict(data.get("savings", {})).items()),
            **known,
        ).validate()
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"a saved scenario could not be read: {exc}") from None


def load_scenarios(store: Any, dataset: str) -> list[Scenario]:
    """The dataset's saved scenarios in the order saved (unreadable entries skipped)."""
    out = []
    for data in store.get_setting(dataset, SETTING, []) or []:
        try:
            out.append(scenario_from_json(data))
        except ValueError:
            continue
    return out


def save_scenario(store: Any, dataset: str, scenario: Scenario) -> list[Scenario]:
    """Store scenario under its name (replacing one of the same name); return the scenarios after saving."""
    scenario = replace(scenario.validate(), saved_at=scenario.saved_at or datetime.now().isoformat(timespec="seconds"))
    kept = [s for s in load_scenarios(store, dataset) if s.name.lower() != scenario.name.lower()]
    if len(kept) >= MAX_SCENARIOS:
        raise ValueError(f"at most {MAX_SCENARIOS} scenarios per dataset: delete one first")
    scenarios = [*kept, scenario]
    store.set_setting(dataset, SETTING, [s.to_json() for s in scenarios])
    return scenarios


def delete_scenario(store: Any, dataset: str, name: str) -> list[Scenario]:
    """Remove the scenario called name; return the scenarios left."""
    scenarios = [s for s in load_scenarios(store, dataset) if s.name != name]
    store.set_setting(dataset, SETTING, [s.to_json() for s in scenarios])
    return scenarios


def scenario_table(scenario: Scenario) -> pd.DataFrame:
    """A scenario as an export table: one row per behaviour plus a total row, with its inputs in plain columns."""
    frame = scenario.frame()
    out = pd.DataFrame(
        {
            "scenario": scenario.name,
            "behaviour": frame["behaviour"],
            "current adoption %": frame["current"] * 100,
            "target adoption %": frame["target"] * 100,
            "customer base": scenario.base,
            "customers moved": frame["customers_moved"],
            "saving per customer per year": frame["saving"],
            "annual saving": frame["annual_saving"],
            "churn gap (points)": frame["churn_gap"] * 100,
            "retained customers": frame["retained_customers"],
            "retained revenue": frame["retained_revenue"],
        }
    )
    customers, revenue = total_retained(frame)
    total = {
        "scenario": scenario.name,
        "behaviour": "Total",
        "customer base": scenario.base,
        "customers moved": frame["customers_moved"].sum(),
        "annual saving": total_saving(frame),
        "retained customers": customers,
        "retained revenue": revenue,
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out[f"savings over {scenario.years} years"] = None
    out.loc[out.index[-1], f"savings over {scenario.years} years"] = projection(frame, scenario.years, scenario.ramp_years)[
        "cumulative"
    ].max()
    return out


def compare(scenarios: list[Scenario]) -> pd.DataFrame:
    """Scenarios side by side: one row per figure (each behaviour's target and saving, totals), one column each."""
    if not scenarios:
        return pd.DataFrame(columns=["figure"])
    keys: list[tuple[str, str]] = []
    for scenario in scenarios:
        for lever in scenario.levers:
            if (lever.key, lever.behaviour) not in keys:
                keys.append((lever.key, lever.behaviour))
    rows: dict[str, dict[str, float | None]] = {}
    order = ["Customer base"]
    for _key, name in keys:
        order += [f"{name}: target adoption %", f"{name}: annual saving"]
    order += ["Total annual savings", "Savings over the projection", "Years projected", "Retained revenue"]
    for row in order:
        rows[row] = {}
    for scenario in scenarios:
        frame = scenario.frame().set_index("key")
        rows["Customer base"][scenario.name] = scenario.base
        for key, name in keys:
            present = key in frame.index
            rows[f"{name}: target adoption %"][scenario.name] = frame.at[key, "target"] * 100 if present else None
            rows[f"{name}: annual saving"][scenario.name] = frame.at[key, "annual_saving"] if present else None
        rows["Total annual savings"][scenario.name] = total_saving(frame)
        proj = projection(frame.reset_index(), scenario.years, scenario.ramp_years)
        rows["Savings over the projection"][scenario.name] = float(proj["cumulative"].max()) if len(proj) else 0.0
        rows["Years projected"][scenario.name] = scenario.years
        rows["Retained revenue"][scenario.name] = total_retained(frame)[1] if scenario.include_retained else None
    out = pd.DataFrame.from_dict(rows, orient="index")[[s.name for s in scenarios]]
    return out.rename_axis("figure").reset_index()
