"""The browser benchmark prepares its database on the engine asked for, and keeps one database per engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import browser
from dashboard.staged import engine


def test_each_engine_gets_its_own_database_prepared_on_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(browser.harness, "dataset_folder", lambda customers, seed, workdir: tmp_path / "data")
    monkeypatch.setattr(browser.sample, "publish", lambda store, folder, name: seen.append(engine.configured()))
    monkeypatch.delenv("CXLENS_PREPARE_ENGINE", raising=False)

    duck = browser.prepared_db(10, tmp_path, engine.DUCKDB)
    spark = browser.prepared_db(10, tmp_path, engine.SPARK)
    browser.prepared_db(10, tmp_path, engine.SPARK)  # kept: not published again

    assert seen == ["duckdb", "spark"]
    assert duck.name == "browser-n10.duckdb"
    assert spark.name == "browser-n10-spark.duckdb"
    assert engine.configured() == "duckdb"
