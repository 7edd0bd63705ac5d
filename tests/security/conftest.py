"""At the end of a run, the walk's failing cases grouped by finding (NEW ones first), each group
with what it is and its cases; every failure above carries the requests that reproduce it."""
from __future__ import annotations

from collections import defaultdict

MARK = "test_tenancy_walk.py::test_tenancy["


def pytest_terminal_summary(terminalreporter):
    from tests.security.findings import classify

    failed = [r for r in terminalreporter.stats.get("failed", []) if MARK in r.nodeid]
    if not failed:
        return
    groups = defaultdict(list)
    for report in failed:
        case_id = report.nodeid.split(MARK, 1)[1].rstrip("]")
        crash = getattr(report.longrepr, "reprcrash", None)
        message = (crash.message if crash else str(report.longrepr)).removeprefix("Failed: ")
        label, why = classify(case_id)
        first = message.splitlines()[0] if message else ""
        groups[(label, why)].append((case_id, first.split(": ", 1)[1] if ": " in first else first))
    write = terminalreporter.write_line
    terminalreporter.section(f"tenancy walk: {len(failed)} failing cases")
    for (label, why), cases in sorted(groups.items(), key=lambda item: (not item[0][0].startswith("NEW"), item[0])):
        write(f"[{label}] {why} ({len(cases)} cases)")
        for case_id, problem in sorted(cases)[:8]:
            write(f"    {case_id}: {problem[:160]}")
        if len(cases) > 8:
            write(f"    ... and {len(cases) - 8} more: " + ", ".join(c for c, _ in sorted(cases)[8:]))
