import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import finintel as fi
from finintel.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "etherscan"
SUBJECT = "eth:0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"


@pytest.mark.samples
def test_normal_transactions_sample(shared_samples):
    fr = fi.read(shared_samples / "crypto_etherscan" / "privatefolio_0xf98_etherscan.csv")
    tx = fr.transactions
    assert fr.format == "etherscan" and (len(tx), len(fr.rejects)) == (9, 0)
    assert fr.report == {"kind": "normal", "chain": "ethereum", "address": SUBJECT}
    assert fr.accounts[["account", "institution_code"]].values.tolist() == [[SUBJECT, "ethereum"]]
    first = tx.iloc[0]
    assert first["tx_id"] == "eth:0xbed75f8508fff302e3d6bd6ecb006f33c27d4d17013d9d93f129cb14896df07c:normal:1"
    assert (first["sender"], first["receiver"]) == ("eth:0x75e7f640bf6968b6f32c47a3cd82c3c2c9dcae68", SUBJECT)
    assert first["amount_exact"] == Decimal("0.09") and first["currency"] == "ETH"
    assert first["timestamp"] == pd.Timestamp("2017-09-09 11:58:09", tz="UTC")
    assert json.loads(first["attributes"])["TxnFee(ETH)"] == "0.0011781"
    assert tx.loc[tx["receiver"] == SUBJECT, "amount_exact"].sum() == Decimal("5.151643")
    assert tx.loc[tx["sender"] == SUBJECT, "amount_exact"].sum() == Decimal("5.149064038")
    assert (tx["status"] == "completed").all() and tx["source_row"].tolist() == list(range(2, 11))


@pytest.mark.samples
def test_erc20_sample_keeps_exact_values(shared_samples):
    fr = fi.read(shared_samples / "crypto_etherscan" / "privatefolio_0xf98_etherscan-erc20.csv")
    tx = fr.transactions
    assert (len(tx), len(fr.rejects), fr.report["kind"]) == (8, 0, "token")
    assert tx.iloc[0]["amount_exact"] == Decimal("319.22562200498686051")
    assert tx.iloc[0]["currency"] == "XNN-ERC20"
    assert tx.iloc[7]["amount_exact"] == Decimal("2.117826656607921801")
    # token mints come from the zero address
    assert (tx["sender"] == "eth:0x0000000000000000000000000000000000000000").sum() == 2
    assert (tx["receiver"] == SUBJECT).all()


@pytest.mark.samples
def test_header_only_export_is_zero_rows(shared_samples):
    fr = fi.read(shared_samples / "crypto_etherscan" / "privatefolio_0xf98_etherscan-internal_header_only.csv")
    assert fr.format == "etherscan" and fr.transactions.empty and fr.rejects.empty and fr.rows_read == 0
    assert fr.report["kind"] == "internal"


@pytest.mark.samples
def test_same_hash_in_normal_and_token_exports_gets_distinct_ids(shared_samples):
    folder = shared_samples / "crypto_etherscan"
    both = pd.concat(
        [
            fi.read(folder / n).transactions
            for n in ("privatefolio_0xf98_etherscan.csv", "privatefolio_0xf98_etherscan-erc20.csv")
        ]
    )
    assert both["tx_id"].is_unique
    shared = both[both["tx_id"].str.contains("0xca53366c")]
    assert sorted(shared["currency"]) == ["ETH", "LOOM-ERC20"]


def test_bscscan_failed_zero_value_and_bad_rows():
    fr = fi.read(FIXTURES / "bscscan_normal.csv")
    tx, rej = fr.transactions, fr.rejects
    assert fr.report["chain"] == "bsc" and fr.report["address"] == "eth:0x" + "1" * 40
    assert tx["currency"].tolist() == ["BNB", "BNB"]
    assert tx["tx_id"].iloc[0] == "bsc:0x" + "a" * 64 + ":normal:1"
    assert tx["status"].tolist() == ["completed", "failed"]  # Error(0) / Out of gas keeps the row, failed
    assert tx["amount_exact"].tolist() == [Decimal("1.5"), Decimal("0.75")]
    assert rej["source_row"].tolist() == [4, 5, 6]
    assert rej["column"].tolist() == ["Value_OUT(BNB)", "To", "Value_OUT(BNB)"]
    assert "no value moved" in rej.iloc[0]["problem"] and "fee 0.00021" in rej.iloc[0]["problem"]
    assert "'2,5x'" in rej.iloc[2]["problem"]
    assert fr.rows_read == 5


def test_renamed_headers_several_transfers_per_hash_and_long_values():
    fr = fi.read(FIXTURES / "renamed_token.csv")
    tx = fr.transactions
    assert tx["tx_id"].is_unique and tx["tx_id"].str.split(":").str[2].tolist() == ["token"] * 3
    assert tx["tx_id"].iloc[0].startswith("eth:0x" + "a" * 64 + ":token:")
    assert tx.iloc[1]["amount_exact"] == Decimal("99999999999999.123456789012345678")  # 32 significant digits
    # 21 decimals: truncated to the 18 the schema holds, the text kept
    assert tx.iloc[2]["amount_exact"] == Decimal("0.123456789012345678")
    assert json.loads(tx.iloc[2]["attributes"])["value_text"] == "0.123456789012345678901"
    assert tx["currency"].tolist() == ["USDT-ERC20", "USDT-ERC20", "WETH-ERC20"]


def test_chain_option_and_address_option(tmp_path):
    src = (FIXTURES / "renamed_token.csv").read_text()
    p = tmp_path / "bep20.csv"
    p.write_text(src)
    fr = fi.read(p, chain="bsc", address="0x" + "2" * 40)
    assert fr.transactions["currency"].iloc[0] == "USDT-BEP20"
    assert json.loads(fr.transactions["attributes"].iloc[0])["direction"] == "in"
    with pytest.raises(InputError, match="unknown chain"):
        fi.read(p, chain="dogecoin")


def test_truncated_and_missing_columns(tmp_path):
    cut = tmp_path / "cut.csv"
    lines = (FIXTURES / "bscscan_normal.csv").read_text().splitlines()
    cut.write_text(lines[0] + "\n" + lines[1][:60] + "\n")
    fr = fi.read(cut)
    assert fr.transactions.empty and len(fr.rejects) == 1 and fr.rejects.iloc[0]["source_row"] == 2
    bad = tmp_path / "nofrom.csv"
    bad.write_text('"Txhash","Blockno","UnixTimestamp","To","Value_IN(ETH)"\n')
    with pytest.raises(InputError):
        fi.read(bad, format="etherscan")


def test_nft_export_counts_tokens(tmp_path):
    p = tmp_path / "nft.csv"
    a, b = "0x" + "1" * 40, "0x" + "2" * 40
    p.write_text(
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress","TokenId","TokenName","TokenSymbol"\n'
        f'"0x{"e" * 64}","1","1700000000","2023-11-14 22:13:20","{a}","{b}","0x{"3" * 40}","7731","Some Apes","APE"\n'
    )
    tx = fi.read(p).transactions
    assert tx[["amount_exact", "currency"]].values.tolist() == [[Decimal("1"), "APE-NFT"]]
    assert json.loads(tx.iloc[0]["attributes"])["token_id"] == "7731"


def test_oversized_field_is_an_input_error(tmp_path):
    p = tmp_path / "huge.csv"
    p.write_text(
        '"Txhash","Blockno","UnixTimestamp","From","To","Value_IN(ETH)","Value_OUT(ETH)"\n"'
        + "a" * 200_000
        + '","1","1","x","y","1","0"\n'
    )
    with pytest.raises(InputError, match="line 2"):
        fi.read(p)


def test_absurd_exponent_is_rejected(tmp_path):
    p = tmp_path / "x.csv"
    src = (FIXTURES / "renamed_token.csv").read_text().splitlines()
    p.write_text(src[0] + "\n" + src[1].replace('"1000.5"', '"1e400"') + "\n")
    fr = fi.read(p)
    assert fr.transactions.empty and "more than 20 digits" in fr.rejects.iloc[0]["problem"]


def test_a_transfer_has_the_same_id_in_both_parties_exports(tmp_path):
    lines = (FIXTURES / "renamed_token.csv").read_text().splitlines()
    other = tmp_path / "counterparty_export.csv"  # the export of 0x3333...: only the second transfer of hash 0xaa..
    other.write_text(lines[0] + "\n" + lines[2] + "\n")
    mine = fi.read(FIXTURES / "renamed_token.csv").transactions
    theirs = fi.read(other).transactions
    assert theirs["tx_id"].tolist() == [mine["tx_id"].iloc[1]]


def test_identical_transfers_in_one_transaction_stay_distinct(tmp_path):
    lines = (FIXTURES / "renamed_token.csv").read_text().splitlines()
    p = tmp_path / "dup.csv"
    p.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n")
    ids = fi.read(p).transactions["tx_id"].tolist()
    assert ids[1] == ids[0] + ".2"
