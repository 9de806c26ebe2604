"""Benchmark: ingest a large goAML report into a case store; rows/s and peak memory.

Writes a synthetic goAML STR of about ``--mb`` megabytes (streamed, so the writer
itself stays small), then, in a fresh child process, ingests it with
``fi.open_case(tmp).ingest(path)`` (the real path: the reader yields batches of
``--batch-rows`` transactions and the store appends each to its Parquet files), and
prints the rows per second and the peak resident memory (``ru_maxrss``) of that
child. Baseline: the goal of at most 500 MB peak for any file size, and the file's
own size (a reader that loaded the whole tree with ``lxml.etree.parse`` would need
several times it).

``--mode read`` measures ``fi.read`` instead, which returns the whole file as one
set of in-memory frames: its memory necessarily grows with the file (the frames
themselves), so only ``Case.ingest`` can be bounded.

Run::

    python benchmarks/ingest_goaml.py --mb 200
    python benchmarks/ingest_goaml.py --mb 400 --mode read

Measured (2 shared cores, load 5-7, so rows/s are of CPU time and noisy), peak RSS
of ``Case.ingest``: before batching (one frame per file) 605 MB at 200 MB and 908 MB
at 400 MB; with batches of 20 000 rows 286 MB at 200 MB, 286 MB at 400 MB and
306 MB at 1000 MB (768 676 transactions). ``--mode read`` at 200 MB: 472 MB.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PERSON = """        <{d}_person>
          <first_name>Person{n}</first_name>
          <last_name>Test</last_name>
          <id_number>{n:08d}</id_number>
          <phones><phone><tph_contact_type>P</tph_contact_type><tph_communication_type>M</tph_communication_type><tph_number>07{p:08d}</tph_number></phone></phones>
        </{d}_person>
"""
_ACCOUNT = """        <{d}_account>
          <institution_name>Bank {b}</institution_name>
          <swift>BANK{b:02d}KENA</swift>
          <account>{n:010d}</account>
          <currency_code>KES</currency_code>
          <signatory><is_primary>true</is_primary><t_person><first_name>Holder{n}</first_name><last_name>Test</last_name><ssn>{n:09d}</ssn></t_person></signatory>
        </{d}_account>
"""


def write_report(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write a goAML report of about `megabytes` MB; returns the number of transactions."""
    rng = random.Random(seed)
    target = int(megabytes * 1e6)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            "<?xml version='1.0' encoding='UTF-8'?>\n<report>\n  <rentity_id>901</rentity_id>\n  <submission_code>E</submission_code>\n"
            "  <report_code>STR</report_code>\n  <entity_reference>BENCH-1</entity_reference>\n"
            "  <submission_date>2026-03-01T09:00:00</submission_date>\n  <currency_code_local>KES</currency_code_local>\n"
            "  <reason>synthetic benchmark report</reason>\n"
        )
        while fh.tell() < target:
            n += 1
            parts = []
            for d in ("from", "to"):
                who = rng.randrange(50_000)
                if rng.random() < 0.5:
                    parts.append(_PERSON.format(d=d, n=who, p=10_000_000 + who))
                else:
                    parts.append(_ACCOUNT.format(d=d, n=who, b=who % 40))
            fh.write(
                f"  <transaction>\n    <transactionnumber>T{n}</transactionnumber>\n"
                f"    <transaction_location>Nairobi</transaction_location>\n"
                f"    <transaction_description>transfer {n}</transaction_description>\n"
                f"    <date_transaction>2026-0{1 + n % 9}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00</date_transaction>\n"
                f"    <transmode_code>K</transmode_code>\n    <amount_local>{rng.randrange(100, 10_000_000) / 100:.2f}</amount_local>\n"
                f"    <t_from_my_client>\n      <from_funds_code>K</from_funds_code>\n{parts[0]}      <from_country>KE</from_country>\n"
                f"    </t_from_my_client>\n    <t_to>\n      <to_funds_code>K</to_funds_code>\n{parts[1]}"
                f"      <to_country>KE</to_country>\n    </t_to>\n  </transaction>\n"
            )
        fh.write("</report>\n")
    return n


_CHILD = """
import inspect, resource, sys, time
import finintel as fi
from finintel.ingest._registry import _load
_load()
path, mode, case_dir, batch_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4] or 0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t, c = time.perf_counter(), time.process_time()
if mode == "read":
    frames = fi.read(path)
    counts = len(frames.transactions), len(frames.rejects), len(frames.parties), len(frames.accounts)
else:
    case = fi.open_case(case_dir)
    kw = {"batch_rows": batch_rows} if batch_rows and "batch_rows" in inspect.signature(case.ingest).parameters else {}
    case.ingest(path, **kw)
    m = case.manifest().iloc[0]
    counts = int(m["rows_written"]), int(m["rows_rejected"]), int(m["parties"]), int(m["accounts"])
dt, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(*counts, dt, cpu, peak, base)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the generated report in MB")
    parser.add_argument(
        "--mode", choices=("ingest", "read"), default="ingest", help="Case.ingest (bounded) or fi.read (whole file)"
    )
    parser.add_argument(
        "--batch-rows", type=int, default=None, help="transactions per batch (ingest mode; default: the store's)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_goaml.xml"
        t = time.perf_counter()
        n = write_report(path, args.mb)
        size = path.stat().st_size / 1e6
        print(f"wrote {size:.0f} MB, {n:,} transactions in {time.perf_counter() - t:.1f} s")
        case = Path(tmp) / "case"
        cmd = [sys.executable, "-c", _CHILD, str(path), args.mode, str(case), str(args.batch_rows or "")]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        tx, rej, parties, accounts, seconds, cpu, peak, base = out.stdout.split()
        rate = (int(tx) + int(rej)) / float(cpu)
        print(
            f"{'fi.read' if args.mode == 'read' else 'Case.ingest'}: {int(tx):,} transactions, {int(rej):,} rejects, {int(parties):,} parties, {int(accounts):,} accounts"
        )
        print(
            f"wall {float(seconds):.1f} s, CPU {float(cpu):.1f} s: {rate:,.0f} rows/s, {size / float(cpu):.1f} MB/s of CPU time"
        )
        print(
            f"peak RSS {float(peak):.0f} MB ({float(base):.0f} MB after imports) = {float(peak) / 500:.2f} x the 500 MB goal, "
            f"{float(peak) / size:.2f} x the file size"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
