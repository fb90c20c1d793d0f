"""Python hooks the BPMN files under ``processes/`` call by name (see ``engine.hooks``).

Each process keeps its hooks in a module of its own; importing them here registers them.
"""

from __future__ import annotations

import importlib

for _module in ("processes.counterparty", "processes.quarterly"):
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as error:  # a process not yet written
        if error.name != _module:
            raise
