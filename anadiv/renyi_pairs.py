r"""Renyi closed forms outside the exponential-family route: two Uniform distributions.

For :math:`P = U(l_1, h_1)`, :math:`Q = U(l_2, h_2)` (widths :math:`w_1, w_2`, overlap
:math:`L = \max(0, \min(h_1, h_2) - \max(l_1, l_2))`),
:math:`\int p^\alpha q^{1-\alpha} = L\, w_1^{-\alpha} w_2^{\alpha - 1}`, so

.. math::

    D_\alpha(P \| Q) = \log\frac{w_2}{w_1} + \frac{\log(L / w_1)}{\alpha - 1},

which is :math:`\log(w_2/w_1)` for every order when P's support lies inside Q's; for
:math:`\alpha > 1` it is ``inf`` as soon as it does not, and for :math:`\alpha < 1` only
when the supports are disjoint. Both logarithms are taken as ``log1p`` of differences
formed from the ends' own differences (``(h_2 - h_1) - (l_2 - l_1)``), so nearly equal
intervals keep their digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .families import Uniform
from .registry import register_closed_form

__all__ = ["renyi_uniform"]


def renyi_uniform(p: Uniform, q: Uniform, alpha: float) -> Any:
    r""":math:`D_\alpha(U(l_1, h_1) \| U(l_2, h_2))` (module notes).

    Examples
    --------
    >>> import anadiv
    >>> round(anadiv.renyi(anadiv.Uniform(0.0, 1.0), anadiv.Uniform(0.0, 2.0), 3.0), 12)  # log 2
    0.69314718056
    >>> anadiv.renyi(anadiv.Uniform(0.0, 2.0), anadiv.Uniform(0.0, 1.0), 3.0)
    inf
    >>> round(anadiv.renyi(anadiv.Uniform(0.0, 2.0), anadiv.Uniform(0.0, 1.0), 0.5), 12)  # -log 2 + 2 log 2
    0.69314718056
    """
    if alpha == 1.0:
        from .api import kl

        return kl(p, q)
    l1, h1 = (np.asarray(v, dtype=float) for v in p.param_values)
    l2, h2 = (np.asarray(v, dtype=float) for v in q.param_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = h1 - l1
        ratio = np.log1p(((h2 - h1) - (l2 - l1)) / w1)  # log(w2 / w1)
        lo, hi = np.maximum(l1, l2), np.minimum(h1, h2)
        cut = (hi - h1) - (lo - l1)  # L - w1 <= 0
        inside = cut == 0
        part = np.log1p(np.maximum(cut, -w1) / w1)  # log(L / w1); -inf where disjoint
        if alpha > 1.0:
            out = np.where(inside, ratio, np.inf)
        else:
            out = np.where(hi > lo, ratio + part / (alpha - 1.0), np.inf)
    out = np.maximum(out, 0.0)
    return float(out) if out.ndim == 0 else out


register_closed_form("renyi", Uniform, Uniform, status="conditional", source="builtin")(renyi_uniform)
