"""`python -m dashboard ingest`: exit codes 0/1/2, the printed report, rejected rows, mapping files, the busy database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.__main__ import main
from dashboard.store import Store
from tests.ingest_helpers import TRANSACTIONS_CSV, write

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CXLENS_DB", str(path))
    return path


def _versions(db: Path, dataset: str) -> list[int]:
    store = Store(db)
    try:
        return [v.number for v in store.versions(dataset)]
    finally:
        store.close()


def test_publishes_and_prints_the_report(db: Path, tmp_path: Path, capsys):
    path = write(tmp_path, "orders.csv", TRANSACTIONS_CSV + ",2024-04-01,5,web\n")
    code = main(["ingest", "--dataset", "shop", "--transactions", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "read 5 · published 4 · rejected 1   (published + rejected = read ✓)" in out
    assert "orders.csv: 1 row has no customer ID (column 'customer_id') (20.0% of rows); it is left out" in out
    assert "e.g. orders.csv row 6: blank (date='2024-04-01', amount='5', channel='web')" in out
    assert out.strip().splitlines()[-1].startswith("published shop v1: customers 3 · transactions 4 · interactions 0")
    assert "… reading orders.csv" in err  # progress, one line per step when not on a terminal
    assert _versions(db, "shop") == [1]


def test_blocking_problems_exit_1_and_publish_nothing(db: Path, tmp_path: Path, capsys):
    good = write(tmp_path, "orders.csv", TRANSACTIONS_CSV)
    assert main(["ingest", "--dataset", "shop", "--transactions", str(good)]) == 0
    bad = write(tmp_path, "march.csv", "customer_id,date,amount\nC1,03/04/2024,1\nC2,05/06/2024,2\n")
    capsys.readouterr()
    code = main(["ingest", "--dataset", "shop", "--transactions", str(bad)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "BLOCKING  transactions: dates in 'date' like '" in out
    assert "nothing published: 1 blocking problem(s) above" in out
    assert _versions(db, "shop") == [1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transactions", "missing.csv"], "error: file not found: missing.csv"),
        ([], "error: give at least one file: --customers, --transactions or --interactions"),
        (["--transactions", "{orders}", "--mapping", "{bad_json}"], "is not valid JSON"),
        (["--transactions", "{orders}", "--mapping", "{bad_mapping}"], "unknown keys ['colums']"),
        (["--transactions", "{orders}", "--max-bad-share", "2"], "--max-bad-share must be between 0 and 1"),
    ],
)
def test_bad_usage_exits_2_with_one_line(db: Path, tmp_path: Path, capsys, args: list[str], message: str):
    files = {
        "orders": write(tmp_path, "orders.csv", TRANSACTIONS_CSV),
        "bad_json": write(tmp_path, "bad.json", "{not json"),
        "bad_mapping": write(tmp_path, "m.json", json.dumps({"transactions": {"colums": {}}})),
    }
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    code = main(["ingest", "--dataset", "shop", *args])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_dataset_name_and_existing_new_dataset_exit_2(db: Path, tmp_path: Path, capsys):
    path = write(tmp_path, "orders.csv", TRANSACTIONS_CSV)
    assert main(["ingest", "--dataset", "../etc", "--transactions", str(path)]) == 2
    assert "dataset name '../etc' is not allowed" in capsys.readouterr().err
    assert main(["ingest", "--dataset", "shop", "--transactions", str(path)]) == 0
    assert main(["ingest", "--dataset", "shop", "--new-dataset", "--transactions", str(path)]) == 2
    assert "a dataset called 'shop' already exists" in capsys.readouterr().err


def test_argparse_usage_errors_exit_2(db: Path):
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--transactions", "x.csv"])  # --dataset is required
    assert info.value.code == 2


def test_check_only_rejected_rows_and_mapping_round_trip(db: Path, tmp_path: Path, capsys):
    orders = write(tmp_path, "orders.csv", TRANSACTIONS_CSV + ",2024-04-01,5,=1+1\n")
    mapping_out, rejected_dir = tmp_path / "mapping.json", tmp_path / "rejected"
    code = main(
        [
            "ingest",
            "--dataset",
            "shop",
            "--transactions",
            str(orders),
            "--check",
            "--save-mapping",
            str(mapping_out),
            "--rejected-dir",
            str(rejected_dir),
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0 and "check only: nothing published" in out
    assert _versions(db, "shop") == []
    saved = json.loads(mapping_out.read_text())
    assert saved["transactions"]["columns"] == {
        "customer_id": "customer_id",
        "ts": "date",
        "amount": "amount",
        "channel": "channel",
    }
    rejected = (rejected_dir / "shop-transactions-rejected.csv").read_text(encoding="utf-8-sig")
    assert rejected.splitlines()[1] == "orders.csv,6,no customer ID ('customer_id'),,2024-04-01,5,'=1+1"
    # the analyst edits the mapping (channel becomes the product) and passes it back
    saved["transactions"]["columns"]["product"] = saved["transactions"]["columns"].pop("channel")
    mapping_out.write_text(json.dumps(saved))
    assert main(["ingest", "--dataset", "shop", "--transactions", str(orders), "--mapping", str(mapping_out)]) == 0
    store = Store(db)
    try:
        version = store.active_version("shop")
        assert version.columns["transactions"] == ("customer_id", "ts", "amount", "product")
    finally:
        store.close()


def test_mapping_file_with_rules_for_the_telco_file(db: Path, tmp_path: Path, capsys):
    mapping = {
        "satisfaction_scale": "CSAT 1-5",
        "customers": {
            "columns": {"customer_id": "customerID", "segment": "Contract", "b_e_billing": "PaperlessBilling"},
            "rules": [
                {"target": "churned", "kind": "equals", "source": "Churn", "value": "Yes"},
                {"target": "b_autopay", "kind": "ends_with", "source": "PaymentMethod", "value": "(automatic)"},
            ],
        },
    }
    path = write(tmp_path, "telco.json", json.dumps(mapping))
    code = main(
        ["ingest", "--dataset", "telco", "--customers", str(FIXTURES / "telco_customer_churn.csv"), "--mapping", str(path)]
    )
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "column 'TotalCharges' holds numbers but 11 rows are blank" in out
    store = Store(db)
    try:
        version = store.active_version("telco")
        with store.cursor() as cur:
            row = cur.execute(
                f"select count(*) filter (where churned), count(*) filter (where b_autopay) from {version.table('customers')}"
            ).fetchall()[0]
        assert row == (1869, 3066)
        assert store.get_setting("telco", "satisfaction_scale") == "CSAT 1-5"
    finally:
        store.close()


def test_running_app_holding_the_database_gives_one_line_and_exit_1(tmp_path: Path):
    db = tmp_path / "held.duckdb"
    orders = write(tmp_path, "orders.csv", TRANSACTIONS_CSV)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = subprocess.run(
            [sys.executable, "-m", "dashboard", "ingest", "--dataset", "shop", "--transactions", str(orders)],
            cwd=ROOT,
            env={"CXLENS_DB": str(db), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (
        lines[0].startswith("error: the database")
        and "the dashboard is running; stop it or upload from the Data page" in lines[0]
    )
    assert "Traceback" not in result.stderr


def test_a_mapping_files_time_column_and_anonymous_ids_are_used(db: Path, tmp_path: Path, capsys):
    calls = write(
        tmp_path,
        "calls.csv",
        "Caller,Call date,Hour,Received via\nC1,2024-04-22,09:15,Phone\nX0,2024-04-23,14:30,Web\nC2,2024-04-23,10:00,Web\n",
    )
    mapping = {
        "interactions": {
            "columns": {"customer_id": "Caller", "ts": "Call date", "channel": "Received via"},
            "times": {"ts": "Hour"},  # neither is proposed by itself: the mapping file must carry them
            "anonymous": ["X0"],
        }
    }
    path = write(tmp_path, "mapping.json", json.dumps(mapping))
    code = main(["ingest", "--dataset", "calls", "--interactions", str(calls), "--mapping", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "1 row has an anonymous customer ID" in out
    store = Store(db)
    try:
        version = store.active_version("calls")
        with store.cursor() as cur:
            rows = cur.execute(
                f"select customer_id, strftime(ts, '%H:%M') from {version.table('interactions')} order by ts"
            ).fetchall()
    finally:
        store.close()
    assert rows == [("C1", "09:15"), ("C2", "10:00"), (None, "14:30")]
