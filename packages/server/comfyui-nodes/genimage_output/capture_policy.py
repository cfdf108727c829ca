"""Whether the prompt running now may capture CUDA graphs: a prompt's `extra_data` can ask for replays only.

Capturing a graph costs about a second at 512² on the first use of a shape (the UNet's two eager warm-up runs and the
capture, the text encoders, the VAE). The bridge sends `extra_data: {"genimage_graphs": "replay"}` with the prompts
that must not wait for that: the boot warm-up, and requests in the first seconds after `ready` while the warm-up after
`ready` has not captured their shapes yet (ADR 21). In such a prompt a shape that has a graph replays it, and a shape
without one runs eager, uncaptured: the same kernels, so the same pixels. Any other prompt, one without the key
included, captures on first use.

It reads the running prompt's entry in ComfyUI's queue (`[number, prompt_id, prompt, extra_data, …]`), and only when a
shape has no graph yet, so replays pay nothing for it.
"""

EXTRA_DATA_KEY = "genimage_graphs"
REPLAY_ONLY = "replay"

try:  # ComfyUI >= 0.3.4x: the prompt being executed, set by the executor
    from comfy_execution.utils import get_executing_context
except ImportError:  # pragma: no cover - older ComfyUI, or outside ComfyUI
    get_executing_context = None


def _running_prompts():
    """The entries ComfyUI's prompt worker is running now (one), or none outside ComfyUI."""
    try:
        from server import PromptServer

        running, _queued = PromptServer.instance.prompt_queue.get_current_queue_volatile()
        return running
    except Exception:  # no server (a script, a test): nothing is running
        return []


def _extra_data():
    context = get_executing_context() if get_executing_context is not None else None
    prompt_id = context.prompt_id if context is not None else None
    for entry in _running_prompts():
        if len(entry) > 3 and isinstance(entry[3], dict) and (prompt_id is None or entry[1] == prompt_id):
            return entry[3]
    return {}


def captures_allowed():
    """False while the running prompt's `extra_data` says `genimage_graphs: "replay"`; True otherwise."""
    return _extra_data().get(EXTRA_DATA_KEY) != REPLAY_ONLY
