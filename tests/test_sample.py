"""The bundled sample: deterministic, committed as generated, and calibrated to the articles."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dashboard import config, sample


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_same_seed_gives_identical_files(tmp_path: Path):
    spec = sample.SampleSpec(customers=1500, seed=11)
    sample.write(sample.generate(spec), tmp_path / "a")
    sample.write(sample.generate(spec), tmp_path / "b")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    sample.write(sample.generate(sample.SampleSpec(customers=1500, seed=12)), tmp_path / "c")
    assert _digests(tmp_path / "a") != _digests(tmp_path / "c")


def test_committed_sample_equals_the_generators_output():
    generated = sample.generate(sample.SampleSpec())
    committed = sample.read(config.SAMPLE_DIR)
    for name, table in generated.items():
        assert committed[name].equals(table), f"data/sample/{name}.parquet differs from `python -m dashboard sample`"


def test_blocks_are_as_few_as_the_block_size_allows_and_even(monkeypatch):
    assert sample._block_sizes(20_000) == [20_000]
    assert sample._block_sizes(1_000_000) == [50_000] * 20
    assert sample._block_sizes(100_001) == [33_334, 33_334, 33_333]
    monkeypatch.setattr(sample, "BLOCK", 10)
    assert sample._block_sizes(30) == [10, 10, 10]


def test_streamed_files_equal_the_in_memory_ones_within_one_block(tmp_path: Path):
    spec = sample.SampleSpec(customers=1500, seed=11)
    sample.write(sample.generate(spec), tmp_path / "memory")
    written = sample.generate_to(tmp_path / "streamed", spec)
    assert _digests(tmp_path / "streamed") == _digests(tmp_path / "memory")
    assert written["customers"][1] == 1500


def test_streaming_holds_one_block_at_a_time(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sample, "BLOCK", 10)
    spec = sample.SampleSpec(customers=30, seed=5)
    built, written = [], []
    real_block, real_write = sample._block_tables, sample.pq.ParquetWriter.write_table
    monkeypatch.setattr(sample, "_block_tables", lambda *a: built.append(a[1]) or real_block(*a))

    def spy_write(self, table, *args, **kwargs):
        written.append((len(built), table.num_rows if "segment" in table.column_names else None))
        return real_write(self, table, *args, **kwargs)

    monkeypatch.setattr(sample.pq.ParquetWriter, "write_table", spy_write)
    sample.generate_to(tmp_path, spec)
    # each block is written, three tables, before the next block is generated
    assert [b for b, _ in written] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert [rows for _, rows in written if rows is not None] == [10, 10, 10]
    files = sample.read(tmp_path)
    assert pq.ParquetFile(tmp_path / "customers.parquet").num_row_groups == 3
    assert files["customers"]["customer_id"].to_pylist() == [f"C{i:07d}" for i in range(1, 31)]
    for name, table in sample.generate(spec).items():
        assert files[name].equals(table)
    # the first block is the generator's output for a sample of one block; later blocks draw from their own streams
    first = sample.generate(sample.SampleSpec(customers=10, seed=5))["interactions"]
    assert files["interactions"].slice(0, first.num_rows).equals(first)
    ids = pc.unique(files["interactions"]["customer_id"]).to_pylist()
    assert ids == sorted(ids) and len(ids) > 20


def test_sample_is_small_enough_to_commit():
    total = sum(p.stat().st_size for p in config.SAMPLE_DIR.glob("*.parquet"))
    assert total <= 15 * 1024 * 1024


@pytest.fixture(scope="module")
def facts(sample_tables) -> pd.DataFrame:
    customers = sample_tables["customers"]
    billed = set(sample_tables["transactions"]["customer_id"])
    return customers[customers["customer_id"].isin(billed)].copy()


def test_shape_of_the_company(sample_tables, facts):
    assert 18_000 <= len(facts) <= 19_500  # about 20,000 rows, a few hundred of them prospects
    bills = sample_tables["transactions"]
    months = pd.to_datetime(bills["ts"]).dt.to_period("M")
    assert months.min() == pd.Period("2023-01") and months.max() == pd.Period("2025-12")
    touch = sample_tables["interactions"]
    assert set(touch["channel"]) == {"phone", "ivr", "web", "app", "email", "chat", "social", "store", "mail", "field"}
    assert set(touch["stage"]) == {
        "awareness",
        "consideration",
        "purchase",
        "onboarding",
        "usage",
        "billing",
        "support",
        "complaint",
        "renewal",
        "exit",
    }
    assert facts["churn_reason"].notna().sum() == facts["churned"].sum()
    assert facts["referrals"].sum() > 0 and facts["acquisition_cost"].gt(0).all()


def test_e_billing_adoption_is_16_percent_of_active_customers(facts):
    active = facts[~facts["churned"]]
    assert active["b_e_billing"].mean() == pytest.approx(0.16, abs=0.0005)


def test_call_centre_contact_costs_12_to_15_dollars(sample_tables):
    touch = sample_tables["interactions"]
    calls = touch[(touch["channel"] == "phone") & (touch["initiated_by"] == "customer")]
    assert calls["cost"].between(12, 15).all()
    assert len(calls) > 10_000


def test_about_two_thirds_of_touchpoints_are_started_by_customers(sample_tables):
    share = (sample_tables["interactions"]["initiated_by"] == "customer").mean()
    assert 0.63 <= share <= 0.70


def test_more_perfect_behaviours_go_with_higher_satisfaction(facts):
    flags = [c for c in facts.columns if c.startswith("b_")]
    count = facts[flags].sum(axis=1).clip(upper=4)
    means = facts.groupby(count)["satisfaction"].mean()
    assert list(means.index) == [0, 1, 2, 3, 4]
    assert np.all(np.diff(means.to_numpy()) > 0.2)


def test_slow_or_repeated_complaint_handling_precedes_defection(sample_tables, facts):
    touch = sample_tables["interactions"]
    complaints = touch[touch["stage"] == "complaint"].copy()
    complaints["days"] = (complaints["resolved_ts"] - complaints["ts"]).dt.total_seconds() / 86400
    per_customer = complaints.groupby("customer_id").agg(contacts=("ts", "size"), slowest=("days", "max"))
    bad = per_customer[(per_customer["contacts"] > 1) | (per_customer["slowest"] > 5)].index
    good = per_customer.index.difference(bad)
    churn = facts.set_index("customer_id")["churned"]
    assert churn.loc[bad].mean() > churn.loc[good].mean() + 0.08
    leavers = facts[facts["churn_reason"] == "Poor complaint handling"]
    last_complaint = complaints.groupby("customer_id")["ts"].max()
    lead_days = (
        pd.to_datetime(leavers.set_index("customer_id")["churn_date"]) - last_complaint.loc[leavers["customer_id"]]
    ).dt.days
    assert lead_days.ge(0).all() and lead_days.median() < 120


def test_complaints_have_resolution_times_and_some_are_unresolved(sample_tables):
    complaints = sample_tables["interactions"].query("stage == 'complaint'")
    assert complaints["resolved_ts"].notna().mean() > 0.9
    assert (~complaints["resolved"].astype(bool)).sum() > 0
    assert (complaints["resolved_ts"].dropna() >= complaints.loc[complaints["resolved_ts"].notna(), "ts"]).all()


def test_the_sample_command_streams_the_files_and_counts_their_rows(tmp_path: Path, capsys):
    from dashboard.__main__ import main

    assert main(["sample", "--customers", "40", "--seed", "3", "--out", str(tmp_path)]) == 0
    tables = sample.read(tmp_path)
    out = capsys.readouterr().out
    for name, table in tables.items():
        assert f"{name:<13} {table.num_rows:>10,} rows" in out
    assert tables["customers"].num_rows == 40 and tables["interactions"].num_rows > 40
