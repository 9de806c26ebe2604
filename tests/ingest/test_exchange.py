import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exchange"


def net(tx: pd.DataFrame, key: str, currency: str) -> Decimal:
    """What `key` received minus what it sent, in `currency`."""
    cur = tx[tx["currency"] == currency]
    return cur.loc[cur["receiver"] == key, "amount_exact"].sum() - cur.loc[cur["sender"] == key, "amount_exact"].sum()


@pytest.mark.samples
def test_binance_transaction_history(shared_samples):
    fr = fi.read(shared_samples / "crypto_exchange" / "privatefolio_binance.csv")
    tx = fr.transactions
    assert fr.format == "exchange" and fr.report["variant"] == "binance"
    assert (len(tx), len(fr.rejects)) == (27, 0)  # one transaction per Change row
    user = "exch:binance/11680152"
    assert fr.report["user"] == user and fr.report["trades"] == 7  # 7 distinct UTC_Time of Buy/Sell/Fee rows
    # the user's balance per coin equals the sum of the signed Change column
    assert net(tx, user, "ETH") == Decimal(
        "0.43585882"
    )  # 1.000043 in, 1.1670004 sold, 0.60341964 bought, 0.00060342 fees
    assert net(tx, user, "IOTA") == Decimal("50.84")
    deposits = tx[tx["attributes"].map(lambda a: json.loads(a)["kind"]) == "deposit"]
    assert deposits["amount_exact"].sum() == Decimal("1.000043")
    assert set(deposits["sender"]) == {user + "/external"}
    sell = tx.iloc[2]
    assert (sell["sender"], sell["receiver"], sell["amount_exact"]) == (user, user + "/convert", Decimal("0.4960368"))
    assert json.loads(sell["attributes"])["trade_group"] == "binance:11680152:2017-12-04T20:51:10+00:00"
    assert tx.iloc[4][["receiver", "currency"]].tolist() == ["exch:binance/platform", "IOTA"]  # the Fee row
    assert tx.iloc[8]["amount_exact"] == Decimal("6.0E-7") and tx.iloc[8]["sender"] == "exch:binance/platform"


@pytest.mark.samples
def test_coinbase_wallet_export(shared_samples):
    fr = fi.read(shared_samples / "crypto_exchange" / "yabc_coinbase_sample_coinbase.csv")
    tx = fr.transactions
    assert fr.report["variant"] == "coinbase_wallet" and (len(tx), len(fr.rejects)) == (41, 0)  # 28 rows + 13 fiat legs
    user = "exch:coinbase/cafebabe"  # from the "User,<email>,<id>" preamble line
    assert net(tx, user, "BTC") == Decimal("18.128")  # the Balance column of the last row
    assert tx.iloc[0]["timestamp"] == pd.Timestamp("2007-05-06 01:12", tz="UTC")
    assert tx.iloc[0]["source_row"] == 6
    a = json.loads(tx.iloc[0]["attributes"])
    assert (a["kind"], a["transfer_total"], a["transfer_fee"]) == ("trade", "275", "7.46")
    sends = tx[tx["attributes"].map(lambda a: json.loads(a)["kind"]) == "send"]
    assert sends.iloc[0][["sender", "receiver", "source_row"]].tolist() == [user, user + "/external", 10]
    # fiat legs: 12 buys paid 5137.53 USD from the funding source, one sell returned 1993.93
    usd = tx[tx["currency"] == "USD"]
    assert usd.loc[usd["sender"] == user + "/funding", "amount_exact"].sum() == Decimal("5137.53")
    assert usd.loc[usd["receiver"] == user + "/funding", "amount_exact"].tolist() == [Decimal("1993.93")]


@pytest.mark.samples
def test_coinbase_pro_fills(shared_samples):
    fr = fi.read(shared_samples / "crypto_exchange" / "yabc_coinbase-pro_fills.csv", user="robert")
    tx = fr.transactions
    assert fr.report["variant"] == "coinbase_pro" and len(tx) == 9  # 3 fills x (base, quote, fee)
    user = "exch:coinbase/robert"
    assert tx.iloc[0]["timestamp"] == pd.Timestamp("2020-01-21 21:12:58.902", tz="UTC")
    assert net(tx, user, "USD") == Decimal("1740.27689")  # the SELL's total, net of its 8.74511 fee
    assert net(tx, user, "BTC") == Decimal("-0.2") + Decimal("-0.0099999911") + Decimal("0.0098493498")
    assert tx.iloc[8][["receiver", "amount_exact"]].tolist() == ["exch:coinbase/platform", Decimal("8.74511")]


def test_anonymous_export_gets_a_per_file_user():
    fr = fi.read(FIXTURES / "binance_withdrawals.csv")
    assert fr.report["user"].startswith("exch:binance/file-")


def test_binance_withdrawal_history():
    fr = fi.read(FIXTURES / "binance_withdrawals.csv", user="77")
    tx, rej = fr.transactions, fr.rejects
    assert tx["receiver"].tolist()[:3] == [
        "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
        "eth:0x2222222222222222222222222222222222222222",
        "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ]
    assert tx["currency"].tolist() == ["USDT-TRC20", "USDT-BEP20", "BTC", "USDT-TRC20"]
    assert tx["status"].tolist() == ["completed", "failed", "completed", "completed"]
    # no fee: guessed to be a deposit, and said so
    assert tx.iloc[3][["sender", "receiver"]].tolist() == ["exch:binance/77/external", "exch:binance/77"]
    assert json.loads(tx.iloc[3]["attributes"])["direction_from"] == "fee (guess)"
    assert rej[["source_row", "column"]].values.tolist() == [[5, "Amount"]]
    forced = fi.read(FIXTURES / "binance_withdrawals.csv", user="77", direction="withdrawal").transactions
    assert forced.iloc[3]["receiver"] == "trx:TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
    with pytest.raises(InputError, match="direction"):
        fi.read(FIXTURES / "binance_withdrawals.csv", direction="in")


def test_coinbase_transactions_report():
    fr = fi.read(FIXTURES / "coinbase_report.csv")
    tx, rej = fr.transactions, fr.rejects
    user = "exch:coinbase/5f1e2d3c"
    assert fr.report["variant"] == "coinbase_report" and fr.report["user"] == user
    assert tx["source_row"].tolist() == [7, 7, 8, 9, 9, 10, 11]
    # Buy: BTC in from the conversion account, 425.99 USD out to it
    assert tx.iloc[1][["sender", "receiver", "amount_exact", "currency"]].tolist() == [
        user,
        user + "/convert",
        Decimal("425.99"),
        "USD",
    ]
    assert tx.iloc[2]["receiver"] == "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # Send: address from Notes
    assert tx.iloc[4][["currency", "amount_exact"]].tolist() == ["USDC", Decimal("1141.5")]  # second leg of the Convert
    assert tx.iloc[6]["sender"] == "exch:coinbase/platform"  # Staking Income
    assert rej["source_row"].tolist() == [12, 13]
    assert rej["column"].tolist() == ["Quantity Transacted", "Timestamp"]


def test_truncated_row_and_no_header(tmp_path):
    p = tmp_path / "cut.csv"
    p.write_text(
        '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n"1","2024-01-01 00:00:00","Spot","Deposit","ETH","1",""\n"1","2024-01-0'
    )
    fr = fi.read(p)
    assert len(fr.transactions) == 1 and fr.rejects["source_row"].tolist() == [3]
    bad = tmp_path / "other.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="no Binance or Coinbase header"):
        fi.read(bad, format="exchange")


def test_binance_history_without_user_id_column(tmp_path):
    p = tmp_path / "old.csv"
    p.write_text(
        "UTC_Time,Account,Operation,Coin,Change,Remark\n2019-03-01 10:00:00,Spot,Deposit,USDT,250.5,\n2019-03-01 10:05:00,Spot,Withdraw,USDT,-100,\n"
    )
    tx = fi.read(p, user="kamau").transactions
    assert tx[["sender", "receiver"]].values.tolist() == [
        ["exch:binance/kamau/external", "exch:binance/kamau"],
        ["exch:binance/kamau", "exch:binance/kamau/external"],
    ]


@pytest.mark.samples
def test_overlapping_binance_exports_share_ids(shared_samples, tmp_path):
    src = (shared_samples / "crypto_exchange" / "privatefolio_binance.csv").read_text().splitlines()
    part = tmp_path / "first_half.csv"
    part.write_text("\n".join(src[:10]) + "\n")
    whole = fi.read(shared_samples / "crypto_exchange" / "privatefolio_binance.csv").transactions
    assert whole["tx_id"].is_unique
    assert fi.read(part).transactions["tx_id"].tolist() == whole["tx_id"].tolist()[:9]


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("Deposit", "deposit"),
        ("Fiat Withdraw", "withdrawal"),
        ("Transaction Fee", "fee"),
        ("Funding Fee", "income"),  # futures funding is paid or received, by its sign
        ("Transfer Between Main and Funding Wallet", "internal"),
        ("Simple Earn Flexible Subscription", "internal"),
        ("Transaction Spend", "trade"),
        ("Small assets exchange BNB", "trade"),
        ("P2P Trading", "p2p"),
        ("Binance Card Spending", "p2p"),
        ("Pay", "p2p"),
        ("Crypto Box", "p2p"),
        ("Commission History", "income"),
    ],
)
def test_binance_operations(operation, kind):
    from finintel.ingest.exchange import _kind

    assert _kind(operation) == kind


def test_decimal_comma_is_rejected_not_misread(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text(
        'User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n1,2024-01-01 00:00:00,Spot,Deposit,BTC,"0,5",\n1,2024-01-01 00:00:01,Spot,Deposit,USDT,"1,250.5",\n'
    )
    fr = fi.read(p)
    assert fr.transactions["amount_exact"].tolist() == [Decimal("1250.5")]
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[2, "Change"]]


@pytest.mark.samples
def test_coinbase_user_line_gives_the_holder(shared_samples):
    fr = fi.read(shared_samples / "crypto_exchange" / "yabc_coinbase_sample_coinbase.csv")
    assert fr.parties[["party_id", "email", "source_row"]].values.tolist() == [
        ["exch:coinbase/cafebabe:holder", "fakeboi@fakeyboi.net", 2]
    ]
    assert fr.accounts[["account", "party_id", "role"]].values.tolist() == [
        ["exch:coinbase/cafebabe", "exch:coinbase/cafebabe:holder", "holder"]
    ]
    report = fi.read(FIXTURES / "coinbase_report.csv")
    assert report.parties["name"].tolist() == ["Jane Analyst"]


def test_binance_trade_history():
    fr = fi.read(FIXTURES / "binance_trades.csv", user="kamau")
    tx, user = fr.transactions, "exch:binance/kamau"
    assert fr.report["variant"] == "binance_trades" and len(tx) == 6  # 2 fills x (base, quote, fee)
    assert net(tx, user, "BTC") == Decimal("0.04995")  # bought 0.05, fee 0.00005 BTC
    assert net(tx, user, "USDT") == Decimal("-3100") + Decimal("5100.75") - Decimal("5.10075")
    assert tx.iloc[0][["sender", "source_row"]].tolist() == [user + "/convert", 2]
    assert fr.rejects[["source_row", "column"]].values.tolist() == [[4, "Executed"]]
    assert "like 0.5BTC" in fr.rejects.iloc[0]["problem"]


def test_binance_trade_history_market_columns(tmp_path):
    p = tmp_path / "trades.csv"
    p.write_text(
        "Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin\n2024-03-01 08:00:00,BTCUSDT,BUY,62000,0.05,3100,0.00005,BTC\n2024-03-01 08:00:00,XYZ,SELL,1,1,1,0,XYZ\n"
    )
    fr = fi.read(p, user="kamau")
    assert fr.transactions[["amount_exact", "currency"]].values.tolist() == [
        [Decimal("0.05"), "BTC"],
        [Decimal("3100"), "USDT"],
        [Decimal("0.00005"), "BTC"],
    ]
    assert "cannot split the market 'XYZ'" in fr.rejects.iloc[0]["problem"]
