"""What can go wrong in a sitting, in words an agent understands (views turn these into 4xx pages)."""

from __future__ import annotations

from datetime import datetime


class AssessmentError(Exception):
    code = "assessment.error"


class RetakeTooSoon(AssessmentError):
    code = "assessment.retake_too_soon"

    def __init__(self, available_at: datetime) -> None:
        super().__init__(f"a new assessment can start on {available_at.isoformat()}")
        self.available_at = available_at


class StaleAnswer(AssessmentError):
    """The answer is for a question that is no longer the current one (double submit, old tab)."""

    code = "assessment.stale_answer"


class InvalidAnswer(AssessmentError):
    """The submitted answer does not fit the question (unknown option, duplicate, empty).

    ``user_message`` is set when the message is written for the agent (a form left incomplete); without
    it the answer could not come from our page (tampered or outdated) and the page says so generically.
    """

    code = "assessment.invalid_answer"

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message


class NotInProgress(AssessmentError):
    code = "assessment.not_in_progress"
