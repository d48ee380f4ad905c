"""Benchmark: import cost of legacy_runner.config / legacy_runner.registry and Config.fromfile speed.

Usage: python bench/bench_config.py [--runs N]

Import times are measured in fresh subprocesses with ``python -X importtime`` (the cumulative time
of the module's own line, which includes its parents), twice: with the environment as it is, and
with a warm bytecode cache (``PYTHONPYCACHEPREFIX`` pointed at a throw-away directory). When the
environment sets PYTHONDONTWRITEBYTECODE, the first column includes compiling the sources.
``fromfile`` times are medians over N in-process runs after one warm-up load per case.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
CASES_DIR = REPO / 'tests' / 'data' / 'config_cases'
EXPECTED = REPO / 'tests' / 'data' / 'config_expected.json'
MODULES = ['legacy_runner.config', 'legacy_runner.registry']


def _env(pycache_prefix: Optional[str]) -> Dict[str, str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = str(REPO) + os.pathsep + env.get('PYTHONPATH', '')
    if pycache_prefix is not None:
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        env['PYTHONPYCACHEPREFIX'] = pycache_prefix
    return env


def import_time_us(module: str, env: Dict[str, str]) -> Optional[int]:
    """Cumulative import time (µs) of ``module`` in a fresh interpreter, or None if it fails."""
    proc = subprocess.run([sys.executable, '-X', 'importtime', '-c', f'import {module}'],
                          capture_output=True, text=True, env=env, cwd=str(REPO))
    if proc.returncode != 0:
        return None
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split('|')]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    return None


def median_import_ms(module: str, env: Dict[str, str], runs: int) -> Optional[float]:
    samples = [import_time_us(module, env) for _ in range(runs)]
    if any(s is None for s in samples):
        return None
    return statistics.median(samples) / 1000.0  # type: ignore[type-var]


def torch_imported(module: str, env: Dict[str, str]) -> Optional[bool]:
    proc = subprocess.run([sys.executable, '-c', f"import {module}, sys; print('torch' in sys.modules)"],
                          capture_output=True, text=True, env=env, cwd=str(REPO))
    return None if proc.returncode else proc.stdout.strip() == 'True'


def bench_fromfile(runs: int) -> List[List[str]]:
    sys.path.insert(0, str(REPO))
    from legacy_runner.config import Config

    with open(EXPECTED, encoding='utf-8') as f:
        files = [case['file'] for case in json.load(f)['cases']]
    rows = []
    for rel in files:
        path = str(CASES_DIR / rel)
        _ = Config.fromfile(path).pretty_text  # warm-up: lazy imports (yaml, yapf) happen here
        load_ms, pretty_ms = [], []
        for _ in range(runs):
            start = time.perf_counter()
            cfg = Config.fromfile(path)
            load_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            _ = cfg.pretty_text
            pretty_ms.append((time.perf_counter() - start) * 1000)
        rows.append([rel, f'{statistics.median(load_ms):.2f}', f'{statistics.median(pretty_ms):.1f}'])
    return rows


# print-config in-process, then the child's own peak memory (MB) on stderr
_CHILD = ("import resource, sys; from legacy_runner.cli import main; "
          "rc = main(['print-config', sys.argv[1]]); sys.stdout.flush(); "
          "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
          "print(f'{peak:.0f}', file=sys.stderr); sys.exit(rc)")


def bench_large_literals() -> List[List[str]]:
    """``print-config`` in a fresh process on configs holding one huge literal (a statement beyond
    the yapf limit goes through our printer): wall time and peak memory of the child."""
    import random

    rng = random.Random(0)
    cases = {
        'list of 260,000 floats (5.3 MB)':
            f'model = dict(type=1)\nbig = {[rng.random() for _ in range(260_000)]!r}\n',
        'dict of 100,000 entries': "table = {f'k{i}': [i, i / 7] for i in range(100_000)}\n",
    }
    rows = []
    folder = tempfile.mkdtemp(prefix='bench_pretty_')
    try:
        for label, text in cases.items():
            path = os.path.join(folder, 'big.py')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, '-c', _CHILD, path], capture_output=True, text=True,
                                  env=_env(None), cwd=str(REPO))
            wall = time.perf_counter() - start
            peak = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else '?'
            status = 'ok' if proc.returncode == 0 else f'exit {proc.returncode}'
            rows.append([label, f'{wall:.2f}', peak, f'{len(proc.stdout) / 1e6:.1f} MB', status])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def print_table(headers: List[str], rows: List[List[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = ' | '.join('{:<%d}' % w for w in widths)
    print(fmt.format(*headers))
    print('-+-'.join('-' * w for w in widths))
    for row in rows:
        print(fmt.format(*row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=9, help='repetitions per measurement (median)')
    args = parser.parse_args()

    def fmt(value: Optional[float]) -> str:
        return 'n/a (import failed)' if value is None else f'{value:.1f}'

    cache_dir = tempfile.mkdtemp(prefix='bench_pycache_')
    try:
        as_is, warm = _env(None), _env(cache_dir)
        subprocess.run([sys.executable, '-c', '; '.join(f'import {m}' for m in MODULES)],
                       capture_output=True, env=warm, cwd=str(REPO))  # fill the bytecode cache
        rows = []
        for module in MODULES:
            rows.append([module, fmt(median_import_ms(module, as_is, args.runs)),
                         fmt(median_import_ms(module, warm, args.runs)),
                         str(torch_imported(module, as_is))])
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    dont_write = os.environ.get('PYTHONDONTWRITEBYTECODE')
    print(f'Import time, median of {args.runs} fresh interpreters (python -X importtime, cumulative ms)')
    print_table(['module', f'env as is (PYTHONDONTWRITEBYTECODE={dont_write})', 'warm .pyc cache',
                 'imports torch'], rows)
    print()
    print(f'Config.fromfile / pretty_text on the golden trees, median of {args.runs} runs (ms)')
    print_table(['case', 'fromfile', 'pretty_text'], bench_fromfile(args.runs))
    print()
    print('print-config on a huge literal, fresh process (launch and loading included)')
    print_table(['config', 'wall s', 'peak RSS MB', 'output', 'status'], bench_large_literals())


if __name__ == '__main__':
    main()
