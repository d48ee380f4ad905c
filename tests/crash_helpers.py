"""Drive ``python -m legacy_runner train`` in subprocesses that get killed and resumed.

Used by the crash/preemption tests of both runtimes. ``runtime`` is 'v1' or 'v2' and selects the
hook flavour from tests/crash_hooks.py.
"""
import os
import os.path as osp
import random
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from run_helpers import ROOT, TESTS, subprocess_env

CI_CRASH_TEST_SEED = 20240607  # CI replays the same kill points on every run


def _crash_test_seed() -> Tuple[int, str]:
    """The seed of the crash tests' random kill points, and where it came from: ``CRASH_TEST_SEED``
    when set (to replay a failure), a fixed one under CI (``CI=true``), else a fresh draw."""
    given = os.environ.get('CRASH_TEST_SEED', '').strip()
    if given:
        try:
            return int(given), 'from CRASH_TEST_SEED'
        except ValueError:
            raise ValueError(f'CRASH_TEST_SEED={given!r} is not an integer') from None
    if os.environ.get('CI', '').strip().lower() in ('1', 'true', 'yes'):
        return CI_CRASH_TEST_SEED, 'fixed under CI=true'
    return random.SystemRandom().randrange(1 << 30), 'random; set CRASH_TEST_SEED to replay'


CRASH_TEST_SEED, CRASH_TEST_SEED_SOURCE = _crash_test_seed()


def _env() -> Dict[str, str]:
    return subprocess_env(pythonpath=(TESTS, ROOT))  # crash_hooks importable by custom_imports


def write_config(tmp_dir: str, base: str, runtime: str, hooks: Sequence[Dict[str, Any]],
                 overrides: str = '') -> str:
    """A config in ``tmp_dir`` that inherits ``base`` (a path under the repo) and adds ``hooks``
    (tests/crash_hooks.py names without the V1/V2 prefix) plus the text ``overrides``."""
    prefix = 'V1' if runtime == 'v1' else 'V2'
    hook_cfgs = [dict(h, type=prefix + h['type']) for h in hooks]
    path = osp.join(tmp_dir, f'cfg_{runtime}_{len(os.listdir(tmp_dir))}.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{osp.join(ROOT, base)!r}]\n'
                "custom_imports = dict(imports=['crash_hooks'], allow_failed_imports=False)\n"
                f'custom_hooks = {hook_cfgs!r}\n{overrides}\n')
    return path


def train(config: str, work_dir: str, *extra: str, check: bool = True,
          timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, '-m', 'legacy_runner', 'train', config, '--work-dir', work_dir,
           '--seed', '0', '--deterministic', *extra]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{cmd} exited with {proc.returncode}\n{proc.stderr[-3000:]}')
    return proc


def load_weights(path: str) -> Dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu', weights_only=True)


def assert_same_weights(a: str, b: str) -> None:
    wa, wb = load_weights(a), load_weights(b)
    assert wa.keys() == wb.keys()
    different = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not different, f'weights differ from the uninterrupted run: {different}'


def leftover_temp_files(work_dir: str) -> List[str]:
    """Files an interrupted atomic write leaves behind (never picked up by resume)."""
    return [n for n in os.listdir(work_dir) if n.startswith('.') or '.tmp' in n]


def killed(proc: subprocess.CompletedProcess, signum: Optional[int] = None) -> bool:
    return proc.returncode == -signum if signum else proc.returncode < 0
