"""What-if arithmetic worked by hand: the article's example, presets, ramp-up, retained revenue, money on screen, scenarios."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard import export
from dashboard.formatting import NumberFormat
from dashboard.metrics import whatif
from dashboard.store import Store

E_BILLING = whatif.Lever("e_billing", "E-billing", current=0.16, best_in_class=0.84, saving=11.0, churn_gap=0.05)
AUTOPAY = whatif.Lever("autopay", "Automatic payment", current=0.43, best_in_class=0.70, saving=6.0, churn_gap=None)


def test_the_articles_worked_example():
    # 463,904 customers x (84 % - 16 %) x $11 = 463,904 x 0.68 x 11 = $3,470,001.92
    best = whatif.breakdown([E_BILLING], 463_904, {"e_billing": 0.84})
    assert whatif.total_saving(best) == 3_470_002  # $3,470,001.92 to the dollar
    assert whatif.money_headline(whatif.total_saving(best)) == "$3.47M"
    assert whatif.money_full(whatif.total_saving(best)) == "$3,470,002"
    # halfway: 16 % + (84 % - 16 %) / 2 = 50 %; 463,904 x 0.34 x 11 = $1,735,000.96
    halfway = whatif.preset_target(E_BILLING, "halfway")
    assert halfway == pytest.approx(0.50)
    saving = whatif.total_saving(whatif.breakdown([E_BILLING], 463_904, {"e_billing": halfway}))
    assert saving == 1_735_001  # $1,735,000.96 to the dollar
    assert whatif.money_headline(saving) == "$1.735M"
    assert whatif.money_full(saving) == "$1,735,001"


def test_presets_and_targets_stay_between_today_and_100_percent():
    assert whatif.preset_target(E_BILLING, "current") == 0.16
    assert whatif.preset_target(E_BILLING, "best") == 0.84
    above = whatif.Lever("x", "X", current=0.9, best_in_class=0.84)
    unknown = whatif.Lever("y", "Y", current=0.3, best_in_class=None)
    assert whatif.preset_target(above, "halfway") == 0.9  # already above best-in-class: stays
    assert whatif.preset_target(unknown, "best") == 0.3
    with pytest.raises(ValueError):
        whatif.preset_target(E_BILLING, "double")
    assert whatif.clip_target(E_BILLING, 0.10) == 0.16  # below today counts as today: no negative saving
    assert whatif.clip_target(E_BILLING, 1.4) == 1.0
    assert whatif.clip_target(E_BILLING, None) == 0.16


def test_breakdown_with_edited_savings_and_retained_revenue():
    frame = whatif.breakdown(
        [E_BILLING, AUTOPAY], 1000, {"e_billing": 0.36, "autopay": 0.53}, {"autopay": 10.0}, lifetime_value=2000
    ).set_index("key")
    # e-billing: 1,000 x 0.20 = 200 customers moved x $11 = $2,200; kept 200 x 0.05 = 10 x $2,000 = $20,000
    assert frame.loc["e_billing", ["customers_moved", "annual_saving"]].tolist() == pytest.approx([200, 2200])
    assert frame.loc["e_billing", ["retained_customers", "retained_revenue"]].tolist() == pytest.approx([10, 20_000])
    # autopay with the saving edited to $10: 1,000 x 0.10 x 10 = $1,000; no churn gap: nothing retained
    assert frame.loc["autopay", "annual_saving"] == pytest.approx(1000)
    assert pd.isna(frame.loc["autopay", "retained_customers"])
    assert whatif.total_saving(frame) == pytest.approx(3200)
    assert whatif.total_retained(frame.reset_index()) == pytest.approx((10, 20_000))
    no_ltv = whatif.breakdown([E_BILLING], 1000, {"e_billing": 0.36})
    assert whatif.total_retained(no_ltv) == (pytest.approx(10), None)


def test_projection_ramps_up_in_equal_steps():
    frame = whatif.breakdown([E_BILLING], 1000, {"e_billing": 0.46})  # 300 customers x $11 = $3,300 a year
    proj = whatif.projection(frame, years=4, ramp_years=3)
    # reached 1/3, 2/3, 1, 1 -> $1,100, $2,200, $3,300, $3,300; running total 1,100, 3,300, 6,600, 9,900
    assert proj["reached"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 1])
    assert proj["saving"].tolist() == pytest.approx([1100, 2200, 3300, 3300])
    assert proj["cumulative"].tolist() == pytest.approx([1100, 3300, 6600, 9900])
    at_once = whatif.projection(frame, years=2, ramp_years=1)
    assert at_once["saving"].tolist() == pytest.approx([3300, 3300])
    with pytest.raises(ValueError):
        whatif.projection(frame, years=0)


def test_formula_in_words_names_each_behaviour_moved():
    frame = whatif.breakdown([E_BILLING, AUTOPAY], 463_904, {"e_billing": 0.84})
    assert whatif.formula_lines(frame, 463_904) == [
        "E-billing: 463,904 customers × (84.0 % − 16.0 %) × $11.00 a customer = $3,470,002 a year"
    ]


def test_formula_terms_are_shown_precisely_enough_to_give_the_figure_to_the_dollar():
    # the sample's e-billing: 2,278 of 14,236 customers = 16.001686 %; with the article's 463,904 customers at 84 %:
    # 463,904 x 0.67998314 x 11 = $3,469,915.69 -> $3,469,916. Shown as 16.0 % it worked out by hand to $3,470,002
    sample = whatif.Lever("e_billing", "E-billing", current=2278 / 14236, best_in_class=0.84, saving=11.0)
    frame = whatif.breakdown([sample], 463_904, {"e_billing": 0.84})
    assert whatif.total_saving(frame) == 3_469_916
    assert whatif.formula_lines(frame, 463_904) == [
        "E-billing: 463,904 customers × (84.0 % − 16.00169 %) × $11.00 a customer = $3,469,916 a year"
    ]
    # 16.0017 % is not enough: 463,904 x (84 - 16.0017) / 100 x 11 = $3,469,915.13 -> $3,469,915
    assert round(463_904 * (84 - 16.0017) / 100 * 11) == 3_469_915
    assert round(463_904 * (84 - 16.00169) / 100 * 11) == 3_469_916


def test_several_lines_add_up_to_the_total_to_the_dollar():
    # e-billing 1,000 x 0.2 x 11 = 2,200; autopay 1,000 x (0.4333 - 0.43) x 6 = 19.98 -> 20
    autopay = whatif.Lever("autopay", "Automatic payment", current=0.43, best_in_class=0.70, saving=6.0)
    frame = whatif.breakdown([E_BILLING, autopay], 1000, {"e_billing": 0.36, "autopay": 0.4333})
    assert frame["annual_saving"].tolist() == [2200, 20]
    lines = whatif.formula_lines(frame, 1000)
    assert lines[1] == "Automatic payment: 1,000 customers × (43.33 % − 43.0 %) × $6.00 a customer = $20 a year"
    assert lines[2] == "Total: $2,200 + $20 = $2,220 a year"
    assert whatif.total_saving(frame) == 2220


def test_the_articles_example_moves_only_e_billing():
    targets = whatif.article_targets([E_BILLING, AUTOPAY])
    assert targets == {"e_billing": 0.84, "autopay": 0.43}
    assert whatif.article_targets([AUTOPAY]) is None
    frame = whatif.breakdown([E_BILLING, AUTOPAY], whatif.ARTICLE_BASE, targets)
    assert whatif.money_headline(whatif.total_saving(frame)) == "$3.47M"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0"),
        (950, "$950"),
        (9_999.4, "$9,999"),
        (12_345, "$12.35K"),
        (999_999.7, "$1M"),
        (1_234_567, "$1.235M"),
        (1_234_560_000, "$1.235B"),
        (-3_470_001.92, "-$3.47M"),
    ],
)
def test_headline_money(value, text):
    assert whatif.money_headline(value) == text


def test_headline_money_in_another_format():
    assert whatif.money_headline(1_735_000.96, NumberFormat("€", ".", ",")) == "€1,735M"


def test_number_format_abbreviates_thousands_as_thousands():
    # the shared formatter wrote $443,817 as "$44.38K" (divided by 10,000); K means thousands
    assert NumberFormat().money(443_817.64) == "$443.82K"
    assert NumberFormat().money(12_345) == "$12.35K"
    assert NumberFormat().money(9_999) == "$9,999"


def _scenario(name: str = "Halfway", target: float = 0.5) -> whatif.Scenario:
    return whatif.Scenario(
        name=name,
        levers=(E_BILLING, AUTOPAY),
        base=463_904,
        targets=(("e_billing", target),),
        years=5,
        ramp_years=3,
        lifetime_value=7000.0,
        base_overridden=True,
        context="sample v1; all customers, all months",
    )


def test_scenarios_are_saved_listed_replaced_and_deleted(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    whatif.save_scenario(store, "sample", _scenario("Halfway", 0.5))
    whatif.save_scenario(store, "sample", _scenario("Best-in-class", 0.84))
    whatif.save_scenario(store, "sample", _scenario("halfway", 0.6))  # same name, any case: replaces
    scenarios = whatif.load_scenarios(store, "sample")
    assert [s.name for s in scenarios] == ["Best-in-class", "halfway"]
    assert scenarios[1].saved_at  # stamped when saved
    assert whatif.total_saving(scenarios[0].frame()) == pytest.approx(3_470_001.92)
    assert scenarios[0].to_json() == _scenario("Best-in-class", 0.84).to_json() | {"saved_at": scenarios[0].saved_at}
    assert [s.name for s in whatif.delete_scenario(store, "sample", "halfway")] == ["Best-in-class"]
    assert whatif.load_scenarios(store, "other") == []
    with pytest.raises(ValueError, match="name"):
        whatif.save_scenario(store, "sample", _scenario("  "))
    store.close()


def test_compare_puts_scenarios_side_by_side():
    table = whatif.compare([_scenario("Halfway", 0.5), _scenario("Best", 0.84)]).set_index("figure")
    assert list(table.columns) == ["Halfway", "Best"]
    assert table.loc["E-billing: target adoption %"].tolist() == pytest.approx([50, 84])
    assert table.loc["Total annual savings"].tolist() == pytest.approx([1_735_000.96, 3_470_001.92])
    # five years, ramp over three: (1/3 + 2/3 + 1 + 1 + 1) = 4 years' worth
    assert table.loc["Savings over the projection", "Best"] == pytest.approx(4 * 3_470_001.92)
    assert table.loc["Automatic payment: annual saving"].tolist() == [0, 0]


def test_scenario_export_is_formula_safe():
    table = whatif.scenario_table(_scenario('=HYPERLINK("http://x")', 0.84))
    assert table["behaviour"].tolist() == ["E-billing", "Automatic payment", "Total"]
    assert table["annual saving"].iloc[-1] == pytest.approx(3_470_001.92)
    assert table["savings over 5 years"].iloc[-1] == pytest.approx(4 * 3_470_001.92)
    csv = export.csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv
    sheet = pd.read_excel(io.BytesIO(export.excel_bytes({"scenario": table})), engine="openpyxl")
    assert sheet["scenario"].iloc[0].startswith("'=")
