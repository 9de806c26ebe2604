"""The ``finintel`` command line: batch ingest, screening, maps, traces and case reports.

Exit codes (the same for every command):

==  ==========================================================================
0   success
1   alerts were found and ``--fail-on-alerts`` was given
2   bad input: a file could not be read, a bad option or configuration
3   internal error (a bug: please report it with the ``--debug`` traceback)
==  ==========================================================================

Errors are one line on stderr, ``finintel: error: <file>, row <n>, column '<c>': <problem>``;
the traceback is shown only with ``--debug``. Logs go to stderr; results to files or,
with ``--json``, as one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["EXIT_ALERTS", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "build_parser", "entry_point", "main"]

EXIT_OK, EXIT_ALERTS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
log = logging.getLogger("finintel")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 in finintel's one-line style."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"finintel: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _examples(text: str) -> str:
    return "examples:\n" + textwrap.indent(textwrap.dedent(text).strip(), "  ")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (also used to render the docs)."""
    from finintel import __version__

    common = _Parser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    common.add_argument("--json", action="store_true", help="print a machine-readable JSON summary on stdout")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")

    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="finintel",
        description="Financial intelligence from bank, mobile-money, goAML, SWIFT and crypto exports.",
        epilog=_examples(
            """
            finintel run data/samples --out out/              # ingest, screen, map and report in one go
            finintel ingest case/ exports/*.csv statement.xml
            finintel screen case/ --profile KE --out alerts.csv
            finintel map case/ --account msisdn:+254712345678 --out suspect.html
            """
        ),
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"finintel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="read exports into a case store",
        description="Read exports (formats detected by content) into the case store at CASE. "
        "Files already ingested (same SHA-256) are skipped. Exit 2 if a file could not be read at all, "
        "after ingesting the others.",
        epilog=_examples(
            """
            finintel ingest case/ statements/ goaml/report.xml
            finintel ingest case/ wallet.csv --format etherscan --option address=0xabc...
            """
        ),
        formatter_class=fmt,
    )
    p.add_argument("case", type=Path, help="case store folder (created if absent)")
    p.add_argument("files", nargs="+", type=Path, help="export files or folders")
    p.add_argument("--format", help="force one reader for every file (see `finintel readers`)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="reader option, repeatable")

    p = sub.add_parser(
        "screen",
        parents=[common],
        help="run the detectors over a case",
        description="Run the detector pack over the transactions of CASE and store the alerts in the case.",
        epilog=_examples(
            """
            finintel screen case/ --profile KE --out alerts.parquet
            finintel screen case/ --detectors structuring,fan_in --since 2024-01-01 --out alerts.csv
            finintel screen case/ --config screening.toml --fail-on-alerts
            finintel screen case/ --engine dask --scheduler tcp://10.0.0.5:8786
            finintel screen big-case/ --engine partitioned --max-rows 1000000
            """
        ),
        formatter_class=fmt,
    )
    p.add_argument("case", type=Path)
    _screen_options(p)
    p.add_argument("--out", type=Path, help="also write the alerts to .parquet, .csv or .jsonl")
    p.add_argument("--fail-on-alerts", action="store_true", help="exit 1 when any alert is found")
    p.add_argument("--engine", choices=["memory", "partitioned", "dask"], default="memory", help="where to run")
    p.add_argument("--scheduler", help="Dask scheduler address (with --engine dask); default: a local cluster")
    p.add_argument("--partitions", type=int, default=8, help="least account buckets for partitioned/dask engines")
    p.add_argument(
        "--max-rows",
        type=int,
        default=2_000_000,
        help="rows per bucket for partitioned/dask engines (bounds memory: about 2 GB per million)",
    )

    p = sub.add_parser(
        "map",
        parents=[common],
        help="write an interactive network map (one offline HTML file)",
        description="Write a self-contained HTML network map of the case, of one alert's evidence, "
        "of an account's ego network, or of one community.",
        epilog=_examples(
            """
            finintel map case/ --out case.html
            finintel map case/ --alert structuring:1a2b3c4d5e6f7a8b --out alert.html
            finintel map case/ --account msisdn:+254712345678 --hops 2 --out ego.html
            """
        ),
        formatter_class=fmt,
    )
    p.add_argument("case", type=Path)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--alert", help="alert_id from the case's last screening")
    g.add_argument("--account", help="account key at the centre of an ego network")
    g.add_argument("--community", type=int, help="community number (see `finintel report`)")
    p.add_argument("--hops", type=int, default=2)
    p.add_argument("--max-nodes", type=int, default=500)
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser(
        "trace",
        parents=[common],
        help="follow the money from seeds to current holders",
        description="Follow value forward (where did it go?) or backward (where did it come from?) through "
        "time-respecting paths and write the steps and the holders schedule.",
        epilog=_examples(
            """
            finintel trace case/ --seed msisdn:+254712345678 --direction forward --rule fifo --out trace.csv
            finintel trace case/ --seed mpesa:QAB12CD34E --rule proportional --out trace.csv --holders holders.csv
            """
        ),
        formatter_class=fmt,
    )
    p.add_argument("case", type=Path)
    p.add_argument("--seed", action="append", required=True, help="account key or tx_id; repeatable")
    p.add_argument("--direction", choices=["forward", "backward"], default="forward")
    p.add_argument("--rule", choices=["fifo", "lifo", "proportional"], default="fifo")
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("--hops", type=int)
    p.add_argument("--out", type=Path, required=True, help="trace steps (.csv or .parquet)")
    p.add_argument("--holders", type=Path, help="current-holders schedule (.csv); default: beside --out")

    p = sub.add_parser(
        "report",
        parents=[common],
        help="write a case report folder (alerts, risk scores, maps, charts, index.html)",
        description="Write a folder for the case file: alerts and risk-score tables, maps, charts and an index.html.",
        epilog=_examples("finintel report case/ --out report/\nfinintel report case/ --profile KE --out report/"),
        formatter_class=fmt,
    )
    p.add_argument("case", type=Path)
    p.add_argument("--profile", default=None, help="profile for charts (thresholds); default: that of the screening")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser(
        "run",
        parents=[common],
        help="ingest, screen and report in one go (the main job)",
        description="Ingest FILES into a fresh case under OUT/case, screen it, and write the report into OUT.",
        epilog=_examples(
            """
            finintel run data/samples --out out/
            finintel run exports/ --profile KE --config screening.toml --out /cases/2024-117/
            """
        ),
        formatter_class=fmt,
    )
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True)
    _screen_options(p)
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="reader option, repeatable")
    p.add_argument("--fail-on-alerts", action="store_true")

    sub.add_parser("detectors", parents=[common], help="list the detectors", description="List the detectors.")
    sub.add_parser("readers", parents=[common], help="list the export formats", description="List the readers.")
    return parser


def _screen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detectors", help="comma-separated detector names (default: all, or the config's)")
    p.add_argument(
        "--profile", help="jurisdiction profile: generic, KE, UG, ET, DJ (default: the config's, else generic)"
    )
    p.add_argument("--config", type=Path, help="screening TOML (detectors, parameters, profile overrides, lists)")
    p.add_argument("--since", help="only transactions at or after this time (ISO date)")
    p.add_argument("--until", help="only transactions before this time (ISO date)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default ``sys.argv[1:]``) and return the exit code."""
    from finintel.errors import FinintelError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    _logging(args)
    from finintel.cli import commands

    try:
        return int(getattr(commands, f"cmd_{args.command}")(args))
    except FinintelError as exc:
        if args.debug:
            log.exception("failed")
        print(f"finintel: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        if args.debug:
            log.exception("failed")
        print(f"finintel: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("finintel: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:
        if args.debug:
            log.exception("internal error")
        print(
            f"finintel: internal error: {type(exc).__name__}: {_one_line(str(exc))} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.debug else logging.WARNING if getattr(args, "quiet", False) else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("finintel: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
