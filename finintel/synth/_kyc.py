"""KYC frames of the synthetic population: canonical parties and accounts, and the entity ground truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from finintel.schema import frames as F
from finintel.synth._assemble import SOURCE_FORMAT
from finintel.synth._population import Population

__all__ = ["kyc"]


def kyc(pop: Population, t0: pd.Timestamp, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    parties = pop.all_parties()
    accounts = pop.all_accounts()
    org = pd.DataFrame({"party_id": accounts["party_id"], "name": accounts["name"], "country": accounts["country"]})
    org = org[~org["party_id"].isin(parties["party_id"])].drop_duplicates("party_id")
    people = pd.DataFrame(
        {
            "party_id": parties["party_id"],
            "kind": "person",
            "name": parties["name"],
            "first_name": parties["first_name"],
            "last_name": parties["last_name"],
            "birth_date": pd.to_datetime(parties["birth_date"]),
            "id_number": parties["id_number"],
            "id_type": parties["id_type"],
            "phone": parties["phone"],
            "email": parties["email"],
            "country": parties["country"],
            "nationality": parties["nationality"],
            "attributes": _json_of(parties["middle_name"], "middle_name"),
        }
    )
    orgs = org.assign(kind="organisation")
    out_parties = pd.concat([people, orgs], ignore_index=True)
    out_parties["source_format"] = SOURCE_FORMAT
    opened = t0 - pd.to_timedelta(rng.integers(30, 365 * 8, len(accounts)), unit="D")
    out_accounts = pd.DataFrame(
        {
            "account": accounts["account"],
            "party_id": accounts["party_id"],
            "role": "holder",
            "institution": accounts["institution"],
            "account_name": accounts["name"],
            "currency": accounts["currency"],
            "country": accounts["country"],
            "opened": opened.tz_localize("UTC"),
            "attributes": _json_of(accounts["kind"], "kind"),
            "source_format": SOURCE_FORMAT,
        }
    )
    entities = pd.concat(
        [
            parties[["party_id", "person"]],
            accounts.loc[~accounts["party_id"].isin(parties["party_id"]), ["party_id", "person"]].drop_duplicates(
                "party_id"
            ),
        ],
        ignore_index=True,
    )
    return F.validate_parties(out_parties), F.validate_accounts(out_accounts), entities


def _json_of(values: pd.Series, key: str) -> pd.Series:
    """``{"<key>": value}`` as JSON text per row, encoding each distinct value once."""
    codes, uniques = pd.factorize(values)
    texts = np.array([json.dumps({key: u}) for u in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index)
