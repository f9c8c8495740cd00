"""Hooks run when a sitting finishes (recommendations, tracker). Registered by the app factory."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

FinishedHook = Callable[[Session, int], None]

_finished_hooks: list[FinishedHook] = []


def on_finished(hook: FinishedHook) -> FinishedHook:
    if hook not in _finished_hooks:
        _finished_hooks.append(hook)
    return hook


def run_finished_hooks(session: Session, assessment_id: int) -> None:
    for hook in _finished_hooks:
        hook(session, assessment_id)
