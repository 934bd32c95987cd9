"""A dataset with hostile text in every text column: Markdown images and links, HTML and Plotly tags, a formula.

A slice of the bundled sample (so every chart has enough behind it), each distinct text value wrapped in one of the
HOSTILE patterns; typed text (stage names, behaviour names, a scenario, story notes) is made hostile the same way.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from dashboard import config, sample
from dashboard.metrics import whatif
from dashboard.metrics.behaviours import catalogue as behaviour_catalogue
from dashboard.metrics.funnel import stages
from dashboard.store import Store

DATASET = "hostile (evil)"
EVIL = "evil.example"
HOSTILE = (
    '<a href="https://evil.example/login">Session expired, click to log in</a> {v}',
    '<span style="font-size:80px">{v}</span>',
    "![](https://evil.example/pixel.png){v}",
    "[{v}](https://evil.example/link)",
    '<img src="https://evil.example/img.png">{v}',
    "<b>Evil</b> {v} <i>Evil</i>",
    '=HYPERLINK("https://evil.example","{v}")',
    "{v} :red[alarm] $x^2$ **bold** <script>alert(1)</script>",
    "{v} https://evil.example/bare www.evil.example",
)
HOSTILE_CSV = (
    'customer_id,segment,region,"![](https://evil.example/h.png)",<b>Evil</b>\n'
    '"![](https://evil.example/a.png)","<a href=""https://evil.example/login"">Session expired</a>",'
    '[r](https://evil.example/r),"<img src=""https://evil.example/i.png"">","<span style=""font-size:80px"">big</span>"\n'
    'C2,"=HYPERLINK(""https://evil.example"",""x"")",North,yes,"<script>alert(1)</script>"\n'
)
"""A customers file with hostile headers and values, for the Data page's upload."""
ORDINARY = {"chat": "Phone & Chat"}
"""Ordinary text with a markup character, which must still read right on screen."""

# Raw markup from the data, wherever it is drawn (HTML, Plotly text, JSON inside a report's script).
LIVE_TAG = re.compile(r"<(a|img|span)\b[^<>]*(evil\.example|font-size:80px)|<script>alert|<[bi]>Evil", re.IGNORECASE)
# Markdown that would become an image or a link, once the escaped characters are taken out.
LIVE_MARKDOWN = re.compile(r"!\[|\]\(|<(a|img|span|script|b|i)\b", re.IGNORECASE)
# A bare address that Markdown would link by itself (GFM autolinks), in the text as read (escapes taken as read).
LIVE_AUTOLINK = re.compile(r"https?://|www\.|[\w.+-]@[\w-]", re.IGNORECASE)


def hostile(value: str, i: int) -> str:
    """value wrapped in the i-th hostile pattern (cycling)."""
    return HOSTILE[i % len(HOSTILE)].format(v=value)


def _wrap(column: pd.Series, keep: tuple[str, ...] = ()) -> pd.Series:
    values = [v for v in pd.unique(column.dropna()) if v not in keep]
    mapping = {v: ORDINARY.get(v) or hostile(v, i) for i, v in enumerate(sorted(values))}
    return column.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)


def hostile_tables(customers: int = 1500) -> dict[str, pd.DataFrame]:
    """The first customers of the sample with every text column hostile (journey stage 'complaint' kept, so the
    complaint sections have data; initiated_by kept, it is a vocabulary of two)."""
    tables = {name: table.to_pandas() for name, table in sample.read(config.SAMPLE_DIR).items()}
    ids = set(tables["customers"]["customer_id"].iloc[:customers])
    tables = {name: frame[frame["customer_id"].isin(ids)].reset_index(drop=True) for name, frame in tables.items()}
    id_map = {cid: (f"<b>Evil</b>{cid}" if i % 3 == 0 else cid) for i, cid in enumerate(sorted(ids))}
    for frame in tables.values():
        frame["customer_id"] = frame["customer_id"].map(id_map)
    c, t, x = tables["customers"], tables["transactions"], tables["interactions"]
    for column in ("segment", "region", "churn_reason"):
        c[column] = _wrap(c[column])
    for column in ("product", "channel"):
        t[column] = _wrap(t[column])
    x["channel"] = _wrap(x["channel"])
    x["stage"] = _wrap(x["stage"], keep=("complaint",))
    x["reason"] = _wrap(x["reason"])
    return tables


def publish_hostile(store: Store) -> None:
    """Publish the hostile dataset and give it hostile stage names, behaviour names, a scenario and story notes."""
    store.publish(DATASET, hostile_tables(), note='<img src="https://evil.example/note.png">')
    store.set_setting(DATASET, "satisfaction_scale", "CSAT 1-5")
    model = stages.load_model(store, DATASET)
    names = ['<a href="//evil.example">Lead</a>', "![](//evil.example/s)", '<span style="font-size:80px">L</span>']
    renamed = tuple((role, names[i] if i < len(names) else name) for i, (role, name) in enumerate(model.stages))
    stages.save_model(store, DATASET, stages.StageModel(renamed, model.rules, model.source))
    catalogue = behaviour_catalogue.load_catalogue(store, DATASET)
    behaviours = tuple(replace(b, name=hostile(b.name, i)[:80]) for i, b in enumerate(catalogue.behaviours))
    behaviour_catalogue.save_catalogue(store, DATASET, replace(catalogue, behaviours=behaviours))
    whatif.save_scenario(store, DATASET, whatif.Scenario(name='<a href="https://evil.example/s">Plan</a>', levers=(), base=100))
    for step in ("where_we_stand", "journey", "decisions"):
        store.set_setting(DATASET, f"story.notes.{step}", "![](https://evil.example/n.png) <a href='https://evil.example'>x</a>")
