"""Progress of a Monte Carlo estimate on stderr: a tqdm bar when tqdm is installed, else one status line.

The estimators call a :class:`Progress` after each chunk with the samples drawn,
the target (which grows in adaptive mode) and the running value and standard
error; it redraws at most four times a second, and once more at the end.
tqdm is optional (the ``progress`` extra); without it the same numbers are
written as one line that overwrites itself (``\\r``).

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> show = Progress("mc", stream=out, bar=False)
>>> show.update(500, 1000, 0.25, 0.01, final=True)
>>> out.getvalue().strip()
'mc: n=500 value=0.25 stderr=0.01'
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["Progress", "tqdm_or_none"]

#: seconds between two redraws (the last one is always drawn)
_INTERVAL = 0.25


def tqdm_or_none() -> Any:
    """The ``tqdm`` class, or None where tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class Progress:
    """One estimate's progress display.

    Parameters
    ----------
    method : str
        The estimator's name, shown first (``"mc"``, ``"qmc"``, ``"control"``).
    stream : file, optional
        Where to write (default ``sys.stderr``).
    bar : bool, optional
        A tqdm bar (when tqdm is installed: the default) or the status line.
    """

    def __init__(self, method: str, stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.method = method
        self.stream = stream if stream is not None else sys.stderr
        tqdm = tqdm_or_none() if bar is not False else None
        self._tqdm = tqdm
        self._bar: Any = None
        self._last = 0.0

    def update(self, n: int, total: int, value: float, stderr: float, final: bool = False) -> None:
        """Show ``n`` of ``total`` samples and the running ``value`` and ``stderr`` (throttled unless ``final``)."""
        now = time.monotonic()
        if not final and now - self._last <= _INTERVAL:
            return
        self._last = now
        if self._tqdm is None:
            end = "\n" if final else ""
            self.stream.write(f"\r{self.method}: n={n:,} value={value:.6g} stderr={stderr:.3g}   {end}")
            self.stream.flush()
            return
        if self._bar is None:
            self._bar = self._tqdm(total=total, desc=self.method, unit="sample", unit_scale=True,
                                   file=self.stream, leave=True, mininterval=0)
        self._bar.total = max(total, n)  # adaptive mode raises the target as it learns the variance
        self._bar.set_postfix_str(f"value={value:.6g} stderr={stderr:.3g}", refresh=False)
        self._bar.update(n - self._bar.n)  # by increments, so that tqdm's rate is right
        if final:
            self._bar.close()
