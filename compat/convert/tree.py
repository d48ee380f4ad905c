"""Tree mode: convert a directory of v1 configs and keep its ``_base_`` structure.

Every file is converted from its merged v1 config. A full training config becomes the complete v2
conversion; a partial one (a ``_base_`` fragment) keeps only the v2 keys whose *anchor* v1 key it
holds (below), so sibling bases stay key-disjoint as mmcv requires. Each file that has bases is
then written as ``_base_`` plus the minimal override that turns its converted bases into its own
conversion (``_delete_=True`` where a base dict has keys the file must lose). Where that cannot be
expressed (a base key that must disappear, clashing bases) the file is written standalone.

Nothing is written until every file converted and round-tripped in memory.
"""
import copy
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from legacy_runner.config import Config
from legacy_runner.config.loader import (
    exec_python_config,
    presubstitute_base_refs,
    substitute_predefined_vars,
)
from legacy_runner.config.merge import merge_a_into_b
from legacy_runner.utils.progressbar import ProgressBar

from .context import Options
from .engine import REQUIRED, ConversionResult, convert_dict
from .errors import ConversionError
from .report import Entry
from .writer import HEADER, atomic_write, format_config, same_values

CONFIG_EXTS = ('.py', '.json', '.yaml', '.yml')
# v2 key -> the v1 key a fragment must hold to carry it (other v2 keys: the key itself)
ANCHORS = {
    'train_dataloader': 'data', 'val_dataloader': 'data', 'test_dataloader': 'data', 'test_cfg': 'data',
    'train_cfg': 'runner', 'val_cfg': 'evaluation', 'val_evaluator': 'evaluation',
    'test_evaluator': 'evaluation', 'optim_wrapper': 'optimizer', 'model_wrapper_cfg': 'optimizer_config',
    'param_scheduler': 'lr_config', 'default_hooks': 'checkpoint_config', 'env_cfg': 'dist_params',
    'randomness': 'dist_params', 'log_processor': 'log_config', 'vis_backends': 'log_config',
    'visualizer': 'log_config', 'resume': 'load_from',
}


class TreeFile:
    """One converted file of the tree."""

    def __init__(self, rel: str, out_rel: str, complete: bool, text: str, target: Dict[str, Any],
                 result: ConversionResult, mode: str) -> None:
        self.rel, self.out_rel, self.complete, self.text = rel, out_rel, complete, text
        self.target, self.result, self.mode = target, result, mode

    @property
    def entries(self) -> List[Entry]:
        return self.result.entries


def find_configs(root: str) -> List[str]:
    """Config files below ``root`` (relative paths, sorted; hidden directories skipped)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.') and d != '__pycache__')
        for name in filenames:
            if os.path.splitext(name)[1] in CONFIG_EXTS and not name.startswith('.'):
                out.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, '/'))
    return sorted(out)


def own_bases(path: str) -> List[str]:
    """The ``_base_`` entries written in ``path`` itself (not resolved, not merged)."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    ext = os.path.splitext(path)[1]
    if ext == '.py':
        text, _ = presubstitute_base_refs(substitute_predefined_vars(text, os.path.abspath(path)))
        own = exec_python_config(text, os.path.abspath(path))
    else:
        from legacy_runner.utils.fileio import load
        own = load(path) or {}
    bases = own.get('_base_', [])
    return [bases] if isinstance(bases, str) else list(bases)


def is_complete(cfg: Dict[str, Any]) -> bool:
    """A full v1 training config (what the train command can run), not a ``_base_`` fragment."""
    return all(k in cfg for k in REQUIRED) and ('runner' in cfg or 'total_epochs' in cfg)


def anchor_filter(v2: Dict[str, Any], v1_keys: Any) -> Dict[str, Any]:
    """Keep the v2 keys a fragment owns: those whose anchor v1 key the fragment holds."""
    return {k: v for k, v in v2.items() if ANCHORS.get(k, k) in v1_keys}


def _override(target: Dict[str, Any], base: Dict[str, Any]) -> Dict[str, Any]:
    """What to write under a base dict so that mmcv's merge turns ``base`` into ``target``."""
    if any(k not in target for k in base):
        return dict(_delete_=True, **copy.deepcopy(target))
    out: Dict[str, Any] = {}
    for key, value in target.items():
        if key in base and same_values(base[key], value):
            continue
        if isinstance(value, dict) and key in base:
            out[key] = _override(value, base[key]) if isinstance(base[key], dict) else \
                dict(_delete_=True, **copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out


def minimal_override(target: Dict[str, Any], base: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """Top-level override, or None when ``target`` lacks a key of ``base`` (mmcv cannot delete
    top-level keys). The result is checked by actually merging it."""
    if any(k not in target for k in base):
        return None
    out = {k: v for k, v in _override(target, base).items()}
    merged = merge_a_into_b(copy.deepcopy(out), base)
    if not same_values(Config(merged).to_dict(), target):
        return None
    return out


def _out_name(rel: str) -> str:
    return os.path.splitext(rel)[0] + '.py'


def _base_key(base: str) -> str:
    return os.path.splitext(base)[0] + '.py'


def convert_tree(src: str, options: Optional[Options] = None, progress: bool = False,
                 failed: Optional[List[Tuple[str, str]]] = None) -> List[TreeFile]:
    """Convert every config below ``src`` in memory; returns the files in dependency order.

    ``progress``: show a progress bar on stderr when it is a terminal (never in logs or pipes).
    ``failed``: when given, a file that cannot be loaded or converted is appended to it as
    ``(rel, error)`` and skipped with the files that inherit from it (``--keep-going``); otherwise
    the first such file raises and nothing is converted.
    """
    options = options or Options()
    rels = find_configs(src)
    if not rels:
        raise ConversionError('no config files (.py/.json/.yaml/.yml) found', key='input', value=src)
    tty = progress and hasattr(sys.stderr, 'isatty') and sys.stderr.isatty()
    bar = ProgressBar(len(rels), file=sys.stderr, interactive=True) if tty else None
    outs = [_out_name(r) for r in rels]
    if len(set(outs)) != len(outs):
        dups = sorted({o for o in outs if outs.count(o) > 1})
        if failed is None:
            raise ConversionError('two configs would both become this file', key='output', value=dups[0])
        clashing = [r for r in rels if _out_name(r) in dups]
        failed += [(r, f'{r}: output={_out_name(r)!r}: two configs would both become this file')
                   for r in clashing]
        rels = [r for r in rels if r not in clashing]
    merged: Dict[str, Dict[str, Any]] = {}
    bases: Dict[str, List[str]] = {}
    for rel in rels:
        path = os.path.join(src, rel)
        try:
            merged[rel] = Config.fromfile(path).to_dict()
            bases[rel] = own_bases(path)
        except Exception as e:
            err = e if isinstance(e, ConversionError) else ConversionError(
                f'cannot load: {type(e).__name__}: {" ".join(str(e).split())}', filename=path)
            if failed is None:
                raise err from e
            failed.append((rel, str(err)))
            merged.pop(rel, None)
    done: Dict[str, TreeFile] = {}
    order: List[str] = []

    def visit(rel: str, chain: Tuple[str, ...]) -> None:
        if rel in done or rel not in merged:
            return
        for base in bases[rel]:
            base_rel = os.path.normpath(os.path.join(os.path.dirname(rel), base)).replace(os.sep, '/')
            if base_rel in merged and base_rel not in chain:
                visit(base_rel, chain + (rel, ))
        try:
            done[rel] = _convert_one(src, rel, merged, bases, done, options)
        except ConversionError as e:
            if failed is None:
                raise
            failed.append((rel, str(e)))
            merged.pop(rel)
            return
        order.append(rel)
        if bar is not None:
            bar.update()

    for rel in rels:
        visit(rel, ())
    if bar is not None:
        bar.finish()
    return [done[r] for r in order]


def _convert_one(src: str, rel: str, merged: Dict[str, Dict[str, Any]], bases: Dict[str, List[str]],
                 done: Dict[str, TreeFile], options: Options) -> TreeFile:
    cfg = merged[rel]
    complete = is_complete(cfg)
    opts = Options(options.epoch_length, not complete, options.measure_budget, options.strict, options.exact)
    result = convert_dict(cfg, opts, os.path.join(src, rel))
    target = result.v2 if complete else anchor_filter(result.v2, cfg.keys())
    header = HEADER.format(source=rel)
    base_files = []
    for base in bases[rel]:
        base_rel = os.path.normpath(os.path.join(os.path.dirname(rel), base)).replace(os.sep, '/')
        base_files.append(done.get(base_rel))
    text, mode = None, 'standalone'
    if bases[rel] and all(b is not None for b in base_files):
        union: Dict[str, Any] = {}
        clash = False
        for b in base_files:
            clash = clash or bool(union.keys() & b.target.keys())  # type: ignore[union-attr]
            union.update(copy.deepcopy(b.target))  # type: ignore[union-attr]
        override = None if clash else minimal_override(target, union)
        if override is not None:
            out: Dict[str, Any] = {'_base_': [_base_key(b) for b in bases[rel]]}
            out.update(override)
            text, mode = header + format_config(out), 'derived'
    if text is None:
        text = header + format_config(target)
    return TreeFile(rel, _out_name(rel), complete, text, target, result, mode)


def write_tree(files: List[TreeFile], dst: str) -> None:
    """Write every converted file (atomically, one by one) below ``dst``."""
    for f in files:
        atomic_write(os.path.join(dst, f.out_rel), f.text)
