"""Gather functions of the whole-frame detectors: the rows they keep give exactly the alerts of the whole frame."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finintel as fi
from finintel.datasets import load_sample
from finintel.profiles import get_profile, resolve_params
from finintel.testing import transactions

WHOLE = ("watchlist", "crypto_exposure", "fiat_crypto_offramp", "shared_identifiers")


def scan_of(tx: pd.DataFrame, size: int) -> Callable[..., Iterator[pd.DataFrame]]:
    """What the partitioned engine hands a gather function: the frame again, `size` rows at a time."""

    def scan(columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        for i in range(0, len(tx), size):
            chunk = tx.iloc[i : i + size]
            yield chunk if columns is None else chunk[columns]

    return scan


def gathered(name: str, tx: pd.DataFrame, size: int = 500, profile: str = "KE", **ctx: Any) -> pd.DataFrame:
    det = fi.detect.get(name)
    params = resolve_params(name, det.defaults, get_profile(profile), {})
    assert det.gather is not None
    return det.gather(scan_of(tx, size), params, **ctx)


def assert_exact(name: str, tx: pd.DataFrame, size: int = 500, profile: str = "KE", **ctx: Any) -> pd.DataFrame:
    """Same alerts (every column: ids, evidence, scores, reasons) on the gathered rows as on `tx`; returns them."""
    det = fi.detect.get(name)
    kept = gathered(name, tx, size, profile, **ctx)
    assert kept["tx_id"].is_unique and set(kept["tx_id"]) <= set(tx["tx_id"])
    assert list(kept.columns) == list(tx.columns) and (kept["status"].fillna("completed") == "completed").all()
    whole = det(tx, profile=profile, **ctx)
    pd.testing.assert_frame_equal(det(kept, profile=profile, **ctx), whole)
    return kept


@pytest.fixture(scope="module")
def ledger() -> Any:
    return load_sample("ledger")


def test_all_whole_frame_detectors_declare_a_gather() -> None:
    none = fi.detect.available().query("partition == 'none'")["name"]
    assert set(WHOLE) <= set(none)
    assert all(fi.detect.get(n).gather is not None for n in WHOLE)


def test_watchlist_on_the_sample_case(ledger: Any) -> None:
    tx = ledger.transactions
    wl = load_sample("watchlist")
    kept = assert_exact("watchlist", tx, watchlist=wl)
    alerts = fi.detect.get("watchlist")(tx, profile="KE", watchlist=wl)
    assert len(alerts) == 7
    # exactly the evidence of the alerts, nothing else: 46 of 4,000 rows
    assert set(kept["tx_id"]) == {t for ids in alerts["tx_ids"] for t in ids}
    assert len(kept) == 46


def test_watchlist_keeps_listed_wallets_and_only_the_screened_sides() -> None:
    wallet = "trx:TQ5NMKUcXRGzqUxddnVPGBvSNhCEEYsyyc"
    wl = pd.DataFrame({"id": ["L1", "L2"], "name": ["Tekle Berhane Gebremariam", "Sahel Transport"],
                       "identifiers": ["", "TQ5NMKUcXRGzqUxddnVPGBvSNhCEEYsyyc"]})  # fmt: skip
    tx = transactions(
        [
            ("acct:B/1", "acct:B/2", 100, "2024-03-01", {"sender_name": "GEBREMARIAM Tekle Berhane"}),  # name hit
            ("acct:B/3", "acct:B/1", 100, "2024-03-02", {"receiver_name": "Tekle Berhane Gebremariam"}),  # receiver
            ("acct:B/4", wallet, 100, "2024-03-03"),  # listed wallet received
            ("acct:B/5", "acct:B/6", 100, "2024-03-04", {"sender_name": "Tekle Haile"}),  # shares a token, scores < 90
            (
                "acct:B/1",
                "acct:B/2",
                100,
                "2024-03-05",
                {"sender_name": "GEBREMARIAM Tekle Berhane", "status": "failed"},
            ),
        ]
    )
    assert sorted(gathered("watchlist", tx, size=2, watchlist=wl)["tx_id"]) == ["t1", "t2", "t3"]
    params = {**fi.detect.get("watchlist").defaults, "sides": ("sender",)}
    kept = fi.detect.get("watchlist").gather(scan_of(tx, 2), params, watchlist=wl)  # type: ignore[misc]
    assert sorted(kept["tx_id"]) == ["t1"]
    assert gathered("watchlist", tx, watchlist=None).empty
    assert_exact("watchlist", tx, size=1, watchlist=wl)


def test_crypto_exposure_on_the_sample_case(ledger: Any) -> None:
    tx = ledger.transactions
    tags = load_sample("tags")
    kept = assert_exact("crypto_exposure", tx, tags=tags)
    assert len(fi.detect.get("crypto_exposure")(tx, profile="KE", tags=tags)) == 34
    assert len(kept) == 157  # of 4,000


def test_crypto_exposure_keeps_the_second_hop_rows_only_when_asked() -> None:
    bad = "eth:0x1111111111111111111111111111111111111111"
    tags = pd.DataFrame({"key": [bad], "tag": ["Lazarus"], "category": ["sanctions"]})
    tx = transactions(
        [
            ("eth:0xa", "eth:0xb", 2, "2024-01-01"),  # a paid b, b paid the tag: hop-2 "to" row
            ("eth:0xb", bad, 1.5, "2024-01-02"),  # direct
            (bad, "eth:0xm", 3, "2024-01-02"),  # direct
            ("eth:0xm", "eth:0xlate", 2.9, "2024-01-03"),  # m received from the tag: hop-2 "from" row
            ("eth:0xlate", "eth:0xz", 2.8, "2024-01-04"),  # three hops away: not read
            ("eth:0xq", "eth:0xr", 9, "2024-01-04"),  # unrelated
        ],
        currency="ETH",
        channel="crypto",
    )
    assert sorted(gathered("crypto_exposure", tx, size=1, tags=tags)["tx_id"]) == ["t1", "t2", "t3", "t4"]
    det = fi.detect.get("crypto_exposure")
    params = {**det.defaults, "max_hops": 1}
    assert sorted(det.gather(scan_of(tx, 1), params, tags=tags)["tx_id"]) == ["t2", "t3"]  # type: ignore[misc]
    assert_exact("crypto_exposure", tx, size=4, tags=tags)


def test_fiat_crypto_offramp_on_the_sample_case(ledger: Any) -> None:
    tx = ledger.transactions
    ctx = {"accounts": ledger.accounts, "parties": ledger.parties}
    kept = assert_exact("fiat_crypto_offramp", tx, **ctx)
    assert len(fi.detect.get("fiat_crypto_offramp")(tx, profile="KE", **ctx)) == 1
    assert len(kept) < len(tx) / 10


A, C, W = "msisdn:+254711111111", "msisdn:+254722222222", "trx:TWalletOfA"


def _offramp(n_namesakes: int, noise: int = 200) -> pd.DataFrame:
    """John Kamau pays a trader, USDT comes back to a wallet named KAMAU JOHN, and `n_namesakes` other
    accounts named John Kamau pay a shop, among `noise` unrelated transfers."""
    rows: list[dict[str, Any]] = [
        {"sender": A, "receiver": C, "amount": 129_000.0, "timestamp": "2024-05-01 10:00", "sender_name": "John Kamau",
         "receiver_name": "P2P Trader Ltd", "channel": "mobile_money"},
        {"sender": "trx:TTrader", "receiver": W, "amount": 985.0, "timestamp": "2024-05-01 10:20",
         "currency": "USDT-TRC20", "channel": "crypto", "receiver_name": "KAMAU JOHN"},
    ]  # fmt: skip
    every = max(noise // max(n_namesakes, 1), 1)
    for i in range(noise):
        rows.append({"sender": f"msisdn:+2547000{i:05d}", "receiver": "paybill:888880", "amount": 500.0 + i,
                     "timestamp": f"2024-05-{1 + i % 28:02d} 08:00", "sender_name": f"Person {i} Noise"})  # fmt: skip
        if i % every == 0 and i // every < n_namesakes:
            rows.append({"sender": f"msisdn:+2547990{i:05d}", "receiver": "paybill:888880", "amount": 700.0,
                         "timestamp": "2024-05-02 09:00", "sender_name": "JOHN KAMAU"})  # fmt: skip
    rows.append({"sender": W, "receiver": "trx:TShop", "amount": 10.0, "timestamp": "2024-05-09 10:00",
                 "currency": "USDT-TRC20", "channel": "crypto", "sender_name": "Kamau John"})  # fmt: skip
    return transactions(rows)


@pytest.mark.parametrize(("namesakes", "alerts"), [(0, 1), (2, 1), (3, 0), (5, 0)])
def test_fiat_crypto_offramp_common_names_are_decided_as_on_the_whole_frame(namesakes: int, alerts: int) -> None:
    # A and W carry the name; up to 4 accounts per name link holders (owner_keys' max_accounts_per_name),
    # so 2 namesakes still link A to W (4 accounts) and 3 make "john kamau" a common name (5 accounts)
    tx = _offramp(namesakes)
    kept = assert_exact("fiat_crypto_offramp", tx, size=7)
    assert len(fi.detect.get("fiat_crypto_offramp")(tx, profile="KE")) == alerts
    # the payment and the credit (which show A's and W's names) and at most 5 - 2 = 3 namesakes; not W's
    # later small transfer (its name is already shown) nor the 200 noise rows
    assert len(kept) == 2 + min(namesakes, 3)


def test_fiat_crypto_offramp_keeps_only_payers_sharing_a_holder_with_a_wallet() -> None:
    # 30 large payments followed by the credit, from payers whose names no wallet carries: never pairable
    big = [{"sender": f"msisdn:+2547110{i:05d}", "receiver": C, "amount": 200_000.0, "timestamp": "2024-05-01 09:00",
            "sender_name": f"Payer Number{chr(65 + i % 26)}{i}", "channel": "mobile_money"} for i in range(30)]  # fmt: skip
    tx = transactions([*big, *_offramp(0, noise=20).drop(columns="tx_id").to_dict("records")])
    kept = assert_exact("fiat_crypto_offramp", tx, size=9)
    # A's payment and the credit to W (both named John Kamau), not the 30 payments nor the noise
    assert sorted(kept["sender"]) == sorted([A, "trx:TTrader"])
    accounts = pd.DataFrame({"account": [W, "msisdn:+254711000003"], "party_id": ["P7", "P7"]})
    kept = assert_exact("fiat_crypto_offramp", tx, size=9, accounts=accounts)  # one payer is W's holder
    assert sorted(kept["sender"]) == sorted([A, "msisdn:+254711000003", "trx:TTrader"])


def test_fiat_crypto_offramp_names_from_the_accounts_frame() -> None:
    tx = _offramp(3)  # 5 accounts named John Kamau: no link by name
    accounts = pd.DataFrame({"account": [A, W, C], "party_id": ["P1", "P1", "P9"]})
    out = fi.detect.get("fiat_crypto_offramp")(tx, profile="KE", accounts=accounts)
    assert out["link"].tolist() == ["party:P1"]
    assert_exact("fiat_crypto_offramp", tx, size=25, accounts=accounts)
    # the accounts frame names the wallet's holder too: still 5 John Kamau accounts, a common name
    named = accounts.assign(account_name=["", "John KAMAU", "Trader"])
    assert_exact("fiat_crypto_offramp", tx, size=25, accounts=named)


def _shared_case(ledger: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The sample case with three holders of active accounts sharing one phone, one of them flagged."""
    tx, accounts, parties = ledger.transactions, ledger.accounts, ledger.parties
    active = tx["sender"].value_counts()
    held = accounts[accounts["account"].isin(active.index[:40])].drop_duplicates("party_id").iloc[[0, 5, 9]]
    parties = parties.copy()
    parties.loc[parties["party_id"].isin(held["party_id"]), "phone"] = "+254 799 123 456"
    flagged = pd.DataFrame({"entity": [held["account"].iloc[0]], "detector": ["structuring"], "score": [0.8]})
    return held, parties, flagged


def test_shared_identifiers_on_the_sample_case(ledger: Any) -> None:
    held, parties, flagged = _shared_case(ledger)
    tx = ledger.transactions
    ctx = {"accounts": ledger.accounts, "parties": parties, "alerts": flagged}
    kept = assert_exact("shared_identifiers", tx, **ctx)
    out = fi.detect.get("shared_identifiers")(tx, profile="KE", **ctx)
    assert set(held["account"].iloc[1:]) <= set(out["entity"])
    assert len(kept) < len(tx) / 10
    assert gathered("shared_identifiers", tx, accounts=None).empty


@pytest.mark.parametrize("name", WHOLE)
def test_chunk_boundaries_do_not_matter(name: str, ledger: Any) -> None:
    held, parties, flagged = _shared_case(ledger)
    ctx = {
        "watchlist": {"watchlist": load_sample("watchlist")},
        "crypto_exposure": {"tags": load_sample("tags")},
        "fiat_crypto_offramp": {"accounts": ledger.accounts, "parties": ledger.parties},
        "shared_identifiers": {"accounts": ledger.accounts, "parties": parties, "alerts": flagged},
    }[name]
    # up to 80 rows the detector reads in the sample case, among 80 others (chunks of one row are slow)
    full = ledger.transactions
    needed = full["tx_id"].isin(gathered(name, full, size=10_000, **ctx)["tx_id"])
    tx = full[(needed & (needed.cumsum() <= 80)) | (full.index < 80)]
    one = gathered(name, tx, size=1, **ctx)
    whole = gathered(name, tx, size=10_000, **ctx)
    assert len(one) > 10
    pd.testing.assert_frame_equal(one, whole)


def test_fiat_namesake_witnesses_do_not_depend_on_chunks() -> None:
    tx = _offramp(5, noise=30)
    frames = [gathered("fiat_crypto_offramp", tx, size=s) for s in (1, 2, 7, 10_000)]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(f, frames[0])


KEYS = st.sampled_from([f"eth:0x{i:x}" for i in range(8)])
NAMES = st.sampled_from(["", "John Kamau", "KAMAU John", "Tekle Berhane", "Amina Yusuf Ali", "Grace W"])


@st.composite
def ledgers(draw: st.DrawFn, extra: Callable[[st.DrawFn], dict[str, Any]] | None = None) -> pd.DataFrame:
    n = draw(st.integers(1, 20))
    rows = []
    for _ in range(n):
        s, r = draw(KEYS), draw(KEYS)
        rows.append(
            {
                "sender": s,
                "receiver": r,
                "amount": float(draw(st.integers(1, 300))),
                "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(hours=draw(st.integers(0, 96))),
                "sender_name": draw(NAMES) or None,
                "receiver_name": draw(NAMES) or None,
                "status": draw(st.sampled_from(["completed", "completed", "failed"])),
                **(extra(draw) if extra else {}),
            }
        )
    return transactions(rows, currency="ETH", channel="crypto")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=ledgers(), size=st.sampled_from([1, 3, 100]), tagged=st.sets(KEYS, min_size=1, max_size=3))
def test_crypto_exposure_property(tx: pd.DataFrame, size: int, tagged: set[str]) -> None:
    tags = pd.DataFrame({"key": sorted(tagged), "tag": "t", "category": "scam"})
    assert_exact("crypto_exposure", tx, size=size, tags=tags)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=ledgers(), size=st.sampled_from([1, 3, 100]), wallet=KEYS)
def test_watchlist_property(tx: pd.DataFrame, size: int, wallet: str) -> None:
    wl = pd.DataFrame({"id": ["L1", "L2"], "name": ["Kamau John", "Yusuf Amina"], "aliases": ["", "A. Y. Ali"],
                       "identifiers": ["", "0x" + "0" * 39 + wallet[-1]]})  # fmt: skip
    assert_exact("watchlist", tx, size=size, watchlist=wl)


def _fiat_columns(draw: st.DrawFn) -> dict[str, Any]:
    coin = draw(st.booleans())
    return {"currency": "USDT-TRC20" if coin else "KES", "channel": "crypto" if coin else "mobile_money",
            "amount": float(draw(st.sampled_from([1_000, 1_010, 129_000, 130_000])))}  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=ledgers(_fiat_columns), size=st.sampled_from([2, 5, 100]))
def test_fiat_crypto_offramp_property(tx: pd.DataFrame, size: int) -> None:
    # few names on few accounts: links, common names (more than 4 accounts) and same-holder traders all occur
    assert_exact("fiat_crypto_offramp", tx, size=size)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tx=ledgers(),
    phones=st.lists(st.sampled_from(["+254700000001", "+254700000002", "N/A"]), min_size=8, max_size=8),
    flagged=st.sets(KEYS, max_size=2),
    holders=st.lists(st.integers(0, 5), min_size=8, max_size=8),
)
def test_shared_identifiers_property(
    tx: pd.DataFrame, phones: list[str], flagged: set[str], holders: list[int]
) -> None:
    # 8 accounts held by up to 6 parties, whose phones are shared or placeholders
    accounts = pd.DataFrame({"account": [f"eth:0x{i:x}" for i in range(8)], "party_id": [f"p{h}" for h in holders]})
    parties = pd.DataFrame({"party_id": [f"p{i}" for i in range(6)], "name": [f"Holder {chr(65 + i)}x" for i in range(6)],
                            "phone": phones[:6]})  # fmt: skip
    alerts = pd.DataFrame({"entity": sorted(flagged), "detector": "structuring", "score": 0.9})
    # every account transfers once (the detector cannot yet alert an account without transfers: NaT start)
    own = transactions([{"tx_id": f"s{i}", "sender": f"eth:0x{i:x}", "receiver": "eth:0xff", "amount": 1.0,
                         "timestamp": "2024-02-01"} for i in range(8)])  # fmt: skip
    tx = pd.concat([tx, own], ignore_index=True)
    assert_exact("shared_identifiers", tx, size=4, accounts=accounts, parties=parties, alerts=alerts)
