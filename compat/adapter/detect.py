"""Tell a v1 (mmcv 1.x) config from a v2 (mmengine-style) one, and refuse configs that mix both.

The decision reads only top-level keys of the merged config. ``train_cfg`` / ``test_cfg`` are
ambiguous (conversion rules: Model-level keys): in old mmdet configs they are model-level dicts (``rpn=...``,
``rcnn=...``), in v2 they are loop configs. They count as v2 only when they look like a loop
(a ``type`` ending in ``Loop`` or a loop argument such as ``max_epochs``), and as a v1 model-level
key when they hold anything else.
"""
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Tuple, Union

from legacy_runner.errors import ConfigError

if TYPE_CHECKING:  # annotations only: this module stays light
    from legacy_runner.config import Config

# a merged Config or any plain mapping (only ``in`` and ``[key]`` are used)
ConfigLike = Union['Config', Mapping[str, Any]]

# Runtime keys only a v1 config has (the train flow reads them; v2 ignores or misreads them).
V1_KEYS = ('runner', 'total_epochs', 'workflow', 'data', 'optimizer', 'optimizer_config', 'lr_config',
           'momentum_config', 'checkpoint_config', 'log_config', 'evaluation', 'fp16', 'resume_from',
           'dist_params')
# Keys only a v2 config has.
V2_KEYS = ('optim_wrapper', 'param_scheduler', 'default_hooks', 'train_dataloader', 'val_dataloader',
           'test_dataloader', 'val_evaluator', 'test_evaluator', 'val_cfg', 'env_cfg', 'randomness',
           'log_processor', 'visualizer', 'vis_backends', 'default_scope', 'resume')
_LOOP_ARGS = ('max_epochs', 'max_iters', 'val_interval', 'val_begin', 'by_epoch', 'dynamic_intervals',
              'fp16')


class MixedFormatError(ConfigError):
    """A config holds both v1 and v2 runtime keys; ``v1_keys`` / ``v2_keys`` name them."""

    def __init__(self, v1_keys: List[str], v2_keys: List[str], filename: Any = None) -> None:
        self.v1_keys, self.v2_keys = v1_keys, v2_keys
        where = f'{filename}: ' if filename else ''
        super().__init__(f'{where}the config mixes v1 (mmcv 1.x) keys [{", ".join(v1_keys)}] with v2 '
                         f'(mmengine) keys [{", ".join(v2_keys)}]; keep one format (convert a v1 '
                         'config with `python -m legacy_runner convert`)')


def _is_loop_cfg(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if str(value.get('type', '')).endswith('Loop'):
        return True
    return any(k in value for k in _LOOP_ARGS)


def classify_keys(cfg: ConfigLike) -> Tuple[List[str], List[str]]:
    """(v1 keys, v2 keys) present at the top level of ``cfg``, in the order listed above."""
    v1 = [k for k in V1_KEYS if k in cfg]
    v2 = [k for k in V2_KEYS if k in cfg]
    for key in ('train_cfg', 'test_cfg'):
        if key not in cfg or cfg[key] is None:
            continue
        value = cfg[key]
        if _is_loop_cfg(value):
            v2.append(key)
        elif isinstance(value, Mapping) and len(value):
            v1.append(f'{key} (model-level, old mmdet style)')
    return v1, v2


def detect_format(cfg: ConfigLike) -> str:
    """``'v1'`` or ``'v2'``; raises :class:`MixedFormatError` naming the conflicting keys.

    A config with neither kind of key (e.g. only ``model``) is treated as v1, the native format
    of ``legacy_runner``.
    """
    v1, v2 = classify_keys(cfg)
    if v1 and v2:
        raise MixedFormatError(v1, v2, getattr(cfg, 'filename', None))
    return 'v2' if v2 else 'v1'


def describe(cfg: ConfigLike) -> Dict[str, Any]:
    """The detection result with its evidence (for messages and tests)."""
    v1, v2 = classify_keys(cfg)
    return dict(format='v2' if v2 and not v1 else 'v1' if not v2 else 'mixed', v1_keys=v1, v2_keys=v2)
