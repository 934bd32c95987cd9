"""One home per concept: prospect, defected, lapse, contact, repeat and resolved are defined in dashboard/staged/ and
nowhere else. A view that derives one of them again (in SQL or pandas) fails here; read stg_customers / stg_contacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOME = "dashboard/staged/"
SCANNED = ("dashboard/metrics/", "dashboard/ui/", "dashboard/charts/", "dashboard/story.py", "dashboard/report.py")

RULES: dict[str, tuple[re.Pattern, str]] = {
    "prospect": (re.compile(r"=\s*'prospect'"), "coalesce(lower(c.stage) = 'prospect', false) or tx.customer_id is null"),
    "defected by label": (
        re.compile(r"coalesce\(\s*(\w+\.)?churned\s*,\s*false\s*\)\s*or|\bor\s+(\w+\.)?churn_date\s+is\s+not\s+null"),
        "coalesce(c.churned, false) or c.churn_date is not null as defected",
    ),
    "defected by lapse": (
        re.compile(r"last_purchase\s*\+\s*(interval|to_days)|date_diff\('day',\s*(\w+\.)?last_purchase\b[^\n]*?>="),
        "date_diff('day', last_purchase, cast(? as date)) >= ? as fired_lapse",
    ),
    "repeat": (
        re.compile(r"partition\s+by\s+[\w.]+\s*,\s*(\w+\.)?reason\b"),
        "lag(ts) over (partition by customer_id, reason order by ts) >= ts - interval 30 day",
    ),
    "contact": (
        re.compile(r"initiated_by\b[^\n]*?(=|<>|!=)\s*['\"](customer|company)['\"]"),
        "where coalesce(lower(trim(i.initiated_by)), 'customer') <> 'company'",
    ),
    "resolved": (
        re.compile(r"coalesce\(\s*(\w+\.)?resolved\s*,\s*(\w+\.)?resolved_ts"),
        "coalesce(i.resolved, i.resolved_ts is not null) as resolved",
    ),
}


def _scanned_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.glob("dashboard/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(SCANNED) and not rel.startswith(HOME):
            files.append(path)
    return files


@pytest.mark.parametrize("concept", RULES)
def test_the_check_catches_the_old_derivation(concept):
    pattern, old = RULES[concept]
    assert pattern.search(old), f"the {concept} check no longer sees the derivation it was written for"


def test_no_view_derives_a_staged_concept_again():
    files = _scanned_files()
    assert len(files) > 30  # the scan sees the views
    found = []
    for path in files:
        text = path.read_text()
        for concept, (pattern, _) in RULES.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {concept}: {match.group(0)!r}")
    assert found == [], "read dashboard/staged (stg_customers, stg_contacts) instead:\n" + "\n".join(found)


def test_the_staged_module_holds_each_definition():
    staged = "\n".join(p.read_text() for p in (ROOT / HOME).glob("*.py"))
    for concept in ("is_prospect", "defected", "defected_since", "at_risk", "is_contact", "repeat", "resolved_at_first_contact"):
        assert f"as {concept}" in staged, concept
