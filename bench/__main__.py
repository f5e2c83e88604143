"""`python -m bench [--only NAME ...] [--quick]` (or `make bench`): the connector against the naive
per-record strategy on the local Ontraport sandbox, scenario by scenario; prints a markdown table
and writes it, with the raw figures, to bench/results/latest.md and latest.json.

Full sizes take about half an hour (the rate is scaled by 10, not removed); `--quick` runs every
scenario at a tenth of its size in a few minutes, as a smoke run.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.report import cross_checks, render, save
from bench.runner import API_KEY, APP_ID, Bench, ScenarioResult, start_up_cost
from bench.scenarios import ACTIVATION_SCENARIOS, BY_NAME, LATENCY_FAST, RATE_LIMIT, SCENARIOS, WINDOW_SECONDS
from ontraport_sandbox.testing import running_sandbox


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BY_NAME), metavar="NAME", help="run only these scenarios"
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes: a smoke run")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (inputs, outputs)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        for scenario in (*SCENARIOS, *ACTIVATION_SCENARIOS):
            targets = "; ".join(t.describe() for t in scenario.targets)
            print(f"{scenario.name:8} {scenario.label(args.quick)}  [{targets}]")
        return 0
    chosen = [s for s in (*SCENARIOS, *ACTIVATION_SCENARIOS) if not args.only or s.name in args.only]
    command = "python -m bench" + "".join(
        f" {a}" for a in shlex.split(" ".join(sys.argv[1:] if argv is None else argv))
    )
    workdir = Path(tempfile.mkdtemp(prefix="ontraport-bench-"))
    results: list[ScenarioResult] = []
    errors: list[str] = []
    start_up = start_up_cost()
    try:
        with running_sandbox(
            app_id=APP_ID,
            api_key=API_KEY,
            rate_limit=RATE_LIMIT,
            window=WINDOW_SECONDS,
            latency_ms=LATENCY_FAST,
            seed=1,
        ) as sandbox:
            bench = Bench(sandbox, workdir, args.quick, log=log)
            for scenario in chosen:
                log(f"{scenario.name}: {scenario.label(args.quick)}")
                started = time.monotonic()
                try:
                    result = bench.run(scenario)
                except Exception as exc:  # one broken scenario must not hide the others' figures
                    errors.append(f"{scenario.name}: {exc!r}")
                    log(f"{scenario.name} failed:\n{traceback.format_exc()}")
                    continue
                results.append(result)
                log(f"{scenario.name}: {result.verdict} in {time.monotonic() - started:.0f} s")
    finally:
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    cross_checks(results)
    text = render(results, command, args.quick, start_up)
    if errors:
        text += "\n" + "\n".join(f"- ERROR {e}" for e in errors) + "\n"
    path = save(results, text, command, args.quick, start_up)
    print(text)
    log(f"written to {path} and {path.with_suffix('.json')}")
    ok = not errors and all(r.verdict == "PASS" for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
