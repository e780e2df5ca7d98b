"""A small path language into a parsed JSON document: ``summary.speedup``, ``a[k=v].b[0]``.

A benchmark claim names the place of its measured value in a committed results file with
such a path; :func:`path_steps` checks one when the claims file loads and :func:`json_path`
follows it when the value is read.
"""

from __future__ import annotations

import re
from typing import Any

#: One step of a JSON path: a key, then any number of ``[index]`` or ``[field=value]``.
_PATH_STEP = re.compile(r"(?P<key>[A-Za-z_][\w-]*)(?P<selectors>(?:\[[^\]]+\])*)")
_SELECTOR = re.compile(r"\[([^\]]+)\]")


def path_steps(path: str) -> list[tuple[str, list[str]]]:
    """Split ``a.b[0].c[name=x]`` into ``[("a", []), ("b", ["0"]), ("c", ["name=x"])]``.

    Raises :class:`ValueError` naming what does not parse.
    """
    steps = []
    rest = path
    while rest:
        match = _PATH_STEP.match(rest)
        if match is None:
            raise ValueError(f"{path!r} is not a JSON path like 'summary.speedup' or 'a[k=v].b'")
        steps.append((match["key"], _SELECTOR.findall(match["selectors"])))
        rest = rest[match.end() :]
        if rest.startswith("."):
            rest = rest[1:]
            if not rest:
                raise ValueError(f"{path!r} ends with '.'")
        elif rest:
            raise ValueError(f"{path!r} is not a JSON path like 'summary.speedup' or 'a[k=v].b'")
    return steps


def json_path(data: Any, path: str) -> Any:
    """Return the value at ``path`` in a parsed JSON document.

    Steps are separated by dots; a list is entered with ``[3]`` (an index) or
    ``[field=value]`` (the one element whose ``field``, as text, is ``value``).
    Raises :class:`KeyError` with the place where the path stops.
    """
    node, done = data, ""
    for key, selectors in path_steps(path):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(f"no key {key!r} under {done or 'the top level'}")
        node, done = node[key], f"{done}.{key}" if done else key
        for sel in selectors:
            if not isinstance(node, list):
                raise KeyError(f"{done} is not a list, so [{sel}] selects nothing")
            if "=" in sel:
                field, value = (part.strip() for part in sel.split("=", 1))
                found = [x for x in node if isinstance(x, dict) and str(x.get(field)) == value]
                if len(found) != 1:
                    what = "no element" if not found else f"{len(found)} elements"
                    raise KeyError(f"{what} of {done} with {field} = {value!r}")
                node = found[0]
            else:
                try:
                    node = node[int(sel)]
                except (ValueError, IndexError):
                    raise KeyError(f"{done} has no element [{sel}]") from None
            done += f"[{sel}]"
    return node
