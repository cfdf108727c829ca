"""Freezes the boot heap once the models are loaded, so ComfyUI's collections after a prompt stay short.

ComfyUI's prompt worker runs `gc.collect()` after a prompt when 10 s have passed since the last one, holding the
GIL while it walks every tracked object: the modules, the models and their parameters, ≈ 200 ms on an H200 host
after the first prompt. The closing `executing` message waits for the event loop, and with it the client. After the
first image `gc.freeze()` moves everything alive into the permanent generation, which collections skip: they then
walk only what prompts allocate. What was garbage at that moment (cycles only) stays allocated, once.
"""

import gc

_frozen = False


def freeze_boot_heap_once():
    """Moves every object alive now into the permanent generation, the first time it is called."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
