"""Python hooks the BPMN files under ``processes/`` call by name (see ``engine.hooks``)."""

from __future__ import annotations
