"""Honours TQDM_DISABLE for ComfyUI's samplers, whose tqdm bars would otherwise print on stderr for every prompt.

@genimage/server starts ComfyUI with TQDM_DISABLE=1 (step progress reaches clients over the WebSocket, through
ComfyUI's ProgressBar hook), but ComfyUI's sampler nodes pass `disable=not comfy.utils.PROGRESS_BAR_ENABLED` to
tqdm explicitly, which overrides the variable: every prompt logged two stderr lines, seen as warnings by the server.
"""

import os

import comfy.utils


def quiet_progress_bars(environ=os.environ):
    """Turns ComfyUI's console progress bars off when TQDM_DISABLE is set to a true value; returns whether it did."""
    if environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes"):
        comfy.utils.set_progress_bar_enabled(False)
        return True
    return False
