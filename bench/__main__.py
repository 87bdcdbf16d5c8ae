"""Run every bench module that has a main(): `python -m bench`."""

import importlib
from pathlib import Path


def run_all() -> None:
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem in {"__init__", "__main__"}:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        if callable(getattr(module, "main", None)):
            print(f"== bench.{path.stem}")
            module.main()


if __name__ == "__main__":
    run_all()
