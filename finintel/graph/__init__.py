"""Network views of transactions: flow and transaction graphs, ego networks, analysis and tracing.

>>> from finintel.testing import transactions
>>> G = fi.graph.flow_graph(transactions([("a", "b", 100, "2024-03-01")]))
>>> list(G.edges(data="total"))
[('a', 'b', 100.0)]
"""

from finintel.graph.analysis import brokers, centrality, communities, network_summary
from finintel.graph.build import NODE_KINDS, ego_network, flow_graph, node_kind, node_table, transaction_graph
from finintel.graph.entity import entity_graph, entity_map
from finintel.graph.flows import cash_points, corridors
from finintel.graph.trace import Trace, trace

__all__ = [
    "NODE_KINDS",
    "Trace",
    "brokers",
    "cash_points",
    "centrality",
    "communities",
    "corridors",
    "ego_network",
    "entity_graph",
    "entity_map",
    "flow_graph",
    "network_summary",
    "node_kind",
    "node_table",
    "trace",
    "transaction_graph",
]
