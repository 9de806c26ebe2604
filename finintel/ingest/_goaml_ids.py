"""A set of ids that costs 8 bytes per id once compacted: what a streaming reader has met so far.

A streaming reader must remember every transaction, party and account id it has met
(to find a repeated ``transactionnumber`` and to give each party once), for files of
any size. A Python ``set`` of strings costs about 100 bytes per id: 10 million ids
would hold a gigabyte. :class:`IdSet` keeps the ids of the current batch in a set and
:meth:`IdSet.compact` folds them into a sorted NumPy array of their 64-bit hashes.

A hash is not the id: two different ids of one file share a hash with a probability
of about ``n**2 / 2**65`` (3e-6 for ten million ids), in which case the later one is
taken as already met (a transaction's tx_id gets the ``#L<line>`` suffix of a
repeated number, a party row is not written again). Python's ``hash`` is salted per
process, which is fine: the set lives only while one file is read.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

__all__ = ["IdSet"]


class IdSet:
    """Ids met so far: a set for the latest ones, sorted 64-bit hashes for the older ones.

    Examples
    --------
    >>> ids = IdSet()
    >>> ids.add("goaml:7/T1")
    >>> ids.compact()
    >>> ids.add(("acct:X/1", None, "holder"))
    >>> "goaml:7/T1" in ids, ("acct:X/1", None, "holder") in ids, "goaml:7/T2" in ids, len(ids)
    (True, True, False, 2)
    """

    def __init__(self) -> None:
        self.recent: set[Hashable] = set()
        self.older = np.empty(0, dtype=np.int64)

    def __contains__(self, item: Hashable) -> bool:
        if item in self.recent:
            return True
        if not len(self.older):
            return False
        h = hash(item)
        i = int(np.searchsorted(self.older, h))
        return i < len(self.older) and int(self.older[i]) == h

    def __len__(self) -> int:
        return len(self.recent) + len(self.older)

    def __bool__(self) -> bool:
        return bool(self.recent) or bool(len(self.older))

    def add(self, item: Hashable) -> None:
        """Remember `item` (a string or a tuple of strings)."""
        self.recent.add(item)

    def compact(self) -> None:
        """Fold the recent ids into the sorted hashes (call between batches)."""
        if self.recent:
            new = np.fromiter((hash(x) for x in self.recent), dtype=np.int64, count=len(self.recent))
            self.older = np.union1d(self.older, new)
            self.recent = set()
