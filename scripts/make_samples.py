"""Regenerate data/samples (the bundled synthetic case) deterministically.

Usage::

    python scripts/make_samples.py            # writes data/samples/
    python scripts/make_samples.py OUT_DIR    # writes elsewhere (e.g. to diff against the committed files)

The ledger comes from ``finintel.synth.generate(**finintel.synth.SAMPLE_ARGS)``; running the
script twice gives the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from finintel.synth import make_samples


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "data" / "samples"
    out.mkdir(parents=True, exist_ok=True)
    written = make_samples(out)
    for row in written.itertuples():
        print(f"{row.format:10} {row.rows:5d} rows  {row.file}")
    print(f"{len(written)} export files, {int(written['rows'].sum())} rows, in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
