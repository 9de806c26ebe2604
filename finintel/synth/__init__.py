"""Synthetic ledgers with planted, labelled typologies, and the export files they would come in.

>>> import finintel as fi
>>> led = fi.synth.generate(3_000, seed=7)
>>> int((led.truth["typology"] == "fan_in").sum())
2

See :func:`generate` for the parameters and :func:`write_exports` for the files.
"""

from finintel.synth._exports import EXPORT_COLUMNS, default_selection, write_exports
from finintel.synth._generate import SLOW_TYPOLOGIES, TYPOLOGIES, Ledger, generate
from finintel.synth._plant import TRUTH_COLUMNS
from finintel.synth._samples import SAMPLE_ARGS, make_samples, sample_ledger

__all__ = [
    "EXPORT_COLUMNS",
    "SAMPLE_ARGS",
    "SLOW_TYPOLOGIES",
    "TRUTH_COLUMNS",
    "TYPOLOGIES",
    "Ledger",
    "default_selection",
    "generate",
    "make_samples",
    "sample_ledger",
    "write_exports",
]
