import networkx as nx
import pandas as pd
import pytest

import finintel as fi


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace.update(pd=pd, nx=nx, fi=fi)
