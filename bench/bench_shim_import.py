"""Benchmark: import time of the mmcv shim against ``import torch``, in fresh processes.

Usage: python bench/bench_shim_import.py [--runs N]

Each statement runs in its own fresh interpreter (PYTHONPATH = the repo, the shim activated by
``import compat.mmcv_shim``); the time is the wall time of the statement measured inside that
process with ``time.perf_counter`` (interpreter start-up excluded), median of N runs. ``import
torch`` is measured in the same run, so the figures compare on the same machine state.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent
CASES = [
    ('import torch', 'import torch'),
    ('import mmcv', 'import compat.mmcv_shim, mmcv'),
    ('import mmcv + mmcv.Config', 'import compat.mmcv_shim, mmcv; mmcv.Config'),
    ('import mmcv.image + mmcv.imread', 'import compat.mmcv_shim, mmcv.image; mmcv.image.imread'),
    ('import mmcv.runner', 'import compat.mmcv_shim, mmcv.runner'),
    ('from mmcv.runner import EpochBasedRunner',
     'import compat.mmcv_shim\nfrom mmcv.runner import EpochBasedRunner'),
]
PROBE = ('import time, sys\nt = time.perf_counter()\n{stmt}\n'
         'print(time.perf_counter() - t, "torch" in sys.modules, "cv2" in sys.modules)')


def measure(stmt: str, runs: int) -> Dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ('LEGACY_RUNNER_SHIM', 'PYTHONPATH')}
    env['PYTHONPATH'] = str(REPO)
    times: List[float] = []
    loaded = ''
    for _ in range(runs):
        out = subprocess.run([sys.executable, '-c', PROBE.format(stmt=stmt)], env=env, cwd=str(REPO),
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        loaded = ', '.join(m for m, flag in zip(('torch', 'cv2'), out[1:]) if flag == 'True') or '-'
    return dict(median_ms=1000 * statistics.median(times), loaded=loaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=7)
    args = parser.parse_args()
    print(f'{"statement":44s} {"median ms":>10s}  imported')
    for label, stmt in CASES:
        result = measure(stmt, args.runs)
        print(f'{label:44s} {result["median_ms"]:10.1f}  {result["loaded"]}')


if __name__ == '__main__':
    main()
