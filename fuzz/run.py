"""`make fuzz`: schemathesis against the running system, with both the reference's OpenAPI and ours.

Starts the system as `make run` does, in a throwaway directory (`fuzz/system.py`), seeds a demo
tree through the API for a fuzz user (`fuzz/seed.py`), and runs `schemathesis run` once per spec
with the checks `not_a_server_error`, `response_schema_conformance` and `negative_data_rejection`,
in the phases examples, coverage, fuzzing and stateful (links inferred from the schemas). Each spec
gets a fresh user and tree. Prints the cases run and the failures per spec and check, and exits
non-zero when there is any failure or error.

Budget (environment or options): FUZZ_SECONDS (the whole run's time, split between the specs; the
phases repeat until it is spent), FUZZ_MAX_EXAMPLES (cases per operation and phase round, default
50), FUZZ_WORKERS (concurrent requests, default 2), FUZZ_SEED (to replay a run), FUZZ_SPECS
(`reference`, `ours` or both, comma-separated). `--serve` starts and seeds the system and waits,
printing the token, for reproducing a failure by hand. Reports: `fuzz-report/<spec>/` (override
with FUZZ_REPORT_DIR): schemathesis's JSON summary, its NDJSON event log with every failing request,
and the output.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from fuzz import config, logs, seed  # noqa: E402
from fuzz.system import System  # noqa: E402

REFERENCE = BASE_DIR / "tests" / "reference" / "openapi-reference.json"
HOOKS = BASE_DIR / "fuzz" / "hooks.py"
CHECKS = "not_a_server_error,response_schema_conformance,negative_data_rejection"
SPECS = ("reference", "ours")
MAX_CASES_SHOWN = 60  # failing cases printed per spec, each with its curl; all are in the spec's output.txt


def schema_for(spec: str, system: System) -> tuple[str, dict]:
    """(location schemathesis loads, the schema itself)."""
    if spec == "reference":
        return str(REFERENCE), json.loads(REFERENCE.read_text())
    import httpx

    url = f"{system.base_url}/api/v1/openapi.json"
    return url, httpx.get(url, timeout=60).json()


def run_spec(spec: str, system: System, args, report_dir: Path, seconds: int | None) -> dict:
    """One `schemathesis run` on a freshly seeded tree; returns its JSON report (+ `exit_code`)."""
    print(f"\n=== {spec}: seeding a demo tree", flush=True)
    started = time.monotonic()
    seeded = seed.seed(system.base_url, system.retailer_url, spec)
    print(f"    {sum(len(ids) for tenant in seeded.ids.values() for ids in tenant.values())} ids in two tenants "
          f"(+ victims for the DELETEs) in {time.monotonic() - started:.0f}s", flush=True)
    location, schema = schema_for(spec, system)
    if report_dir.exists():
        shutil.rmtree(report_dir)
    report_dir.mkdir(parents=True)
    toml = report_dir / "schemathesis.toml"
    toml.write_text(config.render(
        schema=schema, base_url=system.base_url, seeded=seeded, max_examples=args.max_examples,
        workers=args.workers, seed=args.seed, max_time=seconds, report_dir=str(report_dir)))
    command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(toml), "--no-color", "run",
               location, "--checks", CHECKS]
    print(f"=== {spec}: {' '.join(command[1:])}", flush=True)
    output = report_dir / "output.txt"
    with open(output, "w") as log:
        environment = {**os.environ, "COLUMNS": "120", "SCHEMATHESIS_HOOKS": str(HOOKS)}
        process = subprocess.Popen(command, cwd=report_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=environment)
        try:
            for line in process.stdout:
                log.write(line)
                if args.verbose:
                    print(line, end="", flush=True)
        except BaseException:
            process.terminate()
            raise
        finally:
            exit_code = process.wait()
    reports = sorted(report_dir.glob("*.json"))
    result = json.loads(reports[-1].read_text()) if reports else {}
    result["exit_code"] = exit_code
    result["output"] = str(output)
    if not reports:
        print(output.read_text()[-5000:])
    system.check_alive()
    return result


def summarize(results: dict[str, dict], system: System) -> int:
    """Print cases and failures per spec and check, and what the processes logged; returns the
    number of failed cases, errors and failed tasks."""
    generated = failed = 0
    print("\n=== fuzz summary")
    for spec, result in results.items():
        cases = result.get("test_cases", {})
        operations = result.get("operations") or {}
        generated += cases.get("generated", 0)
        failed += cases.get("with_failures", 0)
        print(f"{spec}: {cases.get('generated', 0)} cases on {operations.get('tested', 0)}/"
              f"{operations.get('selected', 0)} operations in {result.get('running_time') or 0:.0f}s, "
              f"{cases.get('with_failures', 0)} with failures ({cases.get('unique_failures', 0)} unique); "
              f"schemathesis exited {result['exit_code']}, its output: {result['output']}")
        for failure in result.get("failures", []):
            operations = failure["operations"]
            print(f"  FAIL {failure['title']}: {failure['count']} on {len(operations)} operations: "
                  f"{', '.join(operations[:6])}{' ...' if len(operations) > 6 else ''}")
        cases = sorted(logs.failing_cases(Path(result["output"])), key=lambda case: case[1])  # ST101 first
        for operation, check, status, curl in cases[:MAX_CASES_SHOWN]:
            print(f"    {check} [{status}] {operation}\n      {curl[:600]}")
        if len(cases) > MAX_CASES_SHOWN:
            print(f"    ... {len(cases) - MAX_CASES_SHOWN} more in {result['output']}")
        for error in result.get("errors", []):
            failed += error["count"]
            print(f"  ERROR {error['title']}: {error['count']}")
        if result["exit_code"] != 0 and not result.get("failures") and not result.get("errors"):
            failed += 1
            print(f"  schemathesis exited with {result['exit_code']} without reporting a failure")
    failed += logs.report(system.logs)
    # The closing line in the form CI reads ("N passed, N failed").
    print(f"fuzz: {generated - failed if generated > failed else 0} passed, {failed} failed")
    return failed


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def budget(seconds: int | None, specs: list[str]) -> dict[str, int | None]:
    """Each spec's share of the time: a quarter for the reference (32 operations), three quarters
    for ours (136)."""
    if not seconds:
        return {spec: None for spec in specs}
    weight = {"reference": 1, "ours": 3}
    total = sum(weight[spec] for spec in specs)
    return {spec: max(1, round(seconds * weight[spec] / total)) for spec in specs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS") or 0) or None,
                        help="time budget of the whole run (FUZZ_SECONDS); default: until max-examples are done")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES") or 50))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("FUZZ_WORKERS") or 2))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED") or random.randrange(2**31)))
    parser.add_argument("--specs", default=os.environ.get("FUZZ_SPECS") or ",".join(SPECS))
    parser.add_argument("--report-dir", default=os.environ.get("FUZZ_REPORT_DIR") or str(BASE_DIR / "fuzz-report"))
    parser.add_argument("--keep", action="store_true", help="keep the throwaway data directory")
    parser.add_argument("--serve", action="store_true", help="start and seed the system, then wait for Ctrl-C")
    parser.add_argument("--verbose", "-v", action="store_true", help="show schemathesis's output as it runs")
    args = parser.parse_args()
    specs = [spec.strip() for spec in args.specs.split(",") if spec.strip()]
    unknown = set(specs) - set(SPECS)
    if unknown or not specs:
        parser.error(f"unknown spec {', '.join(sorted(unknown)) or '(none)'}: choose among {', '.join(SPECS)}")

    signal.signal(signal.SIGTERM, _interrupt)  # stop everything started, as Ctrl-C does
    print(f"Fuzz seed {args.seed}: FUZZ_SEED={args.seed} replays the same generated cases.", flush=True)
    with System(keep=args.keep) as system:
        print(f"System up on {system.base_url} (data: {system.workdir})", flush=True)
        if args.serve:
            seeded = seed.seed(system.base_url, system.retailer_url, "serve")
            print(f"Seeded. Authorization: Bearer {seeded.token}\norganization: {seeded.organization}\n"
                  f"ids: {json.dumps(seeded.ids)}\nPress Ctrl-C to stop.", flush=True)
            try:
                while True:
                    system.check_alive()
                    time.sleep(1)
            except KeyboardInterrupt:
                return 0
        seconds = budget(args.seconds, specs)
        results = {spec: run_spec(spec, system, args, Path(args.report_dir) / spec, seconds[spec]) for spec in specs}
        failed = summarize(results, system)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
