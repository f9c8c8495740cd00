"""Tracker figures on the known data set (tests/campaigns/conftest.py), computed by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from bridge.tracker import queries, stats
from bridge.tracker.filters import FilterError, Filters, parse_filters
from tests.campaigns.conftest import CODES, Known


def counts(*values: int) -> dict[str, int]:
    return dict(zip(queries.STEP_NAMES, values, strict=True))


def test_funnel_total_and_by_directorate(db_session: Session, known: Known) -> None:
    funnel = queries.funnel(db_session, [known.campaign.id], Filters(), "directorate")
    assert funnel.total.counts == counts(5, 4, 3, 2, 1, 1)
    by_key = {row.key: row.counts for row in funnel.rows}
    assert by_key == {("DGFIP",): counts(4, 3, 2, 1, 1, 1), ("DOUANE",): counts(1, 1, 1, 1, 0, 0)}
    assert funnel.total.share("assessed") == pytest.approx(3 / 5)


def test_funnel_drills_down_to_units(db_session: Session, known: Known) -> None:
    funnel = queries.funnel(db_session, [known.campaign.id], Filters(directorate="DGFIP"), "unit")
    by_key = {row.key: row.counts for row in funnel.rows}
    assert by_key == {
        ("DGFIP", "SIE Lyon"): counts(2, 2, 2, 1, 1, 1),
        ("DGFIP", "Trésorerie Dijon"): counts(2, 1, 0, 0, 0, 0),
    }
    assert funnel.total.counts == counts(4, 3, 2, 1, 1, 1)
    one_unit = queries.funnel(db_session, [known.campaign.id], Filters(unit="Trésorerie Dijon"))
    assert one_unit.total.counts == counts(2, 1, 0, 0, 0, 0)


def test_funnel_in_a_period_counts_steps_reached_during_it(db_session: Session, known: Known) -> None:
    period = Filters(date_from=date(2026, 3, 5), date_to=date(2026, 3, 9))
    funnel = queries.funnel(db_session, [known.campaign.id], period)
    # a2 launched and assessed on the 5th, a5 launched, assessed and accepted on the 9th.
    assert funnel.total.counts == counts(0, 2, 2, 1, 0, 0)


def test_overview_groups_by_campaign(db_session: Session, known: Known) -> None:
    funnel = queries.funnel(db_session, None, Filters(), "campaign")
    by_key = {row.key: row.counts["targeted"] for row in funnel.rows}
    assert by_key == {(known.campaign.id,): 5, (known.other.id,): 1}
    by_directorate = queries.funnel(db_session, None, Filters(), "directorate")
    assert {row.key: row.targeted for row in by_directorate.rows} == {("DGFIP",): 4, ("DOUANE",): 2}


@pytest.mark.parametrize("live", [False, True])
def test_progress_per_day(db_session: Session, known: Known, live: bool) -> None:
    points = queries.progress(db_session, [known.campaign.id], Filters(), "day", live=live)
    by_day = {p.day: p.counts for p in points}
    assert points[0].day == date(2026, 3, 2)
    assert points[-1].day == date(2026, 3, 20)
    assert len(points) == 19  # every day between, zeros included
    assert by_day[date(2026, 3, 2)] == counts(5, 0, 0, 0, 0, 0)
    assert by_day[date(2026, 3, 9)] == counts(0, 1, 1, 1, 0, 0)
    assert by_day[date(2026, 3, 10)] == counts(0, 1, 0, 0, 1, 0)
    assert by_day[date(2026, 3, 15)] == counts(0, 0, 0, 0, 0, 0)
    totals = {name: sum(p.counts[name] for p in points) for name in queries.STEP_NAMES}
    assert totals == counts(5, 4, 3, 2, 1, 1)


@pytest.mark.parametrize("live", [False, True])
def test_progress_per_week_starts_on_monday(db_session: Session, known: Known, live: bool) -> None:
    points = queries.progress(db_session, [known.campaign.id], Filters(), "week", live=live)
    assert [p.day for p in points] == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert points[0].counts == counts(5, 2, 2, 1, 0, 0)
    assert points[1].counts == counts(0, 2, 1, 1, 1, 0)
    assert points[2].counts == counts(0, 0, 0, 0, 0, 1)


def test_progress_filtered_by_unit_and_period(db_session: Session, known: Known) -> None:
    filters = Filters(unit="SIE Lyon", date_from=date(2026, 3, 4))
    points = queries.progress(db_session, [known.campaign.id], filters, "week")
    assert sum(p.counts["launched"] for p in points) == 1  # a2 on the 5th; a1 launched on the 3rd
    assert sum(p.counts["completed"] for p in points) == 1


def test_level_distribution_uses_latest_assessment(db_session: Session, known: Known) -> None:
    result = stats.levels(db_session, [known.campaign.id], Filters(), CODES, 5)
    assert result.assessed == 3
    assert result.counts["1.1"] == [0, 0, 1, 1, 1, 0]  # a2: 2, a1: 3 (not 1), a5: 4 (not 5)
    assert result.counts["3.4"] == [1, 0, 1, 1, 0, 0]
    douane = stats.levels(db_session, [known.campaign.id], Filters(directorate="DOUANE"), CODES, 5)
    assert douane.counts["1.1"] == [0, 0, 0, 0, 1, 0]
    capped = stats.levels(db_session, [known.campaign.id], Filters(), CODES, 3)
    assert capped.counts["1.1"] == [0, 0, 1, 2]  # a level above a lowered cap counts at the cap


def test_before_after_for_agents_assessed_twice(db_session: Session, known: Known) -> None:
    result = stats.before_after(db_session, [known.campaign.id], Filters(), CODES)
    assert result.agents == 2
    rows = {r.competence: r for r in result.rows}
    assert rows["1.1"].mean_before == pytest.approx(3.0)  # (1 + 5) / 2
    assert rows["1.1"].mean_after == pytest.approx(3.5)  # (3 + 4) / 2
    assert (rows["1.1"].improved, rows["1.1"].declined) == (1, 1)
    assert rows["1.1"].improved_share == pytest.approx(0.5)
    assert rows["3.4"].mean_before == pytest.approx(0.5)
    assert rows["3.4"].delta == pytest.approx(1.0)
    assert (rows["3.4"].improved, rows["3.4"].declined) == (1, 0)
    only_dgfip = stats.before_after(db_session, [known.campaign.id], Filters(directorate="DGFIP"), CODES)
    assert only_dgfip.agents == 1
    assert {r.competence: r.delta for r in only_dgfip.rows}["2.1"] == pytest.approx(2.0)


def test_refresh_replaces_previous_statistics(db_session: Session, known: Known) -> None:
    stats.refresh(db_session, known.campaign.id)
    stats.refresh(db_session, known.campaign.id)
    assert stats.levels(db_session, [known.campaign.id], Filters(), CODES, 5).assessed == 3
    assert stats.refreshed_at(db_session, [known.campaign.id]) is not None


def test_units_of_campaign(db_session: Session, known: Known) -> None:
    assert queries.units_of(db_session, [known.campaign.id], "DGFIP") == ["SIE Lyon", "Trésorerie Dijon"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"unit": "x" * 201}, "unit"),
    ],
)
def test_invalid_filters_name_the_parameter(args: dict[str, str], field: str) -> None:
    with pytest.raises(FilterError) as error:
        parse_filters(args)
    assert error.value.field == field
