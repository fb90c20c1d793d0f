"""Python hooks the BPMN files under ``processes/`` call by name (see ``engine.hooks``).

Each process keeps its hooks in a module of its own; importing them here registers them.
"""

from __future__ import annotations

from processes import counterparty, quarterly, quarters, sendbacks  # noqa: F401  (registration happens on import)
