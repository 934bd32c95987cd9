"""The context of what is shown, as one line, a file name, an export sheet and a chart subtitle."""

from __future__ import annotations

from datetime import date, datetime

from dashboard.charts import theme
from dashboard.context import ViewContext
from dashboard.metrics.compare import Comparison
from dashboard.metrics.scope import Filters
from dashboard.store import Version

VERSION = Version(7, "Acme <b>=1+1</b>", 3, datetime(2024, 4, 2, 9, 30))
MARCH = Filters(("Home",), ("North", "South"), date(2024, 3, 1), date(2024, 3, 1))
FEBRUARY = Comparison("previous", Filters(("Home",), ("North", "South"), date(2024, 2, 1), date(2024, 2, 1)))


def test_the_line_names_dataset_version_filters_months_and_comparison():
    view = ViewContext(VERSION, MARCH, FEBRUARY)
    assert view.line() == (
        "Acme <b>=1+1</b> v3 (published 2024-04-02 09:30) · segments: Home · regions: North, South · Mar 2024 · "
        "compared with Feb 2024"
    )
    no_dates = Comparison("previous", None, "No change shown: the data has no dates.", "no dates")
    everyone = ViewContext(VERSION, Filters(), no_dates)
    assert everyone.line().endswith("segments: all · regions: all · all months (no dates) · no comparison (no dates)")


def test_file_names_carry_dataset_version_and_a_digest_of_the_scope():
    view = ViewContext(VERSION, MARCH, FEBRUARY)
    name = view.file_name("Journey variants")
    assert name == f"journey-variants_acme-b-1-1-b-v3_{view.digest()}"
    assert len(view.digest()) == 8
    # another segment, another month or another comparison is another file name; the same scope the same one
    assert ViewContext(VERSION, Filters(("Business",)), FEBRUARY).digest() != view.digest()
    assert ViewContext(VERSION, MARCH, Comparison("none")).digest() != view.digest()
    assert ViewContext(VERSION, MARCH, FEBRUARY).digest() == view.digest()


def test_the_export_sheet_lists_each_part():
    sheet = ViewContext(VERSION, MARCH, FEBRUARY).frame()
    assert sheet.to_dict("records")[0] == {"what": "Dataset", "value": "Acme <b>=1+1</b> v3"}
    assert sheet["what"].tolist() == ["Dataset", "Published", "Segments", "Regions", "Months", "Compared with"]


def test_the_chart_toolbar_saves_a_png_named_like_the_other_exports_at_twice_the_screen_size():
    view = ViewContext(VERSION, MARCH, FEBRUARY)
    config = theme.toolbar(view.file_name("ov_trend"))
    assert config == {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": f"ov-trend_acme-b-1-1-b-v3_{view.digest()}", "scale": 2},
    }
