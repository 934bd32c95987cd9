"""What defines a defected customer and how a customer is valued: the specs the Defection figures take.

`Definition` (the rules and their parameters) and `Valuation` (the lifetime-value method) are chosen on the
page and stored per dataset (settings defection.definition and defection.valuation); `DefectionSpec` bundles
them with the shared filters and the per-customer stage and behaviour sources, and is the cache key of every
defection query.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from dashboard.metrics import money
from dashboard.metrics.defection.prepare import HORIZON_YEARS, WINDOW_MONTHS
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql
from dashboard.store import Version

RULES: tuple[tuple[str, str], ...] = (
    ("contract", "Contract ended"),
    ("lapse", "No purchase for N days"),
    ("drop", "Own-baseline drop"),
    ("alive", "Low probability alive"),
    ("complaint", "Badly handled complaint"),
)
RULE_LABELS = dict(RULES)
WARNING_ORDER = ("complaint", "lapse", "drop", "alive")
"""The main reason of an at-risk customer: a cause (complaint) before the symptoms, in this order."""
MIN_BASELINE_PURCHASES = 2
"""Fewest purchases in the baseline window for the own-baseline rule to judge a customer."""
DAYS_PER_MONTH = 365.25 / 12
FOLLOW_UP_DAYS = 365
"""The chance that a customer with a badly handled complaint leaves is observed over this many days after it."""
FOLLOW_UP_MONTHS = 12
"""The own-baseline drop is judged this many months before the as-of day to observe who of those it flagged left."""
MIN_FOLLOW_UP_CUSTOMERS = 30
"""Fewest complainers with a full year of follow-up for the observed chance to be used (else 100 % is assumed)."""
SILENT_PER_COMPLAINT = 26.0
"""For every customer who complains, this many say nothing (Lee Resources International); an editable assumption."""
NO_REASON = "(no reason given)"
LIST_LIMIT = 200
"""Rows of the at-risk list shown on screen; the download holds every row."""


# -- the definition and the valuation, chosen on the page and stored per dataset ---------------


@dataclass(frozen=True)
class Definition:
    """Which rules define a defected or at-risk customer, and their parameters. Defected (by churn label or by a purchase
    lapse) and the staged at-risk come from stg_customers, whose windows are the dataset's staged definitions; contract
    and lapse choose which of the staged reasons for defecting count; drop, alive and complaint add early warnings."""

    contract: bool = True
    lapse: bool = True
    drop: bool = True
    drop_pct: float = 50.0
    recent_months: int = 3
    baseline_months: int = 12
    alive: bool = True
    alive_pct: float = 50.0
    complaint: bool = True
    complaint_days: int = 90
    sla_days: float = 5.0

    def validate(self) -> Definition:
        """Self when every parameter is in range; ValueError saying which one is not."""
        checks = (
            (1 <= self.drop_pct <= 99, "the own-baseline threshold must be between 1 % and 99 %"),
            (1 <= self.recent_months <= 12, "the recent window must be 1 to 12 months"),
            (1 <= self.baseline_months <= 24, "the baseline must be 1 to 24 months"),
            (self.recent_months + self.baseline_months <= WINDOW_MONTHS, "recent window + baseline must be at most 36 months"),
            (1 <= self.alive_pct <= 99, "the probability-alive threshold must be between 1 % and 99 %"),
            (1 <= self.complaint_days <= 730, "the complaint window must be 1 to 730 days"),
            (0 <= self.sla_days <= 365, "the complaint resolution target must be 0 to 365 days"),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self

    @property
    def rules(self) -> tuple[str, ...]:
        """Keys of the rules switched on, in RULES order."""
        return tuple(key for key, _ in RULES if getattr(self, key))

    def to_setting(self) -> dict:
        """The definition as a JSON-ready dict (stored as the dataset setting defection.definition)."""
        return asdict(self)

    @classmethod
    def from_setting(cls, value: object, default: Definition | None = None) -> Definition:
        """A Definition from a stored dict (unknown keys ignored); default when the value is missing or invalid."""
        base = default or cls()
        if not isinstance(value, dict):
            return base
        known = {f.name: f.type for f in fields(cls)}
        try:
            kwargs = {}
            for key, raw in value.items():
                if key in known:
                    current = getattr(base, key)
                    kwargs[key] = type(current)(raw) if not isinstance(current, bool) else bool(raw)
            return replace(base, **kwargs).validate()
        except (TypeError, ValueError):
            return base

    def describe(self) -> str:
        """The definition in words, for captions and exports."""
        parts = []
        if self.contract:
            parts.append("their contract ended (churned flag or churn date)")
        if self.lapse:
            parts.append("no purchase for longer than the dataset's lapse window")
        if self.drop:
            parts.append(
                f"purchases in the last {self.recent_months} months below {self.drop_pct:g} % of their own rate "
                f"in the {self.baseline_months} months before"
            )
        if self.alive:
            parts.append(f"BG/NBD probability alive below {self.alive_pct:g} %")
        if self.complaint:
            parts.append(
                f"a complaint in the last {self.complaint_days} days that broke its own promise (its due date or "
                f"on-time flag) or, without one, was resolved after more than {self.sla_days:g} days; unresolved or repeated"
            )
        parts.append("at risk as staged (see the definitions above)")
        return "; or ".join(parts)


METHODS = ("simple", "bgnbd", "sbg")
METHOD_LABELS = {
    "simple": "Simple: annual margin × years",
    "bgnbd": "Probabilistic: BG/NBD + Gamma-Gamma",
    "sbg": "Contract: shifted-beta-geometric retention",
}
METHOD_NEEDS = {"bgnbd": "bgnbd", "sbg": "sbg"}
"""The availability key (defection.availability) each method beyond the simple one needs."""


def methods_available(available: dict[str, bool]) -> list[str]:
    """The lifetime-value methods the data supports, in METHODS order: simple always; BG/NBD with a purchase-model fit;
    sBG with a contract fit (churn labels and tenures, see calibration.contract_model)."""
    return [m for m in METHODS if m not in METHOD_NEEDS or bool(available.get(METHOD_NEEDS[m], False))]


@dataclass(frozen=True)
class Valuation:
    """How a customer's lifetime value is computed: the method, margin, years or horizon, and discount rate.

    The page fills margin_pct from the dataset's one margin (money.load_margin) and years from the data
    (money.expected_lifetime) unless the analyst saved their own; the defaults here are those of money.
    """

    method: str = "simple"
    margin_pct: float = money.DEFAULT_MARGIN * 100
    years: float = money.DEFAULT_YEARS
    discount_pct: float = 10.0
    horizon_years: int = 10

    def validate(self) -> Valuation:
        """Self when every parameter is in range; ValueError otherwise."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        if not 0 < self.margin_pct <= 100:
            raise ValueError("the margin must be above 0 % and at most 100 % of revenue")
        if not 0 < self.years <= money.MAX_YEARS:
            raise ValueError(f"expected years must be above 0 and at most {money.MAX_YEARS:g}")
        if not 0 <= self.discount_pct <= 50:
            raise ValueError("the discount rate must be between 0 % and 50 %")
        if not 1 <= self.horizon_years <= HORIZON_YEARS:
            raise ValueError(f"the horizon must be 1 to {HORIZON_YEARS} years")
        return self

    @property
    def margin(self) -> float:
        """Margin as a share of revenue."""
        return self.margin_pct / 100

    @property
    def expected_years(self) -> float:
        """Years of margin a retained customer is expected to bring: the years (simple) or the horizon (BG/NBD, sBG)."""
        return float(self.years if self.method == "simple" else self.horizon_years)

    @property
    def discount(self) -> float:
        """Discount rate as a share."""
        return self.discount_pct / 100

    def to_setting(self) -> dict:
        """The valuation as a JSON-ready dict (stored as the dataset setting defection.valuation)."""
        return asdict(self)

    @classmethod
    def from_setting(cls, value: object, default: Valuation | None = None) -> Valuation:
        """A Valuation from a stored dict (unknown keys ignored); default when missing or invalid."""
        base = default or cls()
        if not isinstance(value, dict):
            return base
        try:
            kwargs = {}
            for key, raw in value.items():
                if hasattr(base, key):
                    kwargs[key] = type(getattr(base, key))(raw)
            return replace(base, **kwargs).validate()
        except (TypeError, ValueError):
            return base

    def describe(self) -> str:
        """The valuation in words."""
        if self.method == "simple":
            return (
                f"annual spend × {self.margin_pct:g} % margin × {self.years:g} years, "
                f"discounted at {self.discount_pct:g} % a year"
            )
        if self.method == "sbg":
            return (
                f"annual spend × {self.margin_pct:g} % margin × the contract renewals still expected over "
                f"{self.horizon_years} years (shifted-beta-geometric retention from the customer's tenure), discounted at "
                f"{self.discount_pct:g} % a year"
            )
        return (
            f"BG/NBD expected purchases over {self.horizon_years} years × Gamma-Gamma spend × {self.margin_pct:g} % margin, "
            f"discounted at {self.discount_pct:g} % a year"
        )


@dataclass(frozen=True)
class SubQuery:
    """A per-customer subquery (an Sql block: text with its parameters), injected into the defection queries.

    inline names a df_customers column that already holds the value: the queries then read it directly
    instead of joining the subquery (the fallbacks below do this; a real builder leaves it None). key is the column
    the subquery is joined on: customer_id, or df_customers' integer customer_key (faster).
    """

    query: Sql
    inline: str | None = None
    key: str = "customer_id"


@dataclass(frozen=True)
class DefectionSpec:
    """Everything a defection figure depends on: filters, definition, valuation and the stage and behaviour sources.

    stage_source selects (customer_id, stage); behaviour_source selects (customer_id, behaviours) with behaviours
    the number of perfect-customer behaviours a customer shows. None: that breakdown is not available.
    """

    filters: Filters = Filters()
    definition: Definition = Definition()
    valuation: Valuation = Valuation()
    stage_source: SubQuery | None = None
    behaviour_source: SubQuery | None = None
    complaint_chance: float | None = None
    """P(defect) of a customer flagged only by the complaint rule; None: observed by complaint_follow_up."""
    drop_chance: float | None = None
    """P(defect) of a customer flagged by the own-baseline drop without a BG/NBD probability alive; None: observed by
    drop_follow_up."""

    def validate(self) -> DefectionSpec:
        """Self with filters normalised; ValueError when a part is out of range."""
        return replace(
            self, filters=self.filters.validate(), definition=self.definition.validate(), valuation=self.valuation.validate()
        )


def fallback_stage_source(version: Version) -> SubQuery | None:
    """Stage per customer from the customers' own `stage` column (None when the files have none)."""
    if not version.has("customers", "stage"):
        return None
    return SubQuery(Sql(f"select customer_id, stage from {version.table('df_customers')}"), inline="stage")


def fallback_behaviour_source(version: Version) -> SubQuery | None:
    """Number of perfect-customer behaviours per customer: the count of true b_ flag columns (None without any)."""
    if not version.behaviours:
        return None
    return SubQuery(Sql(f"select customer_id, behaviours from {version.table('df_customers')}"), inline="behaviours")
