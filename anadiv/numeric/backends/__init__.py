"""Array namespaces of other libraries for the generated code.

One module per library (:mod:`.torch_backend`, :mod:`.jax_backend`,
:mod:`.dask_backend`), each exposing ``namespace()``; :mod:`.generic` holds the
stable and matrix helpers they share. :mod:`anadiv.numeric.xp`
registers them by module path, so a library is imported only when one of its
arrays reaches a generated function.
"""
