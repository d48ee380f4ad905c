"""``compile=True`` / ``compile=dict(...)``: wrap the model's step methods with ``torch.compile``.

Both runners call :func:`compile_model`. The installed torch is probed once with a tiny function;
when it cannot compile (no ``torch.compile``, no C compiler, unsupported Python) a warning names the
reason and the steps stay eager, so a config asking for compilation still trains.
"""
import logging
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

DEFAULT_TARGETS = ('train_step', 'val_step')
_probe: Dict[str, Optional[str]] = {}


def compile_unavailable_reason() -> Optional[str]:
    """None when ``torch.compile`` works here, else why not (probed once per process)."""
    if 'reason' not in _probe:
        reason = None
        if not hasattr(torch, 'compile'):
            reason = f'torch {torch.__version__} has no torch.compile'
        else:
            try:
                fn = torch.compile(lambda x: x * 2 + 1)
                if not torch.equal(fn(torch.ones(3)), torch.full((3,), 3.0)):
                    reason = 'a probe function compiled to wrong results'
            except Exception as e:  # noqa: BLE001 (any backend failure means "cannot compile")
                reason = f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
        _probe['reason'] = reason
    return _probe['reason']


Options = Optional[Tuple[Tuple[str, ...], Dict]]


def compile_options(compile_cfg: Union[bool, Dict, None],
                    default_targets: Sequence[str] = DEFAULT_TARGETS) -> Options:
    """``(targets, torch.compile kwargs)`` for a ``compile`` setting, or None when it is off.

    ``True`` → the default targets; a dict may name one ``target`` (mmengine) or ``targets``.
    """
    if compile_cfg is None or compile_cfg is False:
        return None
    if compile_cfg is True:
        return tuple(default_targets), {}
    if not isinstance(compile_cfg, dict):
        raise TypeError(f'compile should be a bool or a dict, but got {type(compile_cfg)}')
    kwargs = dict(compile_cfg)
    targets: Any = kwargs.pop('targets', None) or kwargs.pop('target', None) or default_targets
    return (targets,) if isinstance(targets, str) else tuple(targets), kwargs


def compile_model(model: nn.Module, compile_cfg: Union[bool, Dict, None], logger: Optional[Any] = None,
                  default_targets: Sequence[str] = DEFAULT_TARGETS) -> nn.Module:
    """Replace ``model.<target>`` by its compiled version for each target the model has; returns model."""
    options = compile_options(compile_cfg, default_targets)
    if options is None:
        return model
    log = logger or logging.getLogger(__name__)
    reason = compile_unavailable_reason()
    if reason is not None:
        msg = f'compile was requested but torch.compile cannot run here ({reason}); running eagerly.'
        warnings.warn(msg)
        log.warning(msg)
        return model
    targets, kwargs = options
    done = []
    for target in targets:
        if hasattr(model, target):
            setattr(model, target, torch.compile(getattr(model, target), **kwargs))
            done.append(target)
    log.info(f'Model has been "compiled" ({", ".join(done)}). The first few iterations will be slow, '
             'please be patient.')
    return model
