"""What the results page shows: levels with their uncertainty, strengths and gaps in plain words,
the chart geometry, and the feedback of each question answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bridge.assessment.bank import Response
from bridge.assessment.bank_model import Item, ItemKind, ShortAnswerKey, Text
from bridge.assessment.models import Assessment, AssessmentResponse, CompetenceResult
from config.framework import Framework


def localised(text: Text, locale: str) -> str:
    return text.en if locale == "en" and text.en else text.fr


@dataclass(frozen=True)
class CompetenceRow:
    code: str
    title: str
    domain: str
    level: int
    low: int
    high: int
    pix: int
    target: int | None
    # Chart geometry in % of the chart width (0..cap).
    bar_pct: float
    low_pct: float
    high_pct: float
    target_pct: float | None


@dataclass(frozen=True)
class FeedbackRow:
    position: int
    competence: str
    stem: str
    given: str
    expected: str
    correct: bool
    dont_know: bool
    feedback: str


@dataclass(frozen=True)
class ResultsView:
    rows: list[CompetenceRow]
    strengths: list[CompetenceRow]
    gaps: list[CompetenceRow]
    cap: int
    feedback: list[FeedbackRow]
    digcomp: dict[str, int]


def competence_rows(
    results: Sequence[CompetenceResult],
    framework: Framework,
    locale: str,
    cap: int,
    targets: Mapping[str, int],
) -> list[CompetenceRow]:
    by_code = {r.competence: r for r in results}
    rows = []
    for comp in framework.competences:
        result = by_code.get(comp.code)
        if result is None:
            continue
        domain = next(d for d in framework.domains if d.code == comp.domain)
        target = targets.get(comp.code)
        rows.append(
            CompetenceRow(
                code=comp.code,
                title=comp.en if locale == "en" else comp.fr,
                domain=domain.en if locale == "en" else domain.fr,
                level=result.level,
                low=result.level_low,
                high=result.level_high,
                pix=result.pix,
                target=target,
                bar_pct=_pct(result.level + 0.5 if result.level < cap else cap, cap),
                low_pct=_pct(result.level_low, cap),
                high_pct=_pct(result.level_high + 1, cap),
                target_pct=_pct(target, cap) if target is not None else None,
            )
        )
    return rows


def _pct(value: float, cap: int) -> float:
    return round(100.0 * min(max(value, 0.0), float(cap)) / cap, 2) if cap else 0.0


def strengths_and_gaps(
    rows: Sequence[CompetenceRow], *, count: int = 3
) -> tuple[list[CompetenceRow], list[CompetenceRow]]:
    """With a target profile: gaps are below target, strengths at or above it (largest margin first).
    Without: the highest and lowest levels."""
    if any(r.target is not None for r in rows):
        gaps = sorted((r for r in rows if r.target is not None and r.level < r.target), key=_gap_key)
        strengths = sorted(
            (r for r in rows if r.target is not None and r.level >= r.target),
            key=lambda r: (-(r.level - (r.target or 0)), -r.pix),
        )
        return strengths[:count], gaps[:count]
    ordered = sorted(rows, key=lambda r: (-r.pix, r.code))
    strengths = [r for r in ordered[:count] if r.level >= 1]
    gaps = sorted(rows, key=lambda r: (r.pix, r.code))[:count]
    return strengths, [g for g in gaps if g not in strengths]


def _gap_key(row: CompetenceRow) -> tuple[int, int]:
    return (-((row.target or 0) - row.level), row.pix)


def _describe(item: Item, answer: Response, locale: str) -> str:
    if answer is None:
        return ""
    if item.kind is ItemKind.SHORT_ANSWER:
        return str(answer)
    labels = {o.id: localised(o.text, locale) for o in item.options}
    ids = [answer] if isinstance(answer, str) else list(answer)
    separator = " → " if item.kind is ItemKind.ORDERING else " ; "
    return separator.join(labels.get(i, i) for i in ids)


def _expected(item: Item, locale: str) -> str:
    if isinstance(item.answer, ShortAnswerKey):
        return item.answer.accepted[0]
    return _describe(item, item.answer, locale)


def feedback_rows(
    responses: Sequence[AssessmentResponse], items: Mapping[str, Item], locale: str
) -> list[FeedbackRow]:
    rows = []
    for response in responses:
        item = items.get(response.item_id)
        if item is None:
            continue
        rows.append(
            FeedbackRow(
                position=response.position,
                competence=response.competence,
                stem=localised(item.stem, locale),
                given=_describe(item, response.answer, locale),
                expected=_expected(item, locale),
                correct=response.correct,
                dont_know=response.answer is None,
                feedback=localised(item.feedback, locale),
            )
        )
    return rows


def results_view(
    assessment: Assessment,
    framework: Framework,
    items: Mapping[str, Item],
    locale: str,
    cap: int,
    targets: Mapping[str, int],
) -> ResultsView:
    rows = competence_rows(assessment.results, framework, locale, cap, targets)
    strengths, gaps = strengths_and_gaps(rows)
    levels = {r.code: r.level for r in rows}
    return ResultsView(
        rows=rows,
        strengths=strengths,
        gaps=gaps,
        cap=cap,
        feedback=feedback_rows(assessment.responses, items, locale),
        digcomp=framework.digcomp_view(levels),
    )
