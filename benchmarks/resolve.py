"""Benchmark: entity resolution of 100k parties, with precision and recall against a known truth.

Run on demand::

    python benchmarks/resolve.py --n 100_000

Goal (issue 4): < 2 min for 100k parties. Baseline for the ratio: comparing
every pair with rapidfuzz alone would be n²/2 = 5·10⁹ comparisons (~1 µs
each: ~80 minutes); blocking cuts that to the pairs that share two token
skeletons.

Parties: three-part East African names (given, father's, grandfather's or
family name) drawn from Kenyan, Somali, Ethiopian and Arabic name lists; a
quarter of the persons appear a second time, as another source would write
them (names reordered, middle name dropped or initialised, Mohamed/Muhammad
style spelling, upper case), with the birth date kept in half of them and the
phone number in a third.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from finintel.resolve import resolve_entities

GIVEN = (
    "John Peter James Joseph David Samuel Daniel Michael Paul Stephen Grace Mary Faith Mercy Esther Ann Jane Lucy Ruth Sarah "
    "Mohamed Ahmed Ali Hassan Abdi Omar Yusuf Ibrahim Abdullahi Osman Fatuma Amina Halima Khadija Asha Zainab Hawa Mariam "
    "Abebe Tesfaye Girma Haile Mulugeta Dawit Solomon Yonas Bereket Kebede Tigist Almaz Hiwot Selam Meron Bethlehem Liya"
).split()
FAMILY = (
    "Mwangi Kamau Otieno Odhiambo Wanjiru Njoroge Kiprono Cheruiyot Kiptoo Wafula Barasa Ochieng Onyango Mutua Musyoka Kariuki "
    "Farah Warsame Hussein Jama Abdullahi Aden Dahir Egal Gedi Hirsi Ismail Nur Roble Samatar Yusuf Mohamud Sheikh Guled "
    "Bekele Tadesse Alemu Getachew Hailu Kebede Mengistu Negash Tesfaye Wolde Desta Gebremedhin Assefa Ayele Berhane Tekle"
).split()
VARIANTS = {"Mohamed": "Muhammad", "Ahmed": "Ahmad", "Yusuf": "Youssef", "Omar": "Umar", "Osman": "Usman", "Hussein": "Husein",
            "Abdullahi": "Abdulahi", "Fatuma": "Fatumah", "Tesfaye": "Tesfay", "Mohamud": "Mahamud", "Ibrahim": "Ebrahim"}  # fmt: skip


def parties(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_people = int(n / 1.25)
    first = rng.choice(GIVEN, n_people)
    middle = rng.choice(GIVEN + FAMILY, n_people)
    last = rng.choice(FAMILY, n_people)
    dob = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, n_people), unit="D")
    phone = [f"07{x:08d}" for x in rng.integers(0, 10**8, n_people)]
    rows = [
        {"party_id": f"A{i}", "truth": i, "name": f"{first[i]} {middle[i]} {last[i]}", "birth_date": dob[i].date().isoformat(),
         "phone": phone[i], "country": "KE"}
        for i in range(n_people)
    ]  # fmt: skip
    dup = rng.choice(n_people, n - n_people, replace=False)
    for j, i in enumerate(dup):
        f, m, la = first[i], middle[i], last[i]
        style = j % 4
        f, m, la = (VARIANTS.get(f, f), VARIANTS.get(m, m), VARIANTS.get(la, la)) if j % 3 == 0 else (f, m, la)
        name = [f"{la} {f} {m}", f"{f} {m[0]}. {la}", f"{f} {la}", f"{la}, {f} {m}".upper()][style]
        rows.append({"party_id": f"B{j}", "truth": i, "name": name, "birth_date": dob[i].date().isoformat() if j % 2 == 0 else None,
                     "phone": phone[i] if j % 3 == 1 else None, "country": "KE"})  # fmt: skip
    return pd.DataFrame(rows)


def pairs(df: pd.DataFrame, by: str) -> set[tuple[str, str]]:
    """Every pair of party_ids that share `by`."""
    m = df[["party_id", by]].merge(df[["party_id", by]], on=by)
    m = m[m["party_id_x"] < m["party_id_y"]]
    return set(zip(m["party_id_x"], m["party_id_y"], strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    p = parties(args.n)
    t0, c0 = time.perf_counter(), time.process_time()
    ent = resolve_entities(p.drop(columns="truth"), None)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"resolve_entities: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    got = pairs(ent.dropna(subset=["party_id"]), "entity_id")
    truth = pairs(p, "truth")
    tp = len(got & truth)
    precision = tp / len(got) if got else 1.0
    print(
        f"resolve_entities: {len(p):,} parties -> {ent['entity_id'].nunique():,} entities in {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"(goal < 120 s; all-pairs rapidfuzz baseline ~{len(p) ** 2 / 2 * 1e-6:,.0f} s -> {len(p) ** 2 / 2 * 1e-6 / cpu:,.0f}x)"
    )
    print(
        f"pairs: truth {len(truth):,}, found {len(got):,}, correct {tp:,}: precision {precision:.3f}, recall {tp / len(truth):.3f}"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
