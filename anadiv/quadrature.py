"""``anadiv.quadrature`` is :mod:`anadiv.estimators.quadrature` (numerical integration).

The estimators live in :mod:`anadiv.estimators`; this name is kept so that
``import anadiv.quadrature`` and ``from anadiv.quadrature import ...`` keep working. It is
the same module object, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("anadiv.estimators.quadrature")
