"""Shared helpers of the adapter tests: train in-process through compat.adapter.run, record lrs."""
import argparse
import os
from typing import Any, Dict, List, Optional, Tuple

import pytest
from run_helpers import ROOT

from legacy_runner.hooks.hook import HOOKS, Hook

V1 = os.path.join(ROOT, 'configs_v1')
V2 = os.path.join(ROOT, 'configs_v2')
RECORDS: Dict[str, List[Tuple[int, float]]] = {}


class LrRecorder(Hook):
    """A v1 hook: the lr of group 0 used by every iteration (read at LOWEST, after the updaters)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def before_run(self, runner: Any) -> None:
        RECORDS[self.key] = []

    def before_train_iter(self, runner: Any) -> None:
        RECORDS[self.key].append((runner.iter, runner.current_lr()[0]))


def train_args(config: str, work_dir: str, runtime: str = 'auto', cfg_options: Optional[Dict] = None,
               seed: Optional[int] = 0, **kw: Any) -> argparse.Namespace:
    """What ``python -m legacy_runner train`` parses, as a Namespace."""
    args = dict(config=config, work_dir=work_dir, resume_from=None, auto_resume=False, no_validate=False,
                gpus=None, gpu_ids=None, gpu_id=0, seed=seed, diff_seed=False, deterministic=False,
                launcher='none', local_rank=0, cfg_options=cfg_options, runtime=runtime, debug=False)
    args.update(kw)
    return argparse.Namespace(**args)


def recorder_cfg(key: str, v2: bool) -> Dict[str, Any]:
    hook = dict(type='LrRecorder', key=key)
    if v2:
        return dict(type='V1HookAdapter', hook=hook, priority='LOWEST')
    return dict(hook, priority='LOWEST')


def state_dict(runner: Any) -> Dict[str, Any]:
    model = runner.model
    return getattr(model, 'module', model).state_dict()


@pytest.fixture(autouse=False)
def lr_recorder_registered():
    """``LrRecorder`` in the legacy HOOKS for one test (the registry must hold only mmcv's names)."""
    HOOKS.register_module(module=LrRecorder, force=True)
    yield
    HOOKS._module_dict.pop('LrRecorder', None)
