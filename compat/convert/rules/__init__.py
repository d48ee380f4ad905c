"""The converter's rules: one pure function per v1 section, ``(Context) -> (v2 fragment, entries)``.

The engine runs them in this order and merges their fragments (dicts merge recursively, later
values win, ``param_scheduler``/``custom_hooks`` lists are concatenated).
"""
from typing import Any, Callable, Dict, List, Tuple

from ..context import Context
from ..report import Entry
from .data import data_rule
from .evaluation import evaluation_rule
from .hooks import checkpoint_rule, custom_hooks_rule, log_rule
from .loop import runner_rule
from .optim import optimizer_config_rule, optimizer_rule
from .runtime import env_rule, misc_rule, model_rule, randomness_rule, resume_rule
from .schedules import lr_rule, momentum_rule

Rule = Callable[[Context], Tuple[Dict[str, Any], List[Entry]]]

RULES: List[Rule] = [
    model_rule,             # model (+ v1 top-level train_cfg/test_cfg)
    runner_rule,            # runner / total_epochs / workflow
    data_rule,              # data
    evaluation_rule,        # evaluation (val/test loops and evaluators)
    optimizer_rule,         # optimizer
    optimizer_config_rule,  # optimizer_config / fp16
    lr_rule,                # lr_config
    momentum_rule,          # momentum_config
    checkpoint_rule,        # checkpoint_config (+ evaluation.save_best)
    log_rule,               # log_config
    custom_hooks_rule,      # custom_hooks
    env_rule,               # dist_params / cudnn_benchmark / mp_start_method / opencv_num_threads
    randomness_rule,        # seed / deterministic
    resume_rule,            # load_from / resume_from / auto_resume
    misc_rule,              # log_level, work_dir, gpu_ids, ...
]

# v1 top-level keys each rule is responsible for reporting (anything else is carried unchanged)
HANDLED = frozenset({
    'model', 'train_cfg', 'test_cfg', 'runner', 'total_epochs', 'workflow', 'data', 'evaluation',
    'optimizer', 'optimizer_config', 'fp16', 'lr_config', 'momentum_config', 'checkpoint_config',
    'log_config', 'custom_hooks', 'dist_params', 'cudnn_benchmark', 'mp_start_method',
    'opencv_num_threads', 'seed', 'deterministic', 'diff_seed', 'load_from', 'resume_from',
    'auto_resume', 'log_level', 'work_dir', 'gpu_ids', 'device', 'ipu_replicas',
    'use_adversarial_train', 'find_unused_parameters', 'auto_scale_lr', 'custom_imports',
})

__all__ = ['RULES', 'HANDLED', 'Rule']
