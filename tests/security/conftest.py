"""At the end of a run, the walk's failing cases grouped by finding (known ones by number, NEW first)."""
from __future__ import annotations

from collections import defaultdict


def pytest_terminal_summary(terminalreporter):
    failed = [r for r in terminalreporter.stats.get("failed", []) if "test_tenancy_walk.py::test_tenancy[" in r.nodeid]
    if not failed:
        return
    groups = defaultdict(list)
    for report in failed:
        message = str(getattr(report.longrepr, "reprcrash", None) and report.longrepr.reprcrash.message
                      or report.longrepr).splitlines()
        lines = [line.removeprefix("Failed: ") for line in message]
        first = next((line for line in lines if line.startswith("[")), lines[0] if lines else "")
        label = first[1:first.index("]")] if first.startswith("[") and "]" in first else "?"
        groups[label].append(first)
    writer = terminalreporter
    writer.section(f"tenancy walk: {len(failed)} failing cases")
    for label in sorted(groups, key=lambda k: (k != "NEW", k)):
        writer.write_line(f"{label}: {len(groups[label])}")
        for line in sorted(groups[label]):
            writer.write_line(f"  {line[:300]}")
