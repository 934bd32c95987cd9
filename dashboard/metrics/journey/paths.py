"""Journey paths: a step-indexed Sankey of each customer's first N touchpoints and the top journey variants.

A customer's path is their first N touchpoints in the period: it starts at their first touchpoint in the
first month of the range (or their first touchpoint at all) and stops at the period's end, so a customer
with fewer touchpoints has a shorter path. Touchpoints are ordered by timestamp, ties by row number in the
published file. Nodes are step-indexed ("phone #1 → ivr #2 → phone #3"), so loops and repeat contacts show.
Every ribbon counts customers: each customer is in exactly one node per step they reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from dashboard.metrics.journey.lanes import paths_scope
from dashboard.metrics.journey.prepare import MAX_STEPS
from dashboard.metrics.scope import Filters
from dashboard.sql import Sql, group_by_all, join, lit, sql
from dashboard.store import Version

NODE_KINDS: dict[str, str] = {"stage": "Stage", "channel": "Channel", "both": "Stage and channel"}
OTHER = -1
OTHER_LABEL = "Other"
_BOTH = 1000
"""A stage-and-channel node's code: stage code × 1000 + channel code."""


@dataclass(frozen=True)
class PathSpec:
    """Filters, how many touchpoints per customer (2-10), what a node is, and how many links per step to keep."""

    filters: Filters = Filters()
    steps: int = 5
    nodes: str = "stage"
    top_links: int = 8

    def validate(self) -> PathSpec:
        """Self with validated filters; ValueError when steps, nodes or top_links are out of range."""
        if not 2 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 2 to {MAX_STEPS}")
        if self.nodes not in NODE_KINDS:
            raise ValueError(f"nodes must be one of {', '.join(NODE_KINDS)}")
        if not 1 <= self.top_links <= 50:
            raise ValueError("top links per step must be from 1 to 50")
        return PathSpec(self.filters.validate(), self.steps, self.nodes, self.top_links)


@dataclass(frozen=True)
class VariantSpec:
    """Filters, steps and node kind as in the Sankey, and how many variants to list."""

    filters: Filters = Filters()
    steps: int = 5
    nodes: str = "stage"
    limit: int = 20

    def validate(self) -> VariantSpec:
        """Self with validated filters; ValueError when steps, nodes or limit are out of range."""
        PathSpec(self.filters, self.steps, self.nodes).validate()
        if not 1 <= self.limit <= 500:
            raise ValueError("the number of variants must be from 1 to 500")
        return VariantSpec(self.filters.validate(), self.steps, self.nodes, self.limit)


def code_columns(filters: Filters, steps: int, nodes: str) -> Sql:
    """SQL select list x1..x<steps> on jr_paths: each step's node code (0 = no touchpoint in the period), with params."""
    exprs = []
    for k in range(1, steps + 1):
        if nodes == "stage":
            code = Sql(f"s{k}")
        elif nodes == "channel":
            code = Sql(f"c{k}")
        else:
            code = Sql(f"(s{k} * {_BOTH} + c{k})")
        if k > 1 and filters.month_to:
            code = sql(f"case when m{k} <= {{}} then {{}} else 0 end", lit(filters.month_to), code)
        exprs.append(sql(f"cast({{}} as integer) as x{k}", code))
    return join(exprs)


def _scoped_paths(version: Version, filters: Filters, steps: int, nodes: str, extra: str = "") -> Sql:
    """Select of x1..x<steps> (plus extra columns) for every customer in scope, one row each."""
    return sql(
        f"select {{}}{', ' + extra if extra else ''} from {version.table('jr_paths')} where {{}}",
        code_columns(filters, steps, nodes),
        paths_scope(filters),
    )


def node_labels(cur: duckdb.DuckDBPyConnection, version: Version, nodes: str) -> dict[int, str]:
    """Node code -> label for a node kind ("billing", "phone", "billing · phone"); Other included."""
    frame = cur.execute(f"select kind, code, label from {version.table('jr_labels')}").df()
    stages = dict(zip(frame.loc[frame["kind"] == "stage", "code"], frame.loc[frame["kind"] == "stage", "label"], strict=True))
    channels = dict(
        zip(frame.loc[frame["kind"] == "channel", "code"], frame.loc[frame["kind"] == "channel", "label"], strict=True)
    )
    if nodes == "stage":
        out = {int(k): v for k, v in stages.items()}
    elif nodes == "channel":
        out = {int(k): v for k, v in channels.items()}
    else:
        out = {int(s) * _BOTH + int(c): f"{sl} · {cl}" for s, sl in stages.items() for c, cl in channels.items()}
    out[OTHER] = OTHER_LABEL
    return out


def fold_paths(codes: np.ndarray, weights: np.ndarray | None, top_links: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step-indexed nodes and links from paths (rows of node codes, 0 = ended), keeping the top links per step.

    Step 1 keeps its top_links biggest nodes; the rest become Other. At each next step, the links from the
    (already folded) node at step i to the raw node at step i+1 are ranked by customers (ties by codes) and
    the top_links kept; customers on any other link go to Other at step i+1 and continue from there. Each
    customer is therefore in exactly one node per step reached, and flows are conserved.
    weights: customers per row (None = one each). Returns nodes (step, code, customers) and links
    (step, source, target, customers), step = the source's step.
    """
    rows, steps = codes.shape
    if rows == 0:
        return (
            pd.DataFrame({"step": [], "code": [], "customers": []}, dtype="int64"),
            pd.DataFrame({"step": [], "source": [], "target": [], "customers": []}, dtype="int64"),
        )
    columns, decode = _dense_columns(codes)
    size = len(decode)  # 0 = ended, 1..L = labels, L+1 = Other
    other = size - 1

    def count(keys: np.ndarray, minlength: int, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is not None:
            keys = keys[mask]
        if weights is None:
            return np.bincount(keys, minlength=minlength)
        return np.bincount(keys, weights if mask is None else weights[mask], minlength).astype(np.int64)

    totals = count(columns[0], size).astype(np.int64)
    totals[0] = 0
    keep = np.zeros(size, dtype=bool)
    keep[_top(totals, top_links)] = True
    keep[0] = True
    current = np.where(keep[columns[0]], columns[0], other).astype(np.int32)
    node_frames = [_nodes(1, count(current, size), decode)]
    link_frames = []
    for i in range(1, steps):
        nxt = columns[i]
        alive = nxt > 0  # a path only continues while it has touchpoints
        pair = current * size + nxt
        kept = np.zeros(size * size, dtype=bool)
        kept[_top(count(pair, size * size, alive), top_links)] = True
        mapped = np.where(alive, np.where(kept[pair], nxt, other), 0).astype(np.int32)
        link_counts = count(current * size + mapped, size * size, alive)
        found = np.flatnonzero(link_counts)
        link_frames.append(
            pd.DataFrame(
                {
                    "step": i,
                    "source": decode[found // size],
                    "target": decode[found % size],
                    "customers": link_counts[found].astype(np.int64),
                }
            )
        )
        current = mapped
        node_frames.append(_nodes(i + 1, count(current, size), decode))
    nodes = pd.concat(node_frames, ignore_index=True)
    links = pd.concat(link_frames, ignore_index=True) if link_frames else pd.DataFrame()
    return nodes, links.sort_values(["step", "customers", "source", "target"], ascending=[True, False, True, True])


def _dense_columns(codes: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each step's column of node codes numbered densely (0 = ended, 1..L = the codes in use, ascending; contiguous)
    and the decoding of those numbers back to codes, with L + 1 decoding to Other."""
    present = np.bincount(np.maximum(codes, 0).ravel())
    present[0] = 0
    distinct = np.flatnonzero(present)  # the real codes in use, ascending
    lookup = np.zeros(len(present), dtype=np.int32)
    lookup[distinct] = np.arange(1, len(distinct) + 1, dtype=np.int32)
    columns = [lookup[np.maximum(codes[:, k], 0)] for k in range(codes.shape[1])]
    return columns, np.concatenate(([0], distinct, [OTHER]))


def _top(counts: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k largest positive counts, ties broken by the smaller index."""
    positive = np.flatnonzero(counts > 0)
    order = np.lexsort((positive, -counts[positive]))
    return positive[order[:k]]


def _nodes(step: int, counts: np.ndarray, decode: np.ndarray) -> pd.DataFrame:
    present = np.flatnonzero(counts)
    present = present[present > 0]
    return pd.DataFrame({"step": step, "code": decode[present], "customers": counts[present].astype(np.int64)})


def sankey(cur: duckdb.DuckDBPyConnection, version: Version, spec: PathSpec) -> pd.DataFrame:
    """Links of the step-indexed Sankey: step, source and target labels and codes, customers on the link.

    Customers in scope: the segments and regions chosen, with a touchpoint in the period. A link at step i
    counts the customers whose i-th touchpoint is the source node and (i+1)-th the target node, after folding
    all but the top links per step into Other (see fold_paths). Also returns one row per node with
    target = None (node rows: step, source = node, customers).
    """
    spec = spec.validate()
    xs = ", ".join(f"x{k}" for k in range(1, spec.steps + 1))
    # identical paths folded into one weighted row first: a few thousand rows instead of a million for most settings
    query = sql(
        f"select {xs}, count(*) as customers from ({{}}) {{}}",
        _scoped_paths(version, spec.filters, spec.steps, spec.nodes),
        group_by_all(),
    )
    arrays = cur.execute(*query).fetchnumpy()
    codes = np.column_stack([np.asarray(arrays[f"x{k}"], dtype=np.int32) for k in range(1, spec.steps + 1)])
    codes = codes.reshape(len(arrays["customers"]), spec.steps)
    nodes, links = fold_paths(codes, np.asarray(arrays["customers"], dtype=np.int64), spec.top_links)
    names = node_labels(cur, version, spec.nodes)
    node_rows = pd.DataFrame(
        {
            "kind": "node",
            "step": nodes["step"],
            "source_code": nodes["code"],
            "source": nodes["code"].map(names),
            "target_code": None,
            "target": None,
            "customers": nodes["customers"],
        }
    )
    link_rows = pd.DataFrame(
        {
            "kind": "link",
            "step": links.get("step", pd.Series(dtype="int64")),
            "source_code": links.get("source", pd.Series(dtype="int64")),
            "source": links.get("source", pd.Series(dtype="int64")).map(names),
            "target_code": links.get("target", pd.Series(dtype="int64")),
            "target": links.get("target", pd.Series(dtype="int64")).map(names),
            "customers": links.get("customers", pd.Series(dtype="int64")),
        }
    )
    return pd.concat([node_rows, link_rows], ignore_index=True)


def _duration_sql(steps: int) -> str:
    """Hours from a path's first touchpoint to its last one within the first `steps` (0 for a one-touchpoint path)."""
    parts = [f"case when x{k} <> 0 then h{k} end" for k in range(steps, 1, -1)]
    return f"coalesce({', '.join(parts)}, 0)" if parts else "0"


def variants(cur: duckdb.DuckDBPyConnection, version: Version, spec: VariantSpec) -> pd.DataFrame:
    """Top journey variants (the sequence of a customer's first N touchpoints' nodes): customers, share, median duration, churn.

    share = customers with the variant ÷ customers in scope; median_days = median days from the first to the
    last touchpoint of the variant; churn_rate = share of those customers who defected (churned flag or date).
    """
    spec = spec.validate()
    steps = spec.steps
    xs = ", ".join(f"x{k}" for k in range(1, steps + 1))
    hs = ", ".join(f"h{k}" for k in range(2, steps + 1))
    query = sql(
        f"""
        with p as (
            select {xs}, {_duration_sql(steps)} as hours, churned
            from (select {{codes}}, {hs}, churned from {version.table("jr_paths")} where {{where}})
        ),
        top as (
            select {xs}, count(*) as customers from p {{group_by}} order by customers desc, {xs} limit {{limit}}
        )
        select {", ".join(f"top.x{k}" for k in range(1, steps + 1))}, top.customers,
               top.customers / (select count(*) from p) as share,
               median(p.hours) / 24 as median_days,
               avg(cast(p.churned as double)) as churn_rate
        from top join p using ({xs})
        {{group_by}}
        order by top.customers desc, {", ".join(f"top.x{k}" for k in range(1, steps + 1))}
        """,
        codes=code_columns(spec.filters, steps, spec.nodes),
        where=paths_scope(spec.filters),
        group_by=group_by_all(),
        limit=lit(spec.limit),
    )
    frame = cur.execute(*query).df()
    names = node_labels(cur, version, spec.nodes)
    code_cols = [f"x{k}" for k in range(1, steps + 1)]
    frame["variant"] = [
        " → ".join(names.get(int(c), "?") for c in row if int(c) != 0) for row in frame[code_cols].itertuples(index=False)
    ]
    frame["touchpoints"] = (frame[code_cols] != 0).sum(axis=1)
    frame["codes"] = ["-".join(str(int(c)) for c in row) for row in frame[code_cols].itertuples(index=False)]
    return frame[["variant", "codes", "touchpoints", "customers", "share", "median_days", "churn_rate"]]


def variant_codes(codes: str, steps: int) -> tuple[int, ...]:
    """The node codes of a variant key ("5-6-6-0-0"), padded with 0 to steps; ValueError when malformed."""
    parts = tuple(int(p) for p in codes.split("-")) if codes else ()
    if not parts or len(parts) > steps:
        raise ValueError(f"variant {codes!r} does not fit {steps} steps")
    return parts + (0,) * (steps - len(parts))
