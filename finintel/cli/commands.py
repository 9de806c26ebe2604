"""One function per ``finintel`` command; each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from finintel.cli.main import EXIT_ALERTS, EXIT_BAD_INPUT, EXIT_OK, print_json
from finintel.errors import ConfigError, InputError
from finintel.export.tables import write_table

__all__ = [
    "cmd_detectors",
    "cmd_ingest",
    "cmd_map",
    "cmd_readers",
    "cmd_report",
    "cmd_run",
    "cmd_screen",
    "cmd_trace",
]

log = logging.getLogger("finintel")


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _options(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


# ----------------------------------------------------------------------------- ingest


def cmd_ingest(args: argparse.Namespace) -> int:
    import finintel as fi

    case = fi.open_case(args.case)
    summary = _ingest(case, args.files, args, format=args.format)
    return EXIT_BAD_INPUT if (summary["status"] == "failed").any() else EXIT_OK


def _ingest(case: Any, files: list[Path], args: argparse.Namespace, format: str | None = None) -> pd.DataFrame:
    from tqdm import tqdm

    from finintel.store import _expand

    paths = _expand(files)
    missing = [str(f) for f in files if not Path(f).exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)}")
    rows = []
    for path in tqdm(paths, desc="ingest", unit="file", disable=not _progress(args)):
        rows.append(case.ingest(path, format=format, errors="collect", **_options(args.option)))
    summary = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["file", "format", "status"])
    if args.json:
        print_json(
            {"case": str(case.path), "files": summary.astype(object).where(summary.notna(), None).to_dict("records")}
        )
    else:
        for r in summary.itertuples():
            if r.status == "failed":
                print(f"finintel: error: {r.error}", file=sys.stderr)
            else:
                print(f"{r.file}\t{r.format}\t{r.rows_written} rows\t{r.rows_rejected} rejects\t{r.status}")
    return summary


# ----------------------------------------------------------------------------- screen


def _config(args: argparse.Namespace) -> Any:
    from finintel.config import load_config

    cfg = load_config(args.config, profile=args.profile)
    if args.detectors:
        from finintel import detect

        names = [n.strip() for n in args.detectors.split(",") if n.strip()]
        for n in names:
            detect.get(n)
        cfg.detectors = names
        cfg.params = {k: v for k, v in cfg.params.items() if k in names}
    return cfg


def cmd_screen(args: argparse.Namespace) -> int:
    import finintel as fi
    from finintel.screening import screen

    case = fi.open_case(args.case)
    if case.manifest().empty:
        raise InputError("the case holds no ingested files; run `finintel ingest` first", path=str(args.case))
    cfg = _config(args)
    alerts = screen(
        case,
        cfg,
        since=args.since,
        until=args.until,
        engine=args.engine,
        scheduler=args.scheduler,
        partitions=args.partitions,
        max_rows=args.max_rows,
    )
    case.write_alerts(alerts)
    _write_screening_meta(case.path, cfg)
    if args.out:
        write_table(alerts, args.out)
    _report_alerts(alerts, args)
    return EXIT_ALERTS if args.fail_on_alerts and len(alerts) else EXIT_OK


def _write_screening_meta(case_path: Path, cfg: Any) -> None:
    meta = {
        "profile": cfg.profile,
        "profile_overrides": cfg.profile_overrides,
        "detectors": cfg.detectors,
        "params": cfg.params,
    }
    (Path(case_path) / "alerts" / "screening.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def _report_alerts(alerts: pd.DataFrame, args: argparse.Namespace) -> None:
    counts = alerts["detector"].value_counts().sort_index() if len(alerts) else pd.Series(dtype=int)
    if args.json:
        print_json({"alerts": int(len(alerts)), "by_detector": {str(k): int(v) for k, v in counts.items()}})
    else:
        print(f"{len(alerts)} alerts" + "".join(f"\n  {k}: {v}" for k, v in counts.items()))


# ----------------------------------------------------------------------------- map and trace


def cmd_map(args: argparse.Namespace) -> int:
    import finintel as fi
    from finintel import graph, viz

    case = fi.open_case(args.case)
    tx = case.transactions()
    alerts = case.alerts()
    title = f"Case {case.path.name}"
    if args.alert:
        hit = alerts[alerts["alert_id"] == args.alert]
        if hit.empty:
            raise InputError(
                f"no alert {args.alert!r} in the case's last screening ({len(alerts)} alerts)", path=str(args.case)
            )
        ids = set(hit.iloc[0]["tx_ids"])
        tx = tx[tx["tx_id"].isin(ids)]
        title += f": alert {args.alert}"
        G: Any = graph.flow_graph(tx)
    elif args.account:
        G = graph.flow_graph(tx)
        if args.account not in G:
            raise InputError(f"account {args.account!r} is not in the case", path=str(args.case))
        G = graph.ego_network(G, args.account, hops=args.hops)
        title += f": {args.hops}-hop network of {args.account}"
    elif args.community is not None:
        G = graph.flow_graph(tx)
        comms = graph.communities(G, seed=0)
        n = int(comms["community"].max()) + 1 if len(comms) else 0
        if not 0 <= args.community < n:
            raise InputError(f"community {args.community} does not exist; the case has {n} (0-{max(n - 1, 0)})")
        G = G.subgraph(comms.loc[comms["community"] == args.community, "node"]).copy()
        title += f": community {args.community}"
    else:
        G = graph.flow_graph(tx)
    out = viz.network_map(G, args.out, alerts=alerts if len(alerts) else None, max_nodes=args.max_nodes, title=title)
    if args.json:
        print_json({"map": str(out), "nodes": G.number_of_nodes(), "edges": G.number_of_edges()})
    else:
        print(out)
    return EXIT_OK


def cmd_trace(args: argparse.Namespace) -> int:
    import finintel as fi
    from finintel import graph

    case = fi.open_case(args.case)
    tx = case.transactions()
    result = graph.trace(
        tx, args.seed, direction=args.direction, rule=args.rule, since=args.since, until=args.until, hops=args.hops
    )
    write_table(result.steps, args.out)
    holders_path = args.holders or args.out.with_name(args.out.stem + "-holders.csv")
    write_table(result.holders, holders_path)
    if args.json:
        print_json(
            {
                "steps": int(len(result.steps)),
                "holders": int(len(result.holders)),
                "out": str(args.out),
                "holders_file": str(holders_path),
            }
        )
    else:
        print(f"{len(result.steps)} steps -> {args.out}\n{len(result.holders)} holders -> {holders_path}")
    return EXIT_OK


# ----------------------------------------------------------------------------- report and run


def cmd_report(args: argparse.Namespace) -> int:
    import finintel as fi
    from finintel.report import write_report

    case = fi.open_case(args.case)
    profile = args.profile or _screening_profile(case.path)
    index = write_report(case, args.out, profile=profile, progress=_progress(args))
    if args.json:
        print_json({"index": str(index)})
    else:
        print(index)
    return EXIT_OK


def _screening_profile(case_path: Path) -> str:
    meta = Path(case_path) / "alerts" / "screening.json"
    if meta.exists():
        return str(json.loads(meta.read_text(encoding="utf-8")).get("profile", "generic"))
    return "generic"


def cmd_run(args: argparse.Namespace) -> int:
    import finintel as fi
    from finintel.report import write_report
    from finintel.screening import screen

    out = Path(args.out)
    cfg = _config(args)
    case = fi.open_case(out / "case")
    summary = _ingest(case, args.files, argparse.Namespace(**{**vars(args), "json": False}))
    if case.manifest().empty:
        raise InputError("none of the files could be ingested; nothing to screen")
    alerts = screen(case, cfg, since=args.since, until=args.until)
    case.write_alerts(alerts)
    _write_screening_meta(case.path, cfg)
    write_table(alerts, out / "alerts.csv")
    index = write_report(case, out, profile=cfg.profile, progress=_progress(args), alerts=alerts)
    failed = int((summary["status"] == "failed").sum())
    if args.json:
        print_json(
            {
                "case": str(case.path),
                "files": int(len(summary)),
                "failed": failed,
                "alerts": int(len(alerts)),
                "index": str(index),
            }
        )
    else:
        print(f"{len(alerts)} alerts; report: {index}")
    if failed:
        return EXIT_BAD_INPUT
    return EXIT_ALERTS if args.fail_on_alerts and len(alerts) else EXIT_OK


# ----------------------------------------------------------------------------- listings


def cmd_detectors(args: argparse.Namespace) -> int:
    from finintel import detect

    table = detect.available()
    if args.json:
        print_json(table.to_dict("records"))
    else:
        for r in table.itertuples():
            print(f"{r.name:<24} {r.description}")
    return EXIT_OK


def cmd_readers(args: argparse.Namespace) -> int:
    import finintel as fi

    table = fi.available_readers()
    if args.json:
        print_json(table.to_dict("records"))
    else:
        for r in table.itertuples():
            print(f"{r.format:<16} v{r.version:<4} {r.description}")
    return EXIT_OK
