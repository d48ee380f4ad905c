"""``mmcv.utils.trace``: is the code running under ``torch.jit.trace``?"""


def is_jit_tracing() -> bool:
    import torch
    on_trace = torch.jit.is_tracing()
    # some torch versions returned a function object here instead of a bool
    return on_trace if isinstance(on_trace, bool) else bool(torch._C._is_tracing())


__all__ = ['is_jit_tracing']
