"""Distribution families: one module each, registered in :data:`FAMILIES`."""

from __future__ import annotations

from ._base import FAMILIES, Family, Param
from .exponential import Exponential
from .normal import Normal

__all__ = ["FAMILIES", "Family", "Param", "Normal", "Exponential"]
