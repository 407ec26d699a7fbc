"""Demo data of the disclosure domain.

Nothing to add: the public pages, the open data and the dashboard read what the other demo
steps leave behind (rating rollups, the snapshots that scoring publishes, the current cycle).
"""

from __future__ import annotations

from typing import Any


def build_demo(city: Any) -> None:
    """Add this domain's demo data to the city (none: see the module docstring)."""
    del city
