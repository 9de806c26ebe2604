"""``python -m finintel``: the same as the ``finintel`` console script."""

from finintel.cli.main import entry_point

if __name__ == "__main__":
    entry_point()
