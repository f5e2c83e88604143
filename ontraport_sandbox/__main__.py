"""`python -m ontraport_sandbox`: start the server and announce its port.

The first stdout line is `LISTENING <port>`, flushed at once, because callers start the sandbox
with `--port 0` and must learn the port the OS picked before they can send anything. Nothing
else is ever written to stdout (a caller may stop reading it); diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from .app import Sandbox
from .meta import load_meta
from .server import SandboxServer
from .settings import Settings, parse_latency, updated
from .switches import CHOICES, DELETE_OVERREACH, NUMERIC_HELP, SAVE_FAILED_RATE, SAVE_FAILED_STATUS

SWITCH_TYPES: dict[str, type] = {SAVE_FAILED_RATE: float, SAVE_FAILED_STATUS: int, DELETE_OVERREACH: int}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ontraport_sandbox",
        description="A local Ontraport REST API v1 stand-in for tests, benchmarks and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    parser.add_argument("--rate-limit", type=int, default=180, help="requests per window per App ID")
    parser.add_argument("--window", type=float, default=60.0, help="rolling window length in seconds")
    parser.add_argument("--latency-ms", default="0", help="added latency per /1/ request: N or MIN-MAX")
    parser.add_argument("--app-id", default="demo-app", help="the accepted Api-Appid")
    parser.add_argument("--api-key", default="demo-key", help="the accepted Api-Key")
    parser.add_argument("--seed", type=int, default=None, help="seed for faults, latency and unique ids")
    parser.add_argument("--meta", default=None, help="JSON meta document: contact fields and object types")
    parser.add_argument(
        "--max-request-line",
        type=int,
        default=None,
        help="bytes a request line may take before 414 (default 8190, as Apache's LimitRequestLine)",
    )
    switches = parser.add_argument_group("behaviour switches (no source settles these; see README)")
    for choice in CHOICES:
        switches.add_argument(
            f"--{choice.name.replace('_', '-')}",
            choices=choice.values,
            default=None,
            help=f"{choice.help} (default {choice.default})",
        )
    for name, kind in SWITCH_TYPES.items():
        switches.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None, help=NUMERIC_HELP[name])
    return parser


def _switches(args: argparse.Namespace) -> dict[str, object]:
    """The behaviour switches given on the command line, as a config change."""
    names = [choice.name for choice in CHOICES] + list(SWITCH_TYPES)
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.rate_limit < 1 or args.window <= 0:
        print("ontraport_sandbox: --rate-limit must be >= 1 and --window > 0", file=sys.stderr)
        return 2
    try:
        latency = parse_latency(args.latency_ms)
        meta = load_meta(args.meta)
        base = Settings(
            app_id=args.app_id,
            api_key=args.api_key,
            rate_limit=args.rate_limit,
            window_seconds=args.window,
            latency_ms=latency,
            seed=args.seed,
        )
        limits = {} if args.max_request_line is None else {"max_request_line": args.max_request_line}
        settings = updated(base, {**_switches(args), **limits})
    except (OSError, ValueError) as exc:
        print(f"ontraport_sandbox: {exc}", file=sys.stderr)
        return 2
    app = Sandbox(settings, meta)
    server = SandboxServer((args.host, args.port), app)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    port = server.server_address[1]
    print(f"LISTENING {port}", flush=True)
    url = f"http://{args.host}:{port}/1"  # ignore-https-check: a local test server
    app.log(
        f"serving {url} (app id {args.app_id!r}, {args.rate_limit} requests"
        f" per {args.window:g} s); admin at /__sandbox/"
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
