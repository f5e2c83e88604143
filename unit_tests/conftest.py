"""The requests-mock client the unit tests of the API share: real client code, no real network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from destination_ontraport.ontraport.client import OntraportClient
from unit_tests.fakes import mocked_client


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    """Two attempts per request, no waiting between them; a test module may define its own."""
    made = mocked_client(max_attempts=2)
    yield made
    made.close()
