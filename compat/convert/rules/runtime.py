"""Rules: the model (with the old top-level ``train_cfg``/``test_cfg``) and the runtime keys:
``dist_params``/``cudnn_benchmark``/``mp_start_method``/``opencv_num_threads`` -> ``env_cfg``,
``seed``/``deterministic`` -> ``randomness``, ``load_from``/``resume_from``/``auto_resume`` ->
``load_from``/``resume``, ``log_level``, ``work_dir``, ``gpu_ids`` (conversion rules: Environment,
Model-level keys, Defaults v2 adds)."""
import copy
from typing import Any, Dict, List, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import APPROXIMATE, CARRIED, DROPPED, EXACT, Entry

Result = Tuple[Dict[str, Any], List[Entry]]

_NOT_READ = ('the legacy train flow does not read it; mmdet/mmcls 2.x tools did, and v2 reads it')
_DROPPED = {
    'gpu_ids': 'the device comes from LOCAL_RANK/CUDA_VISIBLE_DEVICES in v2; a stored gpu_ids even '
               'breaks v2 resume with another world size',
    'device': 'v2 picks the device itself',
    'ipu_replicas': 'no IPU support in v2',
    'use_adversarial_train': 'no counterpart in v2',
}
_CARRIED = {
    'find_unused_parameters': 'read by the v2 runner when it wraps the model in DDP',
    'auto_scale_lr': 'same keys; v2 scales every group lr before building schedulers',
    'custom_imports': 'imported as before; the modules must register into the v2 registries',
    'work_dir': 'v2 logs go to work_dir/<timestamp>/',
    'log_level': '',
}


def model_rule(ctx: Context) -> Result:
    """``model`` carried; v1's top-level ``train_cfg``/``test_cfg`` move into it (v2 uses those
    names for the loops)."""
    entries: List[Entry] = []
    model = ctx.section('model')
    moved = {k: ctx.section(k) for k in ('train_cfg', 'test_cfg') if k in ctx.cfg}
    if model is None and not moved:
        if 'model' in ctx.cfg:
            raise ConversionError('is None: there is nothing to train', key='model')
        return {}, []
    if model is not None and not isinstance(model, dict):
        raise ConversionError('must be a dict', key='model', value=model)
    out = dict(model or {})
    if model is not None:
        entries.append(Entry('model', CARRIED, 'model', 'the v1 model config, unchanged (v1 '
                             'transforms/normalization are not rewritten into a data_preprocessor)'))
    for key, value in moved.items():
        if out.get(key) is not None and value is not None:
            raise ConversionError(f'is set both at top level and in model.{key} (mmdet asserts only '
                                  'one is given)', key=key)
        if value is not None or key not in out:
            out[key] = value
        entries.append(Entry(key, EXACT, f'model.{key}', 'moved into the model: in v2 the top-level '
                             f'{key} is the {"train" if key == "train_cfg" else "test"} loop config'))
    return {'model': out}, entries


def env_rule(ctx: Context) -> Result:
    """``env_cfg`` with every field explicit (defaults: no cudnn benchmark, fork, 0 threads, nccl)."""
    cfg = ctx.cfg
    dist = copy.deepcopy(cfg.get('dist_params')) or dict(backend='nccl')
    env = dict(cudnn_benchmark=cfg.get('cudnn_benchmark', False),
               mp_cfg=dict(mp_start_method=cfg.get('mp_start_method', 'fork'),
                           opencv_num_threads=cfg.get('opencv_num_threads', 0)),
               dist_cfg=dist)
    entries = []
    if 'dist_params' in cfg:
        entries.append(Entry('dist_params', EXACT, 'env_cfg.dist_cfg', 'the same init_dist arguments'))
    if 'cudnn_benchmark' in cfg:
        entries.append(Entry('cudnn_benchmark', EXACT, 'env_cfg.cudnn_benchmark', _NOT_READ))
    if 'mp_start_method' in cfg:
        entries.append(Entry('mp_start_method', EXACT, 'env_cfg.mp_cfg.mp_start_method', _NOT_READ))
    if 'opencv_num_threads' in cfg:
        entries.append(Entry('opencv_num_threads', APPROXIMATE, 'env_cfg.mp_cfg.opencv_num_threads',
                             _NOT_READ + '; v2 also sets OMP/MKL threads only when distributed'))
    return {'env_cfg': env}, entries


def randomness_rule(ctx: Context) -> Result:
    cfg = ctx.cfg
    rnd: Dict[str, Any] = dict(seed=cfg.get('seed'), deterministic=cfg.get('deterministic', False))
    entries = []
    if 'seed' in cfg:
        entries.append(Entry('seed', EXACT, 'randomness.seed', 'same seeding of random/numpy/torch and '
                             'of loader workers (the v1 tools take --seed; a config seed is what v2 reads)'))
    if 'deterministic' in cfg:
        entries.append(Entry('deterministic', APPROXIMATE, 'randomness.deterministic', 'v2 also calls '
                             'torch.use_deterministic_algorithms(True), which raises for ops without a '
                             'deterministic kernel'))
    if 'diff_seed' in cfg:
        rnd['diff_rank_seed'] = cfg['diff_seed']
        entries.append(Entry('diff_seed', EXACT, 'randomness.diff_rank_seed'))
    return {'randomness': rnd}, entries


def resume_rule(ctx: Context) -> Result:
    """``resume_from`` wins over ``load_from`` (as in v1); ``auto_resume`` -> ``resume=True``."""
    cfg = ctx.cfg
    load_from, resume_from, auto = cfg.get('load_from'), cfg.get('resume_from'), cfg.get('auto_resume')
    entries = []
    if resume_from:
        out = dict(load_from=resume_from, resume=True)
        entries.append(Entry('resume_from', APPROXIMATE, 'load_from, resume', 'v2 resumes v2 '
                             'checkpoints only (it needs message_hub and scheduler states); a v1 '
                             'checkpoint must be converted first'))
        if 'load_from' in cfg:
            entries.append(Entry('load_from', EXACT, None, 'ignored by v1 when resume_from is set'))
    elif auto:
        out = dict(load_from=None, resume=True)
        entries.append(Entry('auto_resume', APPROXIMATE, 'resume', 'v2 resumes from work_dir/'
                             'last_checkpoint (written by v2 runs), v1 from latest.pth or the newest '
                             'epoch_*/iter_* file'))
        if 'load_from' in cfg:
            entries.append(Entry('load_from', EXACT, None, 'unused: auto_resume'))
    else:
        out = dict(load_from=load_from, resume=False)
        if 'load_from' in cfg:
            entries.append(Entry('load_from', EXACT, 'load_from', 'same weight loading (non-strict, '
                                 '"module." prefixes removed)' if load_from else 'unset'))
    if 'resume_from' in cfg and not resume_from:
        entries.append(Entry('resume_from', EXACT, 'resume', 'unset: resume=False'))
    if 'auto_resume' in cfg and (not auto or resume_from):
        entries.append(Entry('auto_resume', EXACT, None, 'off' if not auto else 'resume_from wins'))
    return out, entries


def misc_rule(ctx: Context) -> Result:
    """Keys dropped with a reason, and keys carried unchanged (``log_level`` defaults to INFO)."""
    frag: Dict[str, Any] = {'log_level': ctx.cfg.get('log_level', 'INFO')}
    entries = []
    for key, reason in _DROPPED.items():
        if key in ctx.cfg:
            entries.append(Entry(key, DROPPED, None, reason))
    for key, reason in _CARRIED.items():
        if key in ctx.cfg:
            frag[key] = ctx.section(key)
            entries.append(Entry(key, CARRIED, key, reason))
    return frag, entries
