"""Defers importing torchvision until something uses it (cold start: the SDXL Turbo workflow never does at boot).

ComfyUI imports `torchvision` at module level through `comfy.sd` → `comfy.ldm.cascade.stage_c_coder` (and a few
model files), and torchvision's package imports `torchvision.ops`, which imports `torch._dynamo`: ≈ 5 s of a 15.8 s
cold start on an H200 (`python3 -X importtime`), for code the default workflow never runs. `install()` puts a
stand-in module in `sys.modules`: `import torchvision` binds it at once; its first use of a real attribute
(`torchvision.io.encode_jpeg` for nvjpeg, `torchvision.models` in Stable Cascade) imports the real package and hands
over to it. The module's identity attributes (`__file__`, `__spec__`) answer without importing, so the
`inspect.getmodule` scans that torch runs over `sys.modules` during its own imports do not trigger it
(importlib's LazyLoader does, and fails with a circular import inside `torch.export`).
"""

import importlib
import importlib.util
import sys
import threading
import types

LAZY = ("torchvision",)
_lock = threading.RLock()


class _Deferred(types.ModuleType):
    """A module that imports the real one on first access of an attribute it does not hold."""

    def _real(self):
        with _lock:
            real = sys.modules.get(self.__name__)
            if real is self or real is None:
                sys.modules.pop(self.__name__, None)
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules[self.__name__] = self
                    raise
            return real

    @property
    def __path__(self):  # importing a submodule (`import torchvision.io`) runs the package's own __init__ first
        return self._real().__path__

    def __getattr__(self, attr):
        return getattr(self._real(), attr)


def install(names=LAZY):
    """Defers each module in `names`; returns the names deferred (those not installed, or already imported, are left)."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        module = _Deferred(name)
        module.__spec__ = spec
        module.__file__ = spec.origin
        module.__loader__ = spec.loader
        module.__package__ = name
        sys.modules[name] = module
        deferred.append(name)
    return deferred
