"""Share a case: GraphML/GEXF, i2 Analyst's Notebook CSV, FollowTheMoney, goAML XML.

>>> from finintel.testing import transactions
>>> ents, links = fi.export.i2_tables(transactions([("a", "=cmd|' /C calc'!A0", 5, "2024-03-01")]))
>>> fi.export.neutralise(links.at[0, "To ID"])
"'=cmd|' /C calc'!A0"
"""

from finintel.export._csv import neutralise, write_csv
from finintel.export.ftm import ftm_entities, write_ftm
from finintel.export.goaml import goaml_report, write_goaml
from finintel.export.graphml import portable_graph, write_gexf, write_graphml
from finintel.export.i2 import i2_tables, write_i2
from finintel.export.tables import write_table

__all__ = [
    "ftm_entities",
    "goaml_report",
    "i2_tables",
    "neutralise",
    "portable_graph",
    "write_csv",
    "write_ftm",
    "write_gexf",
    "write_goaml",
    "write_graphml",
    "write_i2",
    "write_table",
]
