"""``anadiv.gmm`` is :mod:`anadiv.estimators.gmm` (Gaussian-mixture approximations and bounds).

The estimators live in :mod:`anadiv.estimators`; this name is kept so that
``import anadiv.gmm`` and ``from anadiv.gmm import ...`` keep working. It is
the same module object, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("anadiv.estimators.gmm")
