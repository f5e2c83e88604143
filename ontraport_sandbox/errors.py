"""The one exception type handlers raise to answer an error."""

from __future__ import annotations


class ApiError(Exception):
    """Ontraport signals errors by HTTP status plus a short plain-text body, never a JSON envelope,
    so an error is exactly that pair."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
