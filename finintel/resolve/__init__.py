"""Entity resolution: which accounts and parties are one person or organisation.

>>> parties = pd.DataFrame({"party_id": ["p1", "p2"], "name": ["Mohammed Ali Hassan", "MUHAMMAD ALI HASAN"],
...                         "birth_date": ["1975-05-05", "1975-05-05"]})
>>> fi.resolve.resolve_entities(parties, None)["entity_id"].nunique()
1
"""

from finintel.resolve.entities import (
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    apply_decisions,
    links_of,
    resolve_entities,
    resolve_links,
)
from finintel.resolve.names import name_key, name_similarity, name_tokens, transliterate

__all__ = [
    "ENTITY_COLUMNS",
    "LINK_COLUMNS",
    "apply_decisions",
    "links_of",
    "name_key",
    "name_similarity",
    "name_tokens",
    "resolve_entities",
    "resolve_links",
    "transliterate",
]
