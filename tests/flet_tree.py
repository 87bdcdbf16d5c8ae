"""Walking a Flet control tree built without a browser, for tests of what a screen holds."""
from __future__ import annotations

import dataclasses

import flet as ft


def controls(root) -> list:
    """The control tree under `root`, depth first, through every control-valued property (and the
    style objects, which are dataclasses of flet's own)."""
    seen, found, todo = set(), [], [root]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        found.append(item)
        for spec in dataclasses.fields(item):
            if spec.name.startswith("_") or spec.name == "parent":
                continue
            value = getattr(item, spec.name, None)
            for inner in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(inner, ft.BaseControl) or (dataclasses.is_dataclass(inner)
                                                        and not isinstance(inner, type)
                                                        and type(inner).__module__.startswith("flet")):
                    todo.append(inner)
    return found


def heard_twice(root) -> list[str]:
    """Names a screen reader hears twice: an icon or image labelled with the words of a text on
    the same screen (the text says it; the picture is decoration)."""
    items = controls(root)
    texts = {item.value for item in items if isinstance(item, ft.Text) and item.value}
    labels = [item.semantics_label for item in items
              if isinstance(item, (ft.Icon, ft.Image)) and getattr(item, "semantics_label", None)]
    return [label for label in labels if label in texts]
