"""Defers importing torchvision and scipy until something uses them (cold start: SDXL Turbo never does at boot).

ComfyUI imports torchvision at module level in a few model files (`comfy.ldm.cascade`, `comfy.ldm.cosmos`, …)
reached from `comfy.sd`, and torchvision's package imports `torchvision.ops`, which imports `torch._dynamo`: ≈ 5 s
of a 15.8 s cold start on an H200 (`python3 -X importtime`), for code the default workflow never runs. scipy is
imported by `comfy.samplers` (`scipy.stats`, for the beta scheduler) and `comfy.k_diffusion.sampling`
(`scipy.integrate`, for the LMS sampler): ≈ 1.0 s of a boot on an H200, for samplers SDXL Turbo's does not use.

`install()` puts a finder first on `sys.meta_path` that answers every import of a deferred package or its submodules
(`import torchvision`, `from torchvision import transforms`, `import torchvision.transforms.functional as TF`) with
a stand-in module and runs nothing. The first use of a real attribute of any stand-in (`torchvision.io.encode_jpeg`
for nvjpeg, `transforms.Compose`) turns that package's deferral off, drops its stand-ins from `sys.modules` and
imports the real module, to which the stand-in hands over from then on. The stand-ins' identity attributes (`__file__`,
`__spec__`, `__path__`) answer without importing, so the `inspect.getmodule` scans that torch runs over
`sys.modules` during its own imports do not trigger it (importlib's LazyLoader does, and then fails with a circular
import inside `torch.export`).
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types

LAZY = ("torchvision", "scipy")
_lock = threading.RLock()
_deferred_roots = set()


def _root(name):
    return name.partition(".")[0]


class _Deferred(types.ModuleType):
    """A stand-in that imports the real module on first access of an attribute it does not hold."""

    def _real(self):
        with _lock:
            root = _root(self.__name__)
            if root in _deferred_roots:
                _deferred_roots.discard(root)
                for name in [n for n in sys.modules if _root(n) == root]:
                    if isinstance(sys.modules[name], _Deferred):
                        del sys.modules[name]
            real = sys.modules.get(self.__name__)
            if real is None or real is self:
                real = importlib.import_module(self.__name__)
            return real

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        with _lock:
            if _root(self.__name__) in _deferred_roots and hasattr(self, "__path__"):
                child = f"{self.__name__}.{attr}"
                if child in sys.modules or importlib.util.find_spec(child) is not None:
                    return importlib.import_module(child)  # `from torchvision import transforms`: a stand-in too
        return getattr(self._real(), attr)


class _DeferringFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of a deferred package and its submodules with stand-ins while the deferral is on."""

    def find_spec(self, name, path=None, target=None):
        if _root(name) not in _deferred_roots:
            return None
        real = importlib.machinery.PathFinder.find_spec(name, path)
        if real is None or real.origin is None:
            return None
        spec = importlib.util.spec_from_loader(name, self, origin=real.origin, is_package=real.submodule_search_locations is not None)
        spec.submodule_search_locations = real.submodule_search_locations
        return spec

    def create_module(self, spec):
        module = _Deferred(spec.name)
        module.__file__ = spec.origin
        if spec.submodule_search_locations is not None:
            module.__path__ = list(spec.submodule_search_locations)
        return module

    def exec_module(self, module):
        pass


_finder = _DeferringFinder()


def install(names=LAZY):
    """Defers each package in `names`; returns the names deferred (those not installed, or already imported, are left)."""
    deferred = []
    for name in names:
        if name in sys.modules or importlib.util.find_spec(name) is None:
            continue
        _deferred_roots.add(name)
        deferred.append(name)
    if deferred and _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    return deferred
