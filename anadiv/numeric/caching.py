"""An unbounded memo that keeps its function's signature for a type checker.

:func:`functools.lru_cache` types its wrapper as taking ``*args: Hashable``:
the call's arity and argument types go unchecked, and mypy does not count a
class object (``type[Normal]``, which is hashable at run time) as
``Hashable``, so a cache keyed by family classes is reported at every call.
:func:`memoize` is ``lru_cache(maxsize=None)`` at run time and, to a type
checker, a :class:`Memoized` with the wrapped function's own parameters plus
``cache_clear``.

Examples
--------
>>> calls = []
>>> @memoize
... def square(x: int) -> int:
...     calls.append(x)
...     return x * x
>>> square(3), square(3), calls
(9, 9, [3])
>>> square.cache_clear(); square(3), calls
(9, [3, 3])
"""

from __future__ import annotations

import functools
from typing import Callable, Generic, ParamSpec, Protocol, TypeVar, cast

__all__ = ["Memoized", "memoize"]

_P = ParamSpec("_P")
_R_co = TypeVar("_R_co", covariant=True)


class Memoized(Protocol, Generic[_P, _R_co]):
    """A memoized function: called as the function it wraps, with ``cache_clear``."""

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R_co: ...

    def cache_clear(self) -> None: ...


def memoize(function: Callable[_P, _R_co]) -> Memoized[_P, _R_co]:
    """``functools.lru_cache(maxsize=None)(function)``, typed with ``function``'s signature.

    Parameters
    ----------
    function : callable
        A function of hashable arguments (class objects included).

    Returns
    -------
    Memoized
        The cached function; ``cache_clear()`` forgets every result.
    """
    return cast("Memoized[_P, _R_co]", functools.lru_cache(maxsize=None)(function))
