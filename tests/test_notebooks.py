"""Every curated notebook runs top to bottom on a fresh kernel, and says what the library says."""

import ast
import json
from pathlib import Path

import nbformat
import pytest

import finintel as fi

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _execute(path: Path) -> nbformat.NotebookNode:
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra: pip install -e '.[dev]'")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


def _fact(nb: nbformat.NotebookNode, tag: str) -> str:
    for cell in nb.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/plain" in data:
                    return str(data["text/plain"])
    raise AssertionError(f"no output of a cell tagged {tag!r}")


@pytest.fixture(scope="module")
def executed(request):
    cache: dict[str, nbformat.NotebookNode] = {}

    def get(name: str) -> nbformat.NotebookNode:
        if name not in cache:
            cache[name] = _execute(next(p for p in NOTEBOOKS if p.name.startswith(name)))
        return cache[name]

    return get


def test_the_five_notebooks_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_a_question_and_next_steps(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert "**Question:**" in nb.cells[0].source
    assert "What next" in nb.cells[-1].source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # only the public API: import finintel as fi, no private modules
    assert "import finintel as fi" in code and "finintel._" not in code and "from finintel" not in code


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01", "02", "04"])
def test_notebook_runs(executed, name):
    nb = executed(name)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.slow
def test_screening_notebook_counts_equal_the_library(executed, tmp_path):
    nb = executed("03")
    counts = ast.literal_eval(_fact(nb, "facts-alert-counts"))
    case = fi.open_case(tmp_path / "case")
    case.ingest(fi.datasets.sample_paths())
    alerts = fi.detect.run(
        case.transactions(),
        profile="KE",
        parties=case.parties(),
        accounts=case.accounts(),
        tags=fi.datasets.load_sample("tags"),
        watchlist=fi.datasets.load_sample("watchlist"),
    )
    assert counts == alerts["detector"].value_counts().sort_index().to_dict()
    assert counts.get("structuring", 0) >= 1


@pytest.mark.slow
def test_recovery_notebook_holders_match_the_trace(executed):
    nb = executed("05")
    text = _fact(nb, "facts-holders")
    assert "account" in text and "amount" in text
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_rejects_fact_cell_is_tagged():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    assert any("facts-rejects" in c.metadata.get("tags", []) for c in nb.cells)
    json.dumps(nb)  # valid JSON notebook
