"""Run the rules on a merged v1 config: checks, merging of fragments, key order, report entries."""
import copy
from typing import Any, Dict, List, Optional

from .context import Context, Options
from .errors import ConversionError
from .exact import apply_exact
from .report import CARRIED, Entry
from .rules import HANDLED, RULES
from .verify import refine_schedule_entries

# Keys only a v2 (mmengine) config has: their presence means the input is not a v1 config.
V2_ONLY_KEYS = ('optim_wrapper', 'param_scheduler', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'default_hooks', 'val_evaluator', 'test_evaluator', 'val_cfg',
                'env_cfg', 'randomness', 'log_processor', 'visualizer', 'vis_backends', 'default_scope',
                'resume')
_LOOP_KEYS = ('max_epochs', 'max_iters', 'val_interval', 'val_begin', 'by_epoch')
REQUIRED = ('model', 'data', 'optimizer')  # plus runner/total_epochs, checked by RunnerInfo
APPEND_KEYS = ('param_scheduler', 'custom_hooks')  # several rules contribute items
OUTPUT_ORDER = ('model', '*', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
                'val_cfg', 'test_cfg', 'val_evaluator', 'test_evaluator', 'optim_wrapper',
                'model_wrapper_cfg', 'param_scheduler', 'auto_scale_lr', 'default_hooks', 'custom_hooks',
                'env_cfg', 'randomness', 'log_processor', 'vis_backends', 'visualizer', 'log_level',
                'load_from', 'resume', 'work_dir')
HOOK_ORDER = ('timer', 'logger', 'param_scheduler', 'checkpoint', 'sampler_seed')


class ConversionResult:
    """A converted config: the v2 dict, the report entries, and the context (for --verify)."""

    def __init__(self, v2: Dict[str, Any], entries: List[Entry], ctx: Context) -> None:
        self.v2, self.entries, self.ctx = v2, entries, ctx


def v2_marker(cfg: Dict[str, Any]) -> Optional[str]:
    """The first key that shows ``cfg`` is already a v2 config, or None."""
    for key in V2_ONLY_KEYS:
        if key in cfg:
            return key
    for key in ('train_cfg', 'test_cfg'):
        value = cfg.get(key)
        if isinstance(value, dict):
            loop_type = str(value.get('type', ''))
            if loop_type.endswith('Loop') or (key == 'train_cfg' and any(k in value for k in _LOOP_KEYS)):
                return key
    return None


def check_v1(cfg: Dict[str, Any], fragment: bool) -> None:
    """Reject inputs that are not v1 configs (already v2, or missing what v1 training needs)."""
    marker = v2_marker(cfg)
    if marker is not None:
        raise ConversionError('this is already a v2 (mmengine-style) config, not a v1 one', key=marker,
                              value=cfg[marker] if not isinstance(cfg[marker], (dict, list)) else
                              type(cfg[marker]).__name__)
    if fragment:
        return
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise ConversionError(f'not a complete v1 training config: missing {", ".join(missing)} '
                              '(convert _base_ fragments with --fragment or in tree mode)', key=missing[0])


def merge_fragment(dst: Dict[str, Any], src: Dict[str, Any], top: bool = True) -> None:
    """Merge a rule's fragment: dicts recursively, later values win, some lists concatenate."""
    for key, value in src.items():
        old = dst.get(key)
        if top and key in APPEND_KEYS and isinstance(old, list) and isinstance(value, list):
            dst[key] = old + copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(old, dict):
            merge_fragment(old, value, top=False)
        else:
            dst[key] = copy.deepcopy(value)


def _ordered(v2: Dict[str, Any], cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Canonical top-level order; keys outside it (carried ones) keep their v1 order after model."""
    v1_pos = {k: i for i, k in enumerate(cfg)}
    star = sorted((k for k in v2 if k not in OUTPUT_ORDER), key=lambda k: (v1_pos.get(k, len(v1_pos)), k))
    out: Dict[str, Any] = {}
    for key in OUTPUT_ORDER:
        if key == '*':
            out.update((k, v2[k]) for k in star)
        elif key in v2:
            out[key] = v2[key]
    hooks = out.get('default_hooks')
    if isinstance(hooks, dict):
        out['default_hooks'] = {k: hooks[k] for k in HOOK_ORDER if k in hooks}
        out['default_hooks'].update((k, v) for k, v in hooks.items() if k not in HOOK_ORDER)
    return out


def _top(key: str) -> str:
    return key.split('.', 1)[0].split('[', 1)[0]


def convert_dict(cfg: Dict[str, Any], options: Optional[Options] = None,
                 filename: Optional[str] = None) -> ConversionResult:
    """Convert a merged v1 config (plain dict) into a v2 dict plus one report entry per v1 key."""
    options = options or Options()
    cfg = copy.deepcopy(dict(cfg))
    try:
        check_v1(cfg, options.fragment)
        ctx = Context(cfg, options, filename)
        ctx.runner  # noqa: B018 (validates runner/total_epochs before any rule uses them)
        v2: Dict[str, Any] = {}
        entries: List[Entry] = []
        for rule in RULES:
            fragment, more = rule(ctx)
            merge_fragment(v2, fragment)
            entries += more
        reported = {_top(e.key) for e in entries}
        for key in cfg:
            if key in reported:
                continue
            if key in HANDLED:
                if options.fragment:
                    continue  # a rule that needs a missing section emitted nothing for this fragment
                raise ConversionError('internal: no report entry for a handled key', key=key)
            v2[key] = copy.deepcopy(cfg[key])
            entries.append(Entry(key, CARRIED, key, 'not a v1 runtime key: copied unchanged'))
        v2 = _ordered(v2, cfg)
        if not options.fragment:
            refine_schedule_entries(ctx, v2, entries)
            if options.exact and apply_exact(ctx, v2, entries):
                v2 = _ordered(v2, cfg)
    except ConversionError as e:
        raise e.with_file(filename) from None
    entries.sort(key=lambda e: _entry_position(e.key, cfg))  # stable: rule order breaks ties
    return ConversionResult(v2, entries, ctx)


def _entry_position(key: str, cfg: Dict[str, Any]) -> tuple:
    """Sort entries like the v1 config: top-level key order, then the section's own key order."""
    top = _top(key)
    keys = list(cfg)
    first = keys.index(top) if top in keys else len(keys)
    rest = key[len(top):].lstrip('.')
    section = cfg.get(top)
    if not rest or not isinstance(section, dict):
        return (first, -1)
    sub = rest.split('.', 1)[0].split('[', 1)[0]
    sub_keys = list(section)
    return (first, sub_keys.index(sub) if sub in sub_keys else len(sub_keys))
