"""Large elementwise batches, split into blocks evaluated on all cores.

Every generated closed form between univariate families is elementwise: value
``i`` depends only on the parameters at ``i``. :func:`elementwise` wraps such a
function so that a large numpy batch (at least ``2**17`` values) is cut into
blocks of at most ``2**18`` values whose temporaries stay in the caches, and
the blocks are shared among :func:`anadiv.get_num_threads` threads. numpy releases the GIL
inside each operation, so the threads run in parallel; per operation the
threads add a few microseconds, which is why small inputs, other array
libraries and anything not plainly numeric go straight to the wrapped
function. With one thread the blocks still pay: a batch broadcast against one
vector (the VAE case) ran 2x faster in blocks than whole.

The result is the same function's result, value for value: the blocks see
the same numbers, only fewer at a time.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

from .threads import cancelled, get_num_threads, run_parts

__all__ = ["elementwise", "MIN_SPLIT", "BLOCK"]

# below this many values one call is faster than threads (measured on 2 cores)
MIN_SPLIT = 1 << 17
# values per block (fewer when that leaves a thread idle): each numpy operation
# hands the GIL over once per block, so blocks must not be tiny, while a
# block's float64 temporaries (2 MB each) should stay in the caches; 2**16 to
# 2**19 measured within 20% of each other, 2**18 best for 1e6 values on 2 cores
BLOCK = 1 << 18

_SCALARS = (float, int)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _split_size(args: tuple[Any, ...]) -> int:
    """Size of the largest numpy argument when the call is worth splitting, else 0."""
    big = 0
    for a in args:
        t = type(a)
        if t is np.ndarray:
            if a.dtype.kind not in "iub" and a.dtype not in _FLOATS:
                return 0  # float16, longdouble, complex, objects: the function decides
            if a.size > big:
                big = a.size
        elif t not in _SCALARS and not (isinstance(a, np.generic) and (a.dtype.kind in "iub" or a.dtype in _FLOATS)):
            return 0  # lists, other array libraries, other scalars: the function handles them
    if big < MIN_SPLIT:
        return 0
    return big


def _plan(args: tuple[Any, ...], shape: tuple[int, ...], event_ndim: int) -> tuple[list[Any], bool, int] | None:
    """Views of the arguments and how to cut them: ``(views, flat, step)``.

    Flat mode (every array has the full shape and is C-contiguous, or is a single value;
    no event axes): the views are 1-D and blocks are ranges of values. Otherwise the views
    are broadcast to ``shape`` and blocks are ranges of rows along the first axis.
    """
    size = math.prod(shape)
    threads = get_num_threads()
    flat = not event_ndim
    for a in args:
        if type(a) is np.ndarray and a.size != 1 and (a.shape != shape or not a.flags.c_contiguous):
            flat = False
            break
    if flat:
        views = [a.reshape(-1) if type(a) is np.ndarray and a.size != 1 else _single(a) for a in args]
        return views, True, min(BLOCK, -(-size // threads))
    if len(shape) <= event_ndim or shape[0] < 2:
        return None  # no batch axis to cut
    row = size // shape[0]
    rows = max(1, min(BLOCK // max(row, 1), -(-shape[0] // threads)))
    if shape[0] < 2 * rows and shape[0] < 4:
        return None  # too few rows to share out
    views = [np.broadcast_to(a, shape) if type(a) is np.ndarray and a.size != 1 else _single(a) for a in args]
    return views, False, rows


def _single(a: Any) -> Any:
    # a one-value array of any shape would broadcast a block to the wrong shape
    return a.reshape(()) if type(a) is np.ndarray else a


def _run(kernel: Callable[..., Any], args: tuple[Any, ...], event_ndim: int) -> Any:
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    plan = _plan(args, shape, event_ndim)
    if plan is None:
        return kernel(*args)
    views, flat, step = plan
    batch = shape[: len(shape) - event_ndim]
    length = math.prod(shape) if flat else shape[0]
    n_blocks = -(-length // step)
    # the generated functions' dtype rule: Python numbers are weak (float32 stays
    # float32), integers and bools become float64
    dtype = np.result_type(*(a for a in args if type(a) is np.ndarray or isinstance(a, np.generic)), 0.0)
    out = np.empty(length if flat else batch, dtype=dtype)
    # np.errstate is per thread: the workers follow the caller's (e.g. over="raise")
    errors = np.geterr()

    def work(first: int, last: int) -> None:
        with np.errstate(**errors):
            for b in range(first, last):
                if cancelled():
                    return  # Ctrl-C or an error in another part: the result is dropped
                lo, hi = b * step, min((b + 1) * step, length)
                value = kernel(*(v[lo:hi] if type(v) is np.ndarray and v.ndim else v for v in views))
                if getattr(value, "dtype", None) != dtype:
                    raise _OtherDtype  # a function with another dtype rule: no silent cast
                out[lo:hi] = value

    try:
        # fixed contiguous runs of blocks, one per thread: with a handful of
        # blocks a shared queue could leave a thread idle (the first one to
        # start may take them all)
        run_parts(work, n_blocks)
    except _OtherDtype:
        return kernel(*args)
    return out.reshape(batch)


def _on_floats(kernel: Callable[..., Any], args: tuple[float, ...]) -> Any:
    """``kernel`` on Python floats, the fast scalar call (Python float arithmetic
    costs a fraction of numpy scalars'). Where Python raises or turns complex and
    numpy would give inf or NaN (``1e200 ** 2``, ``x / 0.0``, ``(-8.0) ** (1/3)``,
    which the generated code's result check then recomputes exactly), the call is
    repeated on numpy float64 scalars. Only an all-float call: beside a float32
    array a Python float must stay weak (NEP 50)."""
    try:
        out = kernel(*args)
    except (OverflowError, ZeroDivisionError):
        pass
    else:
        if isinstance(out, (float, np.floating)) or (isinstance(out, np.ndarray) and out.dtype.kind == "f"):
            return out
    return kernel(*map(np.float64, args))


class _OtherDtype(Exception):
    """A block's result has another dtype than the one predicted for ``out``."""


def elementwise(kernel: Callable[..., Any] | None = None, *, event_ndim: int = 0) -> Any:
    """Decorate an elementwise function so large numpy batches use all cores.

    ``f = elementwise(kernel)`` returns ``kernel(*args)`` unchanged in value,
    dtype and shape. When the arguments are numpy arrays or numbers, the
    broadcast batch has at least :data:`MIN_SPLIT` values, the batch is
    evaluated in blocks of at most :data:`BLOCK` values on
    :func:`anadiv.get_num_threads` threads (one: the blocks run in turn). The
    undecorated function is ``f.__wrapped__``.

    ``@elementwise(event_ndim=1)`` is for functions that reduce the last axis
    (independent coordinates summed, e.g. ``DiagonalNormal``): blocks are then
    rows of the first axis, and the result has the batch shape.

    Examples
    --------
    >>> import numpy as np
    >>> @elementwise
    ... def square(x):
    ...     return np.asarray(x) ** 2
    >>> square(np.arange(3.0)).tolist()
    [0.0, 1.0, 4.0]
    >>> int(square(np.ones(1 << 18)).sum())
    262144
    >>> @elementwise(event_ndim=1)
    ... def sum_squares(x):
    ...     return np.sum(np.asarray(x) ** 2, axis=-1)
    >>> sum_squares(np.ones((1 << 12, 64))).shape
    (4096,)
    """
    if kernel is None:
        return functools.partial(elementwise, event_ndim=event_ndim)

    @functools.wraps(kernel)
    def blocked(*args: Any) -> Any:
        if all(type(a) is float for a in args):
            return _on_floats(kernel, args)
        if _split_size(args):
            return _run(kernel, args, event_ndim)
        return kernel(*args)

    return blocked
