"""This ComfyUI instance's CPU budget, for the threads genimage's nodes start (PNG encoding, the checkpoint read)."""

import os


def cpu_budget(environ=os.environ):
    """OMP_NUM_THREADS (which @genimage/server sets to its cores ÷ instances), else the CPUs the process may run on."""
    budget = environ.get("OMP_NUM_THREADS", "").strip()
    if budget.isdigit() and int(budget) > 0:
        return int(budget)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))  # a container's or a pinned process's share
    return os.cpu_count() or 1
