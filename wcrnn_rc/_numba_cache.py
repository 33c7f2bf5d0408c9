"""Where numba caches the compiled kernels: never inside the installed package.

numba's default puts ``cache=True`` results in the package's own ``__pycache__``. Those
files survive ``pip uninstall``, and the leftover ``site-packages/wcrnn_rc`` directory
then shadows a later editable install (``import wcrnn_rc`` finds an empty namespace
package). And where neither the package directory nor the home directory is writable
(containers, shared clusters), numba refuses to define the kernels at all.

:func:`njit` here is ``numba.njit`` with a cache of the library's own:

1. ``NUMBA_CACHE_DIR``, when set (numba's own setting, honoured first);
2. else the user cache directory, ``~/.cache/wcrnn_rc/numba`` on Linux
   (``$XDG_CACHE_HOME``; ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows);
3. else no cache: the kernels compile in each process, after one warning that says
   how to enable it.

numba invalidates entries when the source changes (their index holds a stamp of it),
and each installed copy of the package gets its own subdirectory.
"""

import os
import warnings

import numba
from numba.core import caching, dispatcher

__all__ = ["njit"]

_APP_NAME = "wcrnn_rc"


def _numba_class(*names):
    # numba 0.59 to 0.6x name these with a leading underscore.
    for name in names:
        if hasattr(caching, name):
            return getattr(caching, name)
    raise ImportError(f"numba.core.caching has none of {names}")  # pragma: no cover


_UserProvidedCacheLocator = _numba_class("UserProvidedCacheLocator", "_UserProvidedCacheLocator")
_UserWideCacheLocator = _numba_class("UserWideCacheLocator", "_UserWideCacheLocator")


def user_cache_dir():
    """The directory of this library's numba cache when ``NUMBA_CACHE_DIR`` is unset."""
    from numba.misc.appdirs import AppDirs

    return os.path.join(AppDirs(appname=_APP_NAME, appauthor=False).user_cache_dir, "numba")


class _LibraryCacheLocator(_UserWideCacheLocator):
    """numba's user-wide locator, in this library's cache directory instead of numba's."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        self._cache_path = os.path.join(user_cache_dir(), self.get_suitable_cache_subpath(py_file))


class _CacheImpl(caching.CompileResultCacheImpl):
    # No in-tree locator: nothing is ever written into the package directory.
    _locator_classes = [_UserProvidedCacheLocator, _LibraryCacheLocator]


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl


_cache_unavailable = None  # the reason, once a kernel found no writable cache directory


def _enable_cache(compiled):
    global _cache_unavailable
    if _cache_unavailable is not None:
        return
    try:
        compiled._cache = _FunctionCache(compiled.py_func)  # as Dispatcher.enable_caching
    except RuntimeError as exc:  # "cannot cache function ...: no locator available ..."
        _cache_unavailable = str(exc)
        given = os.environ.get("NUMBA_CACHE_DIR")
        tried = f"NUMBA_CACHE_DIR={given!r}, then " if given else ""
        warnings.warn(
            "wcrnn_rc found no writable directory for numba's compilation cache "
            f"(tried {tried}{user_cache_dir()!r}), so its kernels compile again in every "
            "process (seconds each). Set NUMBA_CACHE_DIR to a writable directory to cache "
            "them.",
            RuntimeWarning,
            stacklevel=3,  # the kernel's definition (import frames are not counted)
        )


def njit(*, cache=False, **options):
    """``numba.njit(**options)``, with ``cache=True`` cached as the module says.

    Keyword arguments only: signatures given up front would compile before the cache
    is attached.
    """

    def decorate(func):
        compiled = numba.njit(**options)(func)
        # Under NUMBA_DISABLE_JIT=1 numba hands back the plain function.
        if cache and isinstance(compiled, dispatcher.Dispatcher):
            _enable_cache(compiled)
        return compiled

    return decorate
