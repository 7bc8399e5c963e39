"""Entitlements already resolved, remembered per catalog view by the record they came from
(no I/O), so a repeated check of an unchanged entity does a dict lookup, not the resolution.

An answer is keyed by its record's token (the fingerprint of the stored values), so a new
record is a new key; it is kept only while the catalog view it was resolved against is the
current one, and only until its first counter window ends (periods roll over by the clock).
"""

from __future__ import annotations

import threading

from reconciler.runtime.catalog import CatalogView
from reconciler.runtime.entitlements import Entitlements

DEFAULT_MAX_ANSWERS = 100_000


class ResolvedMemo:
    """Resolved entitlements by record token, for one catalog view at a time."""

    def __init__(self, max_answers: int = DEFAULT_MAX_ANSWERS) -> None:
        self.max_answers = max_answers
        # One tuple, replaced whole, so a reader never pairs a view with another's answers.
        self._state: tuple[CatalogView | None, dict[str, Entitlements]] = (None, {})
        self._lock = threading.Lock()

    def get(self, token: str, view: CatalogView, now: float) -> Entitlements | None:
        """The remembered answer, if resolved against `view` and its period has not ended."""
        known_view, answers = self._state
        if known_view is not view:
            return None
        hit = answers.get(token)
        return hit if hit is not None and now < hit.valid_until else None

    def put(self, token: str, view: CatalogView, answer: Entitlements) -> None:
        """Remember `answer`, resolved against `view` (a newer view drops the older answers)."""
        with self._lock:
            known_view, answers = self._state
            if known_view is not view:
                answers = {}
                self._state = (view, answers)
            if len(answers) >= self.max_answers:
                answers.clear()
            answers[token] = answer
