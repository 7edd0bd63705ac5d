"""What the server and the worker logged while being fuzzed: the exceptions behind the 500s (which
schemathesis sees only as a status), and the tasks that failed (which no HTTP answer shows)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

_SERVER_ERROR = re.compile(r"^\S+ \S+ ERROR django\.request: Internal Server Error: (\S+)")
_TASK_ERROR = re.compile(r"ERROR/[\w-]+\] Task ([\w.]+)\[[^\]]+\] raised unexpected: (.*)")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*)(: .*)?$")
_FRAME = re.compile(r'^  File "([^"]+)", line (\d+), in (\S+)')
_VARIABLE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{3,}")


def _normalized(text: str, limit: int = 160) -> str:
    return _VARIABLE.sub("N", text)[:limit]


def server_errors(log: Path) -> dict[tuple[str, str], list[str]]:
    """(exception, innermost frame of the project, or of anything) -> the paths (ids as N) that
    raised it, from gunicorn's log."""
    found: dict[tuple[str, str], list[str]] = {}
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    i = 0
    while i < len(lines):
        match = _SERVER_ERROR.match(lines[i])
        i += 1
        if not match:
            continue
        exception, frame, any_frame = "(no traceback)", "", ""
        while i < len(lines):
            line = lines[i]
            if line.startswith(("Traceback", "  ", "The above exception", "During handling")) or not line:
                frame_match = _FRAME.match(line)
                if frame_match:
                    file, number, function = frame_match.groups()
                    ours = str(BASE_DIR) in file and "/.venv/" not in file
                    file = str(Path(file).relative_to(BASE_DIR)) if ours else file.split("site-packages/")[-1]
                    any_frame = f"{file}:{number} in {function}"
                    frame = any_frame if ours else frame
                i += 1
            elif _EXCEPTION.match(line) and lines[i - 1].startswith("  "):
                exception = line
                i += 1
            else:
                break
        found.setdefault((_normalized(exception), frame or any_frame), []).append(_normalized(match.group(1), 100))
    return found


def task_errors(log: Path) -> Counter:
    """(task, exception) -> count of tasks that raised an unexpected exception, from a worker's log."""
    found: Counter = Counter()
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            match = _TASK_ERROR.search(line)
            if match:
                found[(match.group(1), _normalized(match.group(2)))] += 1
    return found


def failing_cases(output: Path) -> list[tuple[str, str, str, str]]:
    """(operation, check code, status, curl command) of each failing case in schemathesis's output."""
    text = output.read_text(errors="replace") if output.exists() else ""
    if "= FAILURES =" not in text:
        return []
    section = text.split("= FAILURES =", 1)[1].split("\n=====", 1)[0]
    found = []
    parts = re.split(r"\n_{3,} (.+?) _{3,}\n", section)
    for operation, body in zip(parts[1::2], parts[2::2]):
        for case in re.split(r"\n\d+\. Test Case ID: \S+\n", "\n" + body)[1:]:
            checks = re.findall(r"^- (ST\d+) ", case, re.MULTILINE)
            status = re.search(r"^\[(\d{3})\]", case, re.MULTILINE)
            curl = re.search(r"^\s+(curl .+)$", case, re.MULTILINE)
            found.append((operation, ",".join(checks) or "?", status.group(1) if status else "-",
                          curl.group(1) if curl else ""))
    return found


def report(logs: dict[str, Path]) -> int:
    """Print the exceptions found in the processes' logs; returns how many there were."""
    server = server_errors(logs["web"])
    tasks = task_errors(logs["worker"])
    if server:
        print(f"server errors in the web server's log: {sum(map(len, server.values()))}")
        for (exception, frame), paths in sorted(server.items(), key=lambda item: -len(item[1])):
            examples = ", ".join(sorted(set(paths))[:4])
            print(f"  {len(paths):>5} x {exception}\n          at {frame or '?'} ({examples})")
    if tasks:
        print(f"tasks that failed in the worker: {sum(tasks.values())}")
        for (task, exception), count in tasks.most_common():
            print(f"  {count:>5} x {task}: {exception}")
    return sum(tasks.values())
