"""The Defection page's "Does the lifetime value predict?" section through AppTest: both checks on the sample, and one
line why on a dataset that cannot support them."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/5_Defection.py"


def _charts(at: AppTest) -> dict[str, dict]:
    specs = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    return {spec["layout"].get("title", {}).get("text"): spec for spec in specs}


def test_model_checks_on_the_sample(app_sample_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(PAGE)
    at.query_params["d_tab"] = "Model check"
    at.run()
    assert not at.exception
    charts = _charts(at)
    contract = charts["Contract model: predicted against actual retention"]
    assert [trace["name"] for trace in contract["data"]] == ["Actual", "Predicted (sBG)"]
    purchases = charts["Purchase model: predicted against actual purchases"]
    assert purchases["data"][0]["x"] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    errors = {m.label: m.value for m in at.metric if "MAPE" in m.label}
    assert set(errors) == {"Error over months 18 to 35 (MAPE)", "Error over the next 78 weeks (MAPE)"}
    assert all(value.endswith(" %") and "nan" not in value for value in errors.values())
    said = [c.value.replace("\\", "") for c in at.caption]  # captions hold escaped Markdown
    # the sample's customers all leave at one monthly rate, so α and β are large and only their ratio is pinned down
    assert any(s.startswith("Fitted on months 1 to 17; α ") and s.endswith("over 4,007 customers by month.") for s in said)
    assert (
        "Fitted on purchases in the first 78 weeks; history split on 30 Jun 2024; 16,679 customers who had bought by then."
        in said
    )
