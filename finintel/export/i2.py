"""Import files for i2 Analyst's Notebook (and similar link-charting tools).

Two CSV files, the shape Analyst's Notebook's *Import Data* wizard maps in one
pass: an entities file (one row per account, agent or person, with an
``Entity Type`` to pick the icon) and a links file (one row per transaction,
or per aggregated flow) that refers to entity ids. Every text cell is
neutralised against formula injection (:mod:`finintel.export._csv`).
"""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pandas as pd

from finintel.export._csv import write_csv
from finintel.graph.build import _moving, check_transactions, node_table

__all__ = ["I2_ENTITY_COLUMNS", "I2_LINK_COLUMNS", "i2_tables", "write_i2"]

I2_ENTITY_COLUMNS = ("Entity ID", "Entity Type", "Label", "Name", "Country", "Total In", "Total Out", "Transactions")
I2_LINK_COLUMNS = (
    "Link ID", "From ID", "To ID", "Link Type", "Date", "Time", "Amount", "Currency", "Channel", "Count", "Description", "Source",
)  # fmt: skip
_TYPES = {
    "person": "Person",
    "organisation": "Organisation",
    "bank_account": "Bank Account",
    "wallet": "Mobile Money Account",
    "crypto_address": "Crypto Wallet",
    "cash_agent": "Cash Agent",
}


def i2_tables(data: pd.DataFrame | nx.Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entities and links tables, without writing them.

    Parameters
    ----------
    data : pandas.DataFrame or networkx.Graph
        Transactions (one link per completed transaction) or a flow graph
        (one link per edge, with ``Count`` transactions).

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> tx = transactions([{"sender": "msisdn:+254711000001", "receiver": "cash:Agent 7", "amount": 500,
    ...                     "timestamp": "2024-03-01 09:30", "sender_name": "AMINA YUSUF"}])
    >>> ents, links = i2_tables(tx)
    >>> ents[["Entity ID", "Entity Type", "Label"]]
                  Entity ID           Entity Type         Label
    0          cash:Agent 7            Cash Agent  cash:Agent 7
    1  msisdn:+254711000001  Mobile Money Account   AMINA YUSUF
    >>> links[["From ID", "To ID", "Date", "Time", "Amount"]].values.tolist()
    [['msisdn:+254711000001', 'cash:Agent 7', '2024-03-01', '09:30:00', 500.0]]
    """
    if isinstance(data, nx.Graph):
        return _from_graph(data)
    tx = _moving(check_transactions(data), True)
    nodes = node_table(tx, completed_only=False)
    ents = _entities(nodes.reset_index().rename(columns={"account": "id"}))
    ts = tx["timestamp"]
    links = pd.DataFrame(
        {
            "Link ID": tx["tx_id"].astype(object).to_numpy(),
            "From ID": tx["sender"].astype(object).to_numpy(),
            "To ID": tx["receiver"].astype(object).to_numpy(),
            "Link Type": "Transaction",
            "Date": ts.dt.strftime("%Y-%m-%d").to_numpy(),
            "Time": ts.dt.strftime("%H:%M:%S").to_numpy(),
            "Amount": tx["amount"].to_numpy(),
            "Currency": tx["currency"].astype(object).to_numpy(),
            "Channel": tx["channel"].astype(object).to_numpy(),
            "Count": 1,
            "Description": tx["description"].astype(object).to_numpy() if "description" in tx.columns else None,
            "Source": (
                tx["source_file"].astype(object).fillna("") + ":" + tx["source_row"].astype("string").fillna("")
            ).to_numpy()
            if "source_file" in tx.columns
            else None,
        }
    )
    return ents, links.reset_index(drop=True)


def _entities(nodes: pd.DataFrame) -> pd.DataFrame:
    name = nodes["name"].astype(object)
    return pd.DataFrame(
        {
            "Entity ID": nodes["id"].astype(str).to_numpy(),
            "Entity Type": nodes["kind"].map(lambda k: _TYPES.get(str(k), "Entity")).to_numpy(),
            "Label": name.where(name.notna(), nodes["id"]).to_numpy(),
            "Name": name.to_numpy(),
            "Country": nodes["country"].to_numpy(),
            "Total In": nodes["total_in"].astype("float64").to_numpy(),
            "Total Out": nodes["total_out"].astype("float64").to_numpy(),
            "Transactions": nodes["n_tx"].astype("int64").to_numpy(),
        }
    )


def _from_graph(G: nx.Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.DataFrame(
        [
            {"id": n, "name": d.get("name"), "kind": d.get("kind"), "country": d.get("country"), "total_in": d.get("total_in", 0.0),
             "total_out": d.get("total_out", 0.0), "n_tx": d.get("n_tx", 0)}
            for n, d in G.nodes(data=True)
        ],
        columns=["id", "name", "kind", "country", "total_in", "total_out", "n_tx"],
    )  # fmt: skip
    rows = []
    for i, (u, v, d) in enumerate(G.edges(data=True), start=1):
        first = d.get("first", d.get("timestamp"))
        rows.append(
            {
                "Link ID": d.get("tx_id") or f"F{i}",
                "From ID": str(u),
                "To ID": str(v),
                "Link Type": "Transaction" if "tx_id" in d else "Flow",
                "Date": first.strftime("%Y-%m-%d") if first is not None else None,
                "Time": first.strftime("%H:%M:%S") if first is not None else None,
                "Amount": float(d.get("total", d.get("amount", 0.0)) or 0.0),
                "Currency": d.get("currency"),
                "Channel": ",".join(d["channels"]) if d.get("channels") else d.get("channel"),
                "Count": int(d.get("count", 1)),
                "Description": d.get("description"),
                "Source": None,
            }
        )
    return _entities(nodes.fillna({"total_in": 0.0, "total_out": 0.0, "n_tx": 0})), pd.DataFrame(
        rows, columns=list(I2_LINK_COLUMNS)
    )


def write_i2(
    data: pd.DataFrame | nx.Graph, directory: str | os.PathLike[str], *, prefix: str = "finintel", bom: bool = True
) -> tuple[Path, Path]:
    """Write ``<prefix>_entities.csv`` and ``<prefix>_links.csv`` into `directory`.

    Returns
    -------
    tuple of Path
        The entities file and the links file (UTF-8 with a byte-order mark by
        default, which Analyst's Notebook and Excel read as Unicode).

    Examples
    --------
    >>> from finintel.testing import transactions
    >>> write_i2(transactions([("a", "b", 1, "2024-03-01")]), "i2_import")  # doctest: +SKIP
    (PosixPath('i2_import/finintel_entities.csv'), PosixPath('i2_import/finintel_links.csv'))
    """
    ents, links = i2_tables(data)
    folder = Path(directory)
    return (
        write_csv(ents, folder / f"{prefix}_entities.csv", bom=bom),
        write_csv(links, folder / f"{prefix}_links.csv", bom=bom),
    )
