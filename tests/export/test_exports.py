import csv
import datetime as dt
import json
import shutil
import subprocess

import networkx as nx
import pandas as pd
import pytest

from finintel.errors import InputError
from finintel.export import i2_tables, neutralise, write_csv, write_gexf, write_graphml, write_i2
from finintel.graph import flow_graph, transaction_graph
from finintel.testing import transactions


@pytest.fixture
def tx():
    return transactions(
        [
            {"sender": "msisdn:+254711000001", "receiver": "acct:KCB/0012345", "amount": 1500, "timestamp": "2024-03-01 07:00",
             "sender_name": "=HYPERLINK(\"http://evil\")", "channel": "mobile_money", "sender_country": "KE",
             "description": "+254 school fees"},
            {"sender": "acct:KCB/0012345", "receiver": "cash:Agent 7", "amount": 100, "timestamp": "2024-03-02 07:00",
             "currency": "USD", "channel": "cash", "receiver_name": "ተስፋዬ ግርማ"},
            {"sender": "x", "receiver": "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "amount": 10, "timestamp": "2024-03-03 07:00",
             "currency": "USDT-TRC20", "channel": "crypto", "sender_name": "John K Mwangi"},
        ]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "safe"),
    [("=1+1", "'=1+1"), ("+254", "'+254"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("＝1", "'＝1"), ("Amina", "Amina"), ("", ""), (12.5, 12.5), (None, None)],
)  # fmt: skip
def test_neutralise(cell, safe):
    assert neutralise(cell) == safe


def test_write_csv_neutralises_text_not_numbers(tmp_path):
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ተስፋዬ"], "amount": [-5.0, 3.0]})
    path = write_csv(df, tmp_path / "out.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "-5.0"], ["ተስፋዬ", "3.0"]]
    assert df.at[0, "name"].startswith("=")  # input untouched


def test_graphml_and_gexf_round_trip(tx, tmp_path):
    G = flow_graph(tx)
    back = nx.read_graphml(write_graphml(G, tmp_path / "flow.graphml"))
    e = back.edges["msisdn:+254711000001", "acct:KCB/0012345"]
    assert json.loads(e["tx_ids"]) == ["t1"] and e["total"] == 1500.0 and e["count"] == 1
    assert e["first"] == "2024-03-01T07:00:00+00:00"
    assert back.nodes["cash:Agent 7"]["name"] == "ተስፋዬ ግርማ"
    assert back.nodes["cash:Agent 7"]["kind"] == "cash_agent"
    T = transaction_graph(tx)
    back_t = nx.read_graphml(write_graphml(T, tmp_path / "tx.graphml"), force_multigraph=True)
    assert back_t.number_of_edges() == 3
    assert back_t.edges["x", "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "t3"]["amount_exact"] == "10.000000000000000000"
    gexf = nx.read_gexf(write_gexf(G, tmp_path / "flow.gexf"))
    assert gexf.number_of_edges() == 3 and gexf.nodes["x"]["label"] == "John K Mwangi"


def test_i2_files(tx, tmp_path):
    ents_path, links_path = write_i2(tx, tmp_path, prefix="case7")
    ents = pd.read_csv(ents_path, encoding="utf-8-sig")
    links = pd.read_csv(links_path, encoding="utf-8-sig", dtype=str)
    assert len(ents) == 5 and len(links) == 3
    row = ents.set_index("Entity ID").loc["msisdn:+254711000001"]
    assert row["Entity Type"] == "Mobile Money Account" and row["Label"] == '\'=HYPERLINK("http://evil")'
    assert links.set_index("Link ID").loc["t1", "Description"] == "'+254 school fees"
    assert links.set_index("Link ID").loc["t2", ["Date", "Time", "Currency"]].tolist() == [
        "2024-03-02",
        "07:00:00",
        "USD",
    ]
    ents_g, links_g = i2_tables(flow_graph(tx))
    assert links_g["Link Type"].unique().tolist() == ["Flow"] and links_g["Count"].tolist() == [1, 1, 1]


def test_ftm_round_trip_and_validate(tx, tmp_path):
    pytest.importorskip("followthemoney")
    from followthemoney import model

    from finintel.export.ftm import write_ftm

    parties = pd.DataFrame(
        {"party_id": ["p1"], "name": ["Mwangi John Kamau"], "kind": ["person"], "birth_date": ["1980-02-01"]}
    )
    accounts = pd.DataFrame({"account": ["acct:KCB/0012345"], "party_id": ["p1"], "institution": ["KCB Bank Kenya"]})
    path = write_ftm(tx, tmp_path / "case.ftm.json", parties=parties, accounts=accounts)
    proxies = [model.get_proxy(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    by_schema = pd.Series([p.schema.name for p in proxies]).value_counts().to_dict()
    # 5 keys: 3 bank/mobile accounts (x has no namespace: an account too) + 1 wallet + 1 agent; 3 payments
    assert by_schema == {"BankAccount": 3, "Ownership": 3, "Payment": 3, "Person": 3, "CryptoWallet": 1, "LegalEntity": 1,
                         "Organization": 1}  # fmt: skip
    ids = {p.id for p in proxies}
    pay = {p.first("transactionNumber"): p for p in proxies if p.schema.name == "Payment"}
    assert pay["t2"].first("payer") in ids and pay["t2"].first("beneficiary") in ids
    holder = next(p for p in proxies if p.id == pay["t2"].first("payer"))
    assert holder.first("name") == "Mwangi John Kamau" and holder.first("birthDate") == "1980-02-01"
    assert pay["t3"].first("currency") is None and "USDT-TRC20" in pay["t3"].first("description")
    if shutil.which("ftm"):
        out = tmp_path / "valid.json"
        subprocess.run(["ftm", "validate", "-i", str(path), "-o", str(out)], check=True, capture_output=True)
        assert len(out.read_text(encoding="utf-8").splitlines()) == len(proxies)


def _goaml(tx, tmp_path, **kw):
    from finintel.export.goaml import write_goaml

    parties = pd.DataFrame({"party_id": ["p1"], "name": ["Mwangi John Kamau"], "first_name": ["John"], "last_name": ["Mwangi"],
                            "birth_date": ["1980-02-01"], "id_number": ["12345678"]})  # fmt: skip
    accounts = pd.DataFrame({"account": ["acct:KCB/0012345"], "party_id": ["p1"], "institution": ["KCB Bank Kenya"]})
    return write_goaml(tx, tmp_path / "report.xml", parties=parties, accounts=accounts, rentity_id=42, currency_local="KES",
                       fx={"USD": 130.0, "USDT-TRC20": 130.0}, reason="Victim payments", submitted=dt.datetime(2024, 4, 1),
                       **kw)  # fmt: skip


def test_goaml_content(tx, tmp_path):
    from lxml import etree

    root = etree.parse(str(_goaml(tx, tmp_path))).getroot()
    t = root.findall("transaction")
    assert [x.findtext("transactionnumber") for x in t] == ["t1", "t2", "t3"]
    assert t[1].findtext("amount_local") == "13000"  # 100 USD x 130
    assert t[1].findtext("t_from/from_foreign_currency/foreign_currency_code") == "USD"
    assert t[1].findtext("t_from/from_account/signatory/t_person/last_name") == "Mwangi"
    assert t[1].findtext("t_to/to_entity/name") == "Agent 7"
    assert t[2].findtext("t_from/from_person/first_name") == "John"
    assert t[2].findtext("transaction_description").startswith("10 USDT-TRC20")
    sel = etree.parse(str(_goaml(tx, tmp_path, tx_ids=["t2"]))).getroot()
    assert [x.findtext("transactionnumber") for x in sel.findall("transaction")] == ["t2"]


def test_goaml_errors(tx, tmp_path):
    from finintel.export.goaml import write_goaml

    with pytest.raises(InputError, match="no exchange rate to KES for USD"):
        write_goaml(tx, tmp_path / "r.xml", currency_local="KES", fx={"USDT-TRC20": 130.0})
    with pytest.raises(InputError, match="nope"):
        _goaml(tx, tmp_path, tx_ids=["t1", "nope"])


@pytest.mark.samples
def test_goaml_validates_against_xsd(tx, tmp_path, shared_samples):
    import xmlschema

    xsd = shared_samples / "goaml" / "thecury_goAMLSchema_v5.0.1.xsd"
    if not xsd.exists():
        pytest.skip("goAML XSD not in the shared samples")
    schema = xmlschema.XMLSchema11(str(xsd))
    errors = list(schema.iter_errors(str(_goaml(tx, tmp_path))))
    structural = [e for e in errors if type(e.validator).__name__ != "XsdEnumerationFacets"]
    assert structural == []


def test_ftm_missing_dependency(tx, tmp_path, monkeypatch):
    import sys

    from finintel.errors import MissingDependencyError
    from finintel.export.ftm import write_ftm

    monkeypatch.setitem(sys.modules, "followthemoney", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "finintel\[ftm\]"'):
        write_ftm(tx, tmp_path / "x.json")
