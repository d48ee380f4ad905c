"""Benchmark: launch to first finished training iteration, ``python -m legacy_runner train`` on a v1
config against a plain torch script that does the same first step (same MLP shape, batch, SGD).

Usage: python bench/bench_launch.py [--runs N] [--config configs_v1/mlp_step_epoch.py]

Each run is a fresh interpreter. The clock starts just before the child is started and stops at the
wall-clock time the child prints when its first iteration is done (the child then exits at once):
for the runner, a hook added through ``custom_imports`` (this file, imported as a module); for the
plain script, the line after ``optimizer.step()``. The two commands alternate; medians over N runs
are printed, with the spread, since the machine may be shared with other work. Both run from
compiled bytecode (one untimed run each first, written to a scratch folder), as a second launch
on a user's machine does: where PYTHONDONTWRITEBYTECODE is set, every import compiles its source.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent
MARK = 'FIRST_ITER'

try:  # imported by the runner through custom_imports: register the hook that ends the run
    from legacy_runner.hook_base import HOOKS, Hook

    @HOOKS.register_module()
    class FirstIterationMarkHook(Hook):
        """Print the wall-clock time after the first training iteration, then end the process."""

        def after_train_iter(self, runner: object) -> None:
            print(MARK, repr(time.time()), flush=True)
            os._exit(0)  # nothing after the first iteration is measured
except ImportError:  # pragma: no cover - the benchmark itself needs only the standard library
    pass

PLAIN = f'''
import time
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x, y = torch.randn(32, 8), torch.randint(0, 4, (32,))
loss = nn.functional.cross_entropy(model(x), y)
optimizer.zero_grad()
loss.backward()
optimizer.step()
print({MARK!r}, repr(time.time()), flush=True)
'''


def _first_iteration(cmd: List[str], env: Dict[str, str]) -> float:
    start = time.time()
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return float(line.split()[1]) - start
    raise RuntimeError(f'{cmd[:4]} printed no {MARK} line (exit {out.returncode}):\n{out.stderr[-2000:]}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--config', default='configs_v1/mlp_step_epoch.py')
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               PYTHONPATH=os.pathsep.join([str(REPO / 'bench'), str(REPO), os.environ.get('PYTHONPATH', '')]))
    with tempfile.TemporaryDirectory() as tmp:
        # A user's second launch reads compiled bytecode; so do both commands here (after one
        # untimed run each), kept in a scratch folder rather than the checkout.
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        env['PYTHONPYCACHEPREFIX'] = str(Path(tmp) / 'pycache')
        cfg = Path(tmp) / 'launch.py'
        cfg.write_text(f'_base_ = [{str(REPO / args.config)!r}]\n'
                       "custom_imports = dict(imports=['bench_launch'], allow_failed_imports=False)\n"
                       "custom_hooks = [dict(type='FirstIterationMarkHook', priority='LOWEST')]\n")
        work = str(Path(tmp) / 'w')
        runner = [sys.executable, '-m', 'legacy_runner', 'train', str(cfg), '--work-dir', work]
        plain = [sys.executable, '-c', PLAIN]
        times: Dict[str, List[float]] = {'legacy_runner train': [], 'plain torch': []}
        _first_iteration(runner, env)
        _first_iteration(plain, env)
        for _ in range(args.runs):
            times['legacy_runner train'].append(_first_iteration(runner, env))
            times['plain torch'].append(_first_iteration(plain, env))
    print(f'launch -> first iteration done, {args.config}, {args.runs} runs each (median [min, max]):')
    for name, values in times.items():
        print(f'  {name:22s} {statistics.median(values):6.2f} s  [{min(values):.2f}, {max(values):.2f}]')
    gap = statistics.median(times['legacy_runner train']) - statistics.median(times['plain torch'])
    print(f'  difference of medians  {gap:6.2f} s')
    # each pair ran back to back, so a slower phase of a shared machine moves both of its times
    pairs = [a - b for a, b in zip(times['legacy_runner train'], times['plain torch'])]
    print(f'  median of the {len(pairs)} paired differences {statistics.median(pairs):.2f} s')


if __name__ == '__main__':
    main()
