"""Round trips: a synthetic ledger written by the generator's export writers and read back by ``fi.read``.

Each export is detected by content, and its rows must be the ledger's rows for the tx_ids the
writer reports: same count, exact amounts, currency, status, timestamps to the precision the
format keeps, and the account keys the format carries. Rows are matched by the id the format
keeps (receipt, reference, hash), never by position. Keys are compared exactly: a bank named by
its BIC (goAML, OFX, ISO 20022, MT103) and by its name (statements, the ledger) is one institution
(:func:`finintel.schema.institutions.canonical_institution`).

What a format cannot carry, and is therefore not compared:

* M-PESA statement: time to the second (kept); a bank account on the other side shows as the
  bank's pay-bill (``paybill:247247``), not the account behind it; cash agents are named by till.
* Bank statement CSV: dates only (East Africa Time); the branch of a cash deposit
  (``cash:branch``); the closing-balance line is one reject per file, explained.
* MT940: dates only (value date); counterparties come from free-text ``:86:`` and are compared
  only for mobile-money wallets (``MPESA B2C 2547…``), the one kind a free text names exactly.
* Etherscan and TronScan: everything compared (addresses are the accounts).
* OFX: times to the second (kept); counterparties only where ``BANKACCTTO`` names an account (a
  wallet or cash point is only a ``NAME``/``MEMO``).
* camt.053: booking times to the second (``BookgDt/DtTm``); counterparties only where ``RltdPties``
  gives an account (a wallet is a name, cash at the counter is the bank's cash point).
* pacs.008: settlement dates only (``IntrBkSttlmDt``, East Africa Time); debtor and creditor
  accounts compared; only account-to-account transfers are written.
* MT103: value dates only (``:32A:``); ordering and beneficiary accounts compared; only
  account-to-account transfers are written.
* MTN MoMo: everything but non-wallet counterparties (merchants and agents are ``FRI:<code>/USER``
  handles, keyed by the reader as MoMo accounts).
* telebirr: times to the second; wallet counterparties compared (``<number> - <NAME>``); agents,
  merchants and banks are numbers without a kind the reader could key like the ledger.
* goAML: times to the second; cash agents are reported as the agent's registered business
  (``party:reg/…``), not compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import finintel as fi
from finintel.synth._export_iso20022 import write_camt053, write_pacs008
from finintel.synth._export_mobile import write_mtn_momo, write_telebirr
from finintel.synth._export_ofx import write_ofx
from finintel.synth._export_swift import write_mt103, write_mt940

EAT = "Africa/Nairobi"


@dataclass(frozen=True)
class Spec:
    """How to check one format: the canonical id of a read row, timestamp precision, comparable keys."""

    ref: Callable[[pd.DataFrame], pd.Series]
    dates_only: bool = False
    counterparty: Callable[[str], bool] = lambda key: True
    options: dict[str, Any] = field(default_factory=dict)
    closing_line: bool = False


def _attr(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda got: got["attributes"].map(lambda s: json.loads(s).get(name))


def _attr_ref(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda got: got["attributes"].map(lambda s: json.loads(s)["refs"].get(name))


def _after(sep: str, pos: int) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda got: got["tx_id"].str.split(sep).str[pos]


SPECS: dict[str, Spec] = {
    "mpesa": Spec(ref=_after(":", 1), counterparty=lambda k: k.startswith(("msisdn:", "paybill:"))),
    "bank_csv": Spec(
        ref=_attr("reference"), dates_only=True, counterparty=lambda k: not k.startswith("cash:"), closing_line=True
    ),
    "etherscan": Spec(ref=_after(":", 1)),
    "tronscan": Spec(ref=_after(":", 1)),
    "goaml": Spec(ref=_after("/", -1), counterparty=lambda k: not k.startswith("cash:")),
    "mt940": Spec(
        ref=_attr("customer_reference"),
        dates_only=True,
        counterparty=lambda k: k.startswith("msisdn:+254"),
        options={"tz": EAT},
    ),
    "camt053": Spec(ref=_after(":", 1), counterparty=lambda k: k.startswith(("acct:", "iban:"))),
    "pacs008": Spec(ref=_attr_ref("EndToEndId"), dates_only=True, options={"tz": EAT}),
    "mt103": Spec(ref=_attr("sender_reference"), dates_only=True, options={"tz": EAT}),
    "mtn_momo": Spec(ref=_after(":", 1), counterparty=lambda k: k.startswith("msisdn:")),
    "telebirr": Spec(ref=_after(":", 1), counterparty=lambda k: k.startswith("msisdn:")),
    "ofx": Spec(ref=_after(":", -1), counterparty=lambda k: k.startswith(("acct:", "iban:"))),
}

READER = {"camt053": "iso20022", "pacs008": "iso20022"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, pd.DataFrame]:
    led = fi.synth.generate(n_transactions=1500, seed=11)
    folder = tmp_path_factory.mktemp("roundtrip")
    written = fi.synth.write_exports(led, folder)
    extra = []
    for i, account in enumerate(fi.synth.default_selection(led)["bank_csv"]):
        for fmt, writer, name in (
            ("mt940", write_mt940, f"statement_{i}.sta"),
            ("ofx", write_ofx, f"statement_{i}.ofx"),
            ("camt053", write_camt053, f"camt053_{i}.xml"),
            ("pacs008", write_pacs008, f"pacs008_{i}.xml"),
            ("mt103", write_mt103, f"mt103_{i}.rje"),
        ):
            ids = writer(led, folder / name, account=account)  # a Ledger or its transactions frame
            if not ids:  # no transfer of that kind: a bank would send no file
                continue
            extra.append({"file": name, "format": fmt, "account": account, "rows": len(ids), "tx_ids": ids})
    wallets = pd.concat([led.transactions["sender"], led.transactions["receiver"]]).value_counts()
    for fmt, writer, prefix in (
        ("mtn_momo", write_mtn_momo, "msisdn:+256"),
        ("telebirr", write_telebirr, "msisdn:+251"),
    ):
        for account in [k for k in wallets.index if k.startswith(prefix)][:2]:  # the two busiest wallets
            name = f"{fmt}_{account[8:]}.csv"
            ids = writer(led.transactions, folder / name, account=account)
            extra.append({"file": name, "format": fmt, "account": account, "rows": len(ids), "tx_ids": ids})
    return led, folder, pd.concat([written, pd.DataFrame(extra)], ignore_index=True)


@pytest.mark.parametrize("fmt", list(SPECS))
def test_roundtrip_recovers_the_ledger_rows(exported: tuple[Any, Path, pd.DataFrame], fmt: str) -> None:
    led, folder, written = exported
    spec = SPECS[fmt]
    ledger = led.transactions.set_index("tx_id")
    files = written[written["format"] == fmt]
    if fmt == "bank_csv":
        files = files.head(3)  # the third is the Money Out/Money In layout
    elif fmt not in ("goaml", "tronscan"):
        files = files.nlargest(3, "rows")  # the busiest statements: enough to check, and fast
    assert len(files) >= 1 and files["rows"].sum() >= 5, "the ledger gave this format too little to check"
    compared = {"rows": 0, "counterparties": 0}
    for row in files.itertuples():
        frames = fi.read(folder / row.file, **spec.options)
        assert frames.format == READER.get(fmt, fmt), f"{row.file} detected as {frames.format}"
        got = frames.transactions.copy()
        got.index = pd.Index(spec.ref(got), name="ref")
        if spec.closing_line:
            assert len(frames.rejects) == 1 and str(frames.rejects["raw"].iloc[0]).startswith("Closing Balance")
        else:
            assert frames.rejects.empty, frames.rejects[["source_row", "problem"]].to_string()
        want = ledger.loc[row.tx_ids]
        assert len(got) == len(want) == row.rows
        assert got.index.is_unique and set(got.index) == set(want.index)
        got = got.loc[want.index]
        assert [str(a) for a in got["amount_exact"]] == [str(a) for a in want["amount_exact"]], row.file
        assert got["currency"].tolist() == want["currency"].tolist()
        assert got["status"].tolist() == want["status"].tolist()
        if spec.dates_only:
            assert (got["timestamp"].dt.tz_convert(EAT).dt.hour == 0).all()
            assert (
                got["timestamp"].dt.tz_convert(EAT).dt.date.tolist()
                == want["timestamp"].dt.tz_convert(EAT).dt.date.tolist()
            )
        else:
            assert got["timestamp"].tolist() == want["timestamp"].tolist()
        for side in ("sender", "receiver"):
            for g, w, other in zip(
                got[side], want[side], want["receiver" if side == "sender" else "sender"], strict=True
            ):
                if row.account is not None and row.account not in (w, other):
                    raise AssertionError(f"{row.file}: a row not touching {row.account}")
                if w == row.account or spec.counterparty(w):
                    assert g == w, f"{row.file} {side}: read {g}, ledger {w}"
                    compared["counterparties"] += w != row.account
        compared["rows"] += len(got)
    assert compared["rows"] == files["rows"].sum()
    assert compared["counterparties"] > 0  # every format checks some key beyond the statement owner


def test_writers_keep_the_formats_field_limits(exported: tuple[Any, Path, pd.DataFrame]) -> None:
    """SWIFT x lines of 65 (:86:, at most 6) and 35 (MT103 parties); OFX NAME 32; ISO 20022 v08 namespaces."""
    _, folder, written = exported
    for name in written.loc[written["format"] == "mt940", "file"]:
        lines = (folder / name).read_bytes().decode("ascii").split("\r\n")  # SWIFT lines end CR LF
        info = [i for i, line in enumerate(lines) if line.startswith(":86:")]
        assert info
        for i in info:
            block = [lines[i][4:]] + [x for x in lines[i + 1 : i + 6] if x and not x.startswith(":")]
            assert all(len(x) <= 65 for x in block) and len(block) <= 6
        assert all(len(x.split("NTRF", 1)[1].split("//")[0]) <= 16 for x in lines if x.startswith(":61:"))
    for name in written.loc[written["format"] == "mt103", "file"]:
        messages = (folder / name).read_bytes().decode("ascii").split("\r\n$\r\n")
        assert len(messages) == written.set_index("file").loc[name, "rows"]
        body = [x for m in messages for x in m.split("\r\n") if not x.startswith(("{", ":", "-}"))]
        assert all(len(x) <= 35 for x in body)
    for name in written.loc[written["format"] == "ofx", "file"]:
        text = (folder / name).read_text()
        assert text.startswith('<?xml version="1.0"') and 'OFXHEADER="200" VERSION="220"' in text
        names = [x.split("<NAME>")[1].split("</NAME>")[0] for x in text.splitlines() if "<NAME>" in x]
        assert names and all(len(x) <= 32 for x in names)
    for fmt, ns in (("camt053", "camt.053.001.08"), ("pacs008", "pacs.008.001.08")):
        for name in written.loc[written["format"] == fmt, "file"]:
            assert f'xmlns="urn:iso:std:iso:20022:tech:xsd:{ns}"' in (folder / name).read_text()


def test_mpesa_pay_bill_to_a_bank_lands_in_the_bank_account(exported: tuple[Any, Path, pd.DataFrame]) -> None:
    """``Pay Bill to 247247 - Equity Paybill Account Acc. <no>`` reads as the ledger's Equity account."""
    led, folder, written = exported
    ledger = led.transactions.set_index("tx_id")
    checked = 0
    for name in written.loc[written["format"] == "mpesa", "file"]:
        if "Paybill Account Acc." not in (folder / name).read_text():
            continue
        got = fi.read(folder / name).transactions
        got = got[got["description"].str.startswith("Pay Bill to") & got["description"].str.contains(" Acc. ")]
        for row in got.itertuples():
            assert row.receiver == ledger.loc[row.tx_id.split(":", 1)[1], "receiver"]
            assert row.receiver.startswith("acct:")
            checked += 1
    assert checked >= 2
