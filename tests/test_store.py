"""The store: versions, atomic publish, settings, concurrency, file access and the lock message."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from dashboard.metrics import prepared
from dashboard.sql import Sql
from dashboard.store import KEPT_PER_PREFIX, DatabaseBusy, Store, StoreError, check_dataset_name
from tests.tiny import tiny_tables


def _count(store: Store, version, table: str) -> int:
    with store.cursor() as cur:
        return cur.execute(f"select count(*) from {version.table(table)}").fetchall()[0][0]


def test_publish_creates_an_active_version_with_every_contract_column(store: Store):
    version = store.publish("tiny", tiny_tables(), source_files=[{"name": "c.csv", "bytes": 10, "sha256": "ab"}])
    assert store.active_version("tiny") == version
    assert version.number == 1
    assert version.row_counts == {"customers": 5, "transactions": 8, "interactions": 9}
    assert version.behaviours == ("e_billing",)
    assert version.has("customers", "satisfaction") and not version.has("customers", "referrals")
    with store.cursor() as cur:
        cols = [d[0] for d in cur.execute(f"select * from {version.table('interactions')} limit 0").description]
    assert {"resolved_ts", "effort", "initiated_by"} <= set(cols)
    assert store.version(version.version_id).source_files[0]["name"] == "c.csv"


def test_versions_activate_and_delete(store: Store):
    v1 = store.publish("tiny", tiny_tables())
    tables = tiny_tables()
    tables["customers"] = tables["customers"].iloc[:2]
    v2 = store.publish("tiny", tables)
    assert [v.number for v in store.versions("tiny")] == [2, 1]
    assert store.active_version("tiny").version_id == v2.version_id
    store.activate("tiny", v1.version_id)
    assert store.active_version("tiny").version_id == v1.version_id
    store.delete_version(v1.version_id)
    assert store.active_version("tiny").version_id == v2.version_id
    assert _count(store, v2, "customers") == 2
    store.delete_dataset("tiny")
    assert store.dataset_names() == []
    with store.cursor() as cur:
        schemas = {r[0] for r in cur.execute("select schema_name from information_schema.schemata").fetchall()}
    assert not {s for s in schemas if s.startswith("v")}


def test_failed_publish_leaves_previous_version_intact_and_active(store: Store, monkeypatch: pytest.MonkeyPatch):
    v1 = store.publish("tiny", tiny_tables())

    def exploding_prepare(cur, version):
        prepared.build_all(cur, version)  # the new tables exist by now ...
        raise RuntimeError("disk full")  # ... and then the publish fails

    bigger = tiny_tables()
    bigger["transactions"] = pd.concat([bigger["transactions"]] * 3)
    with pytest.raises(RuntimeError, match="disk full"):
        store.publish("tiny", bigger, prepare=exploding_prepare)
    assert store.active_version("tiny").version_id == v1.version_id
    assert [v.version_id for v in store.versions("tiny")] == [v1.version_id]
    assert _count(store, v1, "transactions") == 8
    with store.cursor() as cur:
        schemas = {r[0] for r in cur.execute("select schema_name from information_schema.schemata").fetchall()}
    assert schemas & {f"v{v1.version_id + 1}", f"v{v1.version_id + 2}"} == set()
    v2 = store.publish("tiny", bigger)
    assert _count(store, v2, "transactions") == 24


def test_missing_required_column_fails_the_whole_publish(store: Store):
    tables = tiny_tables()
    tables["transactions"] = tables["transactions"].drop(columns=["amount"])
    with pytest.raises(StoreError, match="amount"):
        store.publish("tiny", tables)
    assert store.dataset_names() == []


def test_sql_source(store: Store):
    version = store.publish(
        "generated",
        {"customers": Sql("select 'c' || range::varchar as customer_id from range(?)", (7,))},
    )
    assert version.row_counts["customers"] == 7


def test_eight_threads_reading_with_cursors_all_get_correct_answers(store: Store):
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(1000)], "segment": [f"s{i % 10}" for i in range(1000)]})
    customers["referrals"] = range(1000)
    version = store.publish("threads", {"customers": customers})
    expected = {f"s{k}": sum(i for i in range(1000) if i % 10 == k) for k in range(10)}
    wrong: list[tuple] = []

    def reader(seed: int) -> None:
        for i in range(300):
            segment = f"s{(seed + i) % 10}"
            with store.cursor() as cur:
                got = cur.execute(
                    f"select sum(referrals) from {version.table('customers')} where segment = ?", [segment]
                ).fetchall()[0][0]
            if got != expected[segment]:
                wrong.append((segment, got))

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_settings_survive_new_versions_and_rename(store: Store):
    store.publish("tiny", tiny_tables())
    store.set_setting("tiny", "number_format", {"currency": "€", "thousands": ".", "decimal": ","})
    store.set_setting("tiny", "number_format", {"currency": "£", "thousands": ",", "decimal": "."})
    store.publish("tiny", tiny_tables())
    assert store.get_setting("tiny", "number_format")["currency"] == "£"
    store.rename_dataset("tiny", "tiny renamed")
    assert store.dataset_names() == ["tiny renamed"]
    assert store.get_setting("tiny renamed", "number_format")["currency"] == "£"
    assert len(store.versions("tiny renamed")) == 2
    assert store.get_setting("tiny renamed", "missing", 42) == 42


@pytest.mark.parametrize("name", ["", "x" * 61, "a'; drop table versions; --", "../etc", "name\nnewline"])
def test_bad_dataset_names_are_refused_with_a_reason(name: str):
    with pytest.raises(StoreError, match="not allowed"):
        check_dataset_name(name)


def test_restricted_store_reads_only_the_allowed_folder(tmp_path: Path):
    allowed, other = tmp_path / "uploads", tmp_path / "elsewhere"
    allowed.mkdir()
    other.mkdir()
    for folder in (allowed, other):
        (folder / "f.csv").write_text("a\n1\n2\n")
    store = Store(tmp_path / "r.duckdb")
    store.restrict([allowed])
    with store.cursor() as cur:
        assert cur.execute("select count(*) from read_csv(?)", [str(allowed / "f.csv")]).fetchall()[0][0] == 2
        with pytest.raises(Exception, match=r"(?i)permission|disabled"):
            cur.execute("select count(*) from read_csv(?)", [str(other / "f.csv")]).fetchall()
        with pytest.raises(Exception, match=r"(?i)locked"):
            cur.execute("set enable_external_access = true")
    store.close()


def test_second_process_gets_one_line_not_a_traceback(tmp_path: Path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy) as info:
            Store(path)
        message = str(info.value)
        assert "\n" not in message
        assert "the dashboard is running; stop it or upload from the Data page" in message
        assert str(holder.pid) in message
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_kept_tables_hold_their_select_and_only_the_newest_few_stay(store: Store):
    """Editing the stage rules again and again keeps the newest KEPT_PER_PREFIX kept tables, not one per edit forever."""
    version = store.publish("tiny", tiny_tables())

    def keep(prefix: str, n: int) -> str:
        return store.materialise(version, prefix, Sql(f"select customer_id, ? as k from {version.table('customers')}", (n,)))

    def kept(prefix: str) -> set[str]:
        with store.cursor() as cur:
            rows = cur.execute(
                "select table_name from duckdb_tables() where schema_name = ? and starts_with(table_name, ?)",
                [version.schema, prefix + "_"],
            ).fetchall()
        return {version.table(r[0]) for r in rows}

    names = [keep("df_stage", n) for n in range(KEPT_PER_PREFIX + 2)]
    assert len(set(names)) == KEPT_PER_PREFIX + 2
    assert kept("df_stage") == set(names[-KEPT_PER_PREFIX:])
    assert keep("df_stage", KEPT_PER_PREFIX + 1) == names[-1]  # the same select finds its table again
    with store.cursor() as cur:
        assert cur.execute(f"select sum(k) from {names[-1]}").fetchall()[0][0] == 5 * (KEPT_PER_PREFIX + 1)
    behaviours = keep("df_behaviours", 0)
    assert kept("df_behaviours") == {behaviours} and kept("df_stage") == set(names[-KEPT_PER_PREFIX:])
    assert keep("df_stage", 0) == names[0] and names[0] in kept("df_stage")  # an old rule set is rebuilt when asked


def test_the_database_has_a_memory_ceiling_and_spills_into_a_folder_beside_it(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CXLENS_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("CXLENS_TEMP_DIR", raising=False)
    store = Store(tmp_path / "m.duckdb")
    limit, folder = store.query_df("select current_setting('memory_limit'), current_setting('temp_directory')").iloc[0]
    store.close()
    assert limit == "1.8 GiB"  # "2GB" as DuckDB writes it (2 × 10^9 bytes), not DuckDB's 80 % of the machine
    assert folder == str(tmp_path / "m.duckdb.tmp")
    monkeypatch.setenv("CXLENS_MEMORY_LIMIT", "100MB")
    monkeypatch.setenv("CXLENS_TEMP_DIR", str(tmp_path / "spill"))
    store = Store(tmp_path / "n.duckdb")
    store.restrict([tmp_path / "uploads"])
    with store.cursor() as cur:  # a sort of about 250 MB of text under a 100 MB ceiling, file access restricted
        cur.execute("create table big as select i, md5(i::varchar) || md5((i + 1)::varchar) as t from range(2000000) r(i)")
        rows, last = cur.execute("select count(*), max(t) from (select t from big order by t)").fetchall()[0]
    spilled = (tmp_path / "spill").is_dir()  # DuckDB makes the folder on the first spill and removes it on close
    store.close()
    assert rows == 2_000_000 and len(last) == 64
    assert spilled


def test_remembered_reads_see_every_write_through_any_store_of_the_file(tmp_path: Path):
    reader, writer = Store(tmp_path / "r.duckdb"), Store(tmp_path / "r.duckdb")
    assert reader.dataset_names() == [] and reader.get_setting("tiny", "colour", "none") == "none"
    v1 = writer.publish("tiny", tiny_tables())
    assert reader.dataset_names() == ["tiny"] and reader.active_version("tiny") == v1
    writer.set_setting("tiny", "colour", {"name": "teal"})
    assert reader.get_setting("tiny", "colour") == {"name": "teal"}
    reader.get_setting("tiny", "colour")["name"] = "changed by a caller"  # a caller's change is not remembered
    assert reader.get_setting("tiny", "colour") == {"name": "teal"}
    v2 = writer.publish("tiny", tiny_tables())
    assert reader.active_version("tiny") == v2
    writer.activate("tiny", v1.version_id)
    assert reader.active_version("tiny") == v1
    writer.delete_setting("tiny", "colour")
    assert reader.get_setting("tiny", "colour", "gone") == "gone"
    writer.rename_dataset("tiny", "small")
    assert reader.dataset_names() == ["small"] and reader.active_version("tiny") is None
    writer.delete_version(v1.version_id)
    assert reader.active_version("small") == Store.version(reader, v2.version_id)
    writer.delete_dataset("small")
    assert reader.dataset_names() == [] and reader.active_version("small") is None
    reader.close()
