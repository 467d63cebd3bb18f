"""The extractor's word lists, kept as data in lexicons/*.yaml beside this module and read once.

Each file starts with a comment on what it is for; the modules that use a list say so there.
A file that is missing or not of the expected shape is a bug of the package, not of the input.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def load(name: str) -> dict:
    """The mapping in lexicons/<name>.yaml (read once per process)."""
    text = resources.files("pipeline.extract").joinpath("lexicons", f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TypeError(f"lexicons/{name}.yaml: expected a mapping at the top, got {type(data).__name__}")
    return data


def words(name: str, key: str) -> tuple[str, ...]:
    """The list `key` of lexicons/<name>.yaml, as a tuple of non-empty strings in file order."""
    items = load(name)[key]
    if not isinstance(items, list) or not all(isinstance(w, str) and w for w in items):
        raise TypeError(f"lexicons/{name}.yaml: {key} must be a list of non-empty strings")
    return tuple(items)


def groups(name: str, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The mapping `key` of lexicons/<name>.yaml (group -> list of words), in file order."""
    mapping = load(name)[key]
    if not isinstance(mapping, dict):
        raise TypeError(f"lexicons/{name}.yaml: {key} must map names to lists of words")
    out = []
    for group, items in mapping.items():
        if not isinstance(items, list) or not all(isinstance(w, str) and w for w in items):
            raise TypeError(f"lexicons/{name}.yaml: {key}.{group} must be a list of non-empty strings")
        out.append((str(group), tuple(items)))
    return tuple(out)
