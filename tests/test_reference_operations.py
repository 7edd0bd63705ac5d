"""Our OpenAPI document against the reference, operation by operation (tests/reference/api_diff.py).

Each finished area of the API is listed here, so that a change that breaks a client of the
original service fails the suite.
"""
import importlib.util
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parent / "reference"
spec = importlib.util.spec_from_file_location("api_diff", REFERENCE / "api_diff.py")
api_diff = importlib.util.module_from_spec(spec)
spec.loader.exec_module(api_diff)

pytestmark = pytest.mark.django_db

# (operations whose "METHOD /path" contains this, except those containing that)
DONE = [("/api/v1/shootings", None), ("/api/v1/shots", None)]


@pytest.mark.parametrize("section, skip", DONE)
def test_every_reference_operation_of_the_section_passes(anon, section, skip):
    ours = anon.get("/api/v1/openapi.json").json()
    reference = json.loads((REFERENCE / "openapi-reference.json").read_text())
    report = io.StringIO()
    with redirect_stdout(report):
        failed = api_diff.compare(reference, ours, only=section, skip=skip)
    assert failed == 0, report.getvalue()
