"""``anadiv.estimate`` is :mod:`anadiv.estimators.monte_carlo` (Monte Carlo estimators).

The estimators live in :mod:`anadiv.estimators`; this name is kept so that
``import anadiv.estimate`` and ``from anadiv.estimate import ...`` keep working. It is
the same module object, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("anadiv.estimators.monte_carlo")
