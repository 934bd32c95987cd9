"""Prepared tables carry an explicit schema number: an older version is out of date, says so, and is rebuilt only by
`python -m dashboard upgrade` or the Data page's Upgrade button, never on a first request."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from dashboard.__main__ import main
from dashboard.metrics import prepared
from dashboard.store import Store
from tests.conftest import as_read, data_page
from tests.tiny import tiny_tables

ROOT = Path(__file__).resolve().parent.parent

PREPARE_SQL_SHA256 = "4f17b35ca48e92aa1a1317ec08f02b2e49a809e662e7033c7e672b6873c8cc31"
"""SHA-256 of every statement the prepare steps run on the tiny dataset (schema names written as v#)."""


class _Recording:
    """A cursor that runs and remembers every SQL statement text it is given."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur, self.statements = cur, []

    def execute(self, sql: str, *args, **kwargs):
        self.statements.append(sql)
        return self._cur.execute(sql, *args, **kwargs)

    def sql(self, sql: str, *args, **kwargs):
        self.statements.append(sql)
        return self._cur.sql(sql, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


def _prepare_sql_hash(store: Store) -> str:
    version = store.publish("tiny", tiny_tables(), prepare=lambda _cur, _version: None)
    with store.cursor() as cur:
        recording = _Recording(cur)
        prepared.build_all(recording, version)
    text = "\n;\n".join(re.sub(r'"v\d+"', '"v#"', s) for s in recording.statements)
    return hashlib.sha256(text.encode()).hexdigest()


def test_prepare_sql_changes_only_with_a_new_schema_number(store: Store):
    digest = _prepare_sql_hash(store)
    assert (digest, prepared.PREPARED_SCHEMA) == (PREPARE_SQL_SHA256, 4), (
        "the prepare steps run different SQL: if the tables or rows they build changed, bump PREPARED_SCHEMA in "
        "dashboard/metrics/prepared.py (versions built earlier then say they are out of date and the upgrade "
        f"command rebuilds them), and set PREPARE_SQL_SHA256 here to {digest!r}"
    )


def _make_old(store: Store, version_id: int) -> None:
    """Pretend version_id was built by an older CX Lens: another schema label and one prepared table missing."""
    version = store.version(version_id)
    with store.cursor() as cur:
        cur.execute(f"drop table {version.table('ov_tx_monthly')}")
        cur.execute("update versions set prepared = 'a1b2c3d4e5f60718' where version_id = ?", [version_id])
    store._written()


def test_an_older_version_is_out_of_date_until_upgraded(store: Store):
    first = store.publish("tiny", tiny_tables())
    second = store.publish("tiny", tiny_tables())
    assert store.out_of_date() == []
    _make_old(store, first.version_id)
    assert store.out_of_date() == [first.version_id]
    seen = []
    done = store.upgrade(lambda d, i, n: seen.append((d.version_id, i, n)))
    assert seen == [(first.version_id, 1, 1)]
    assert [d.label for d in done] == [first.label]
    assert done[0].tables > 0
    assert store.out_of_date() == []
    with store.cursor() as cur:  # the dropped table is back: revenue 1,610 in the tiny transactions
        assert cur.execute(f"select sum(revenue) from {first.table('ov_tx_monthly')}").fetchall()[0][0] == 1610.0
    assert store.upgrade() == []
    assert second.version_id not in [d.version_id for d in done]


def test_upgrade_command_prints_one_line_per_version(tmp_path: Path, capsys):
    db = tmp_path / "old.duckdb"
    store = Store(db)
    version = store.publish("shop", tiny_tables())
    _make_old(store, version.version_id)
    store.close()
    assert main(["upgrade", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"rebuilding 1 version(s) for prepared schema {prepared.PREPARED_SCHEMA}"
    assert re.fullmatch(rf"\[1/1\] {re.escape(version.label)}: \d+ tables, \d+\.\d s", lines[1])
    assert main(["upgrade", "--db", str(db)]) == 0
    assert capsys.readouterr().out == f"every version is up to date (prepared schema {prepared.PREPARED_SCHEMA})\n"


def test_a_page_on_an_out_of_date_version_says_so_and_the_admin_upgrades_from_the_data_page(app_tiny_db: Path):
    store = Store(app_tiny_db)
    version = store.active_version("tiny")
    _make_old(store, version.version_id)
    store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "This dataset's prepared tables were built by an older CX Lens: an admin rebuilds them under Data → Datasets "
        "→ Upgrade, or run `python -m dashboard upgrade`."
    ]
    assert list(at.metric) == []  # nothing read from tables of the older schema, and nothing rebuilt by the request
    at = data_page({"d_view": "Datasets"})
    assert not at.exception
    assert "1 version has prepared tables built by an older CX Lens" in " ".join(w.value for w in at.warning)
    next(b for b in at.button if b.label == "Upgrade").click().run()
    assert not at.exception
    assert re.fullmatch(
        rf"Rebuilt 1 version: {re.escape(version.label)}: \d+ tables, \d+\.\d s\.", as_read([at.success[0].value])
    )
    assert "Upgrade" not in [b.label for b in at.button]
