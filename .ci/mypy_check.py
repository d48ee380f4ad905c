"""mypy (default settings) over legacy_runner and compat, counted per layer against a baseline that may
only go down. Groups: the layers of .ci/check_layers.py, with the converter and the adapter on their
own. Usage: ``python .ci/mypy_check.py`` (exit 1 if a group has more errors than its baseline);
``--update`` writes the current counts when they went down. The baseline is .ci/mypy_baseline.json.
The groups in ZERO (core: config, registry, schedules, continuation, checkpoint, safe loading, dist,
utils; the converter; the adapter) must have no error at all: each one is printed as file:line.
"""
import collections
import importlib.util
import json
import re
import subprocess
import sys
from typing import Dict, List, Tuple

HERE = __file__.rsplit('/', 1)[0]
BASELINE = f'{HERE}/mypy_baseline.json'
_spec = importlib.util.spec_from_file_location('check_layers', f'{HERE}/check_layers.py')
layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layers)  # type: ignore[union-attr]
ZERO = ('core', 'convert', 'adapter')


def group(path: str) -> str:
    module = path[:-3].replace('/', '.')
    module = module[:-len('.__init__')] if module.endswith('.__init__') else module
    for name in ('compat.convert', 'compat.adapter'):
        if module == name or module.startswith(name + '.'):
            return name.split('.')[1]
    return layers.layer(module)


def errors() -> List[Tuple[str, str]]:
    """(group, mypy's error line) for every error."""
    out = subprocess.run([sys.executable, '-m', 'mypy', 'legacy_runner', 'compat'], cwd=layers.ROOT,
                         capture_output=True, text=True)
    found = []
    for line in out.stdout.splitlines():
        hit = re.match(r'^([\w/]+\.py):\d+: error:', line)
        if hit:
            found.append((group(hit.group(1)), line))
    if out.returncode not in (0, 1) or (out.returncode == 1 and not found):
        raise SystemExit(f'mypy did not run: {out.stderr.strip() or out.stdout.strip()}')
    return found


def main() -> int:
    with open(BASELINE) as f:
        baseline: Dict[str, int] = json.load(f)
    found = errors()
    now: Dict[str, int] = dict(collections.Counter(g for g, _ in found))
    worse = {g: n for g, n in now.items() if n > baseline.get(g, 0)}
    for g in sorted(set(baseline) | set(now)):
        print(f'mypy {g:8s} {now.get(g, 0):4d} errors (baseline {baseline.get(g, 0)})')
    must_be_clean = [line for g, line in found if g in ZERO]
    if must_be_clean:
        print('\n'.join(must_be_clean))
        print(f"mypy: {len(must_be_clean)} error(s) in {', '.join(ZERO)}, which must have none (listed "
              'above as file:line; fix the types, or add `# type: ignore[code]` with a reason where mypy '
              'is wrong)')
        return 1
    if worse:
        print('\n'.join(line for g, line in found if g in worse))
        print(f"mypy: more errors than the baseline in {', '.join(sorted(worse))} (fix them; the baseline "
              'only goes down)')
        return 1
    if now != baseline and '--update' in sys.argv:
        with open(BASELINE, 'w') as f:
            json.dump({g: now.get(g, 0) for g in sorted(baseline)}, f, indent=1)
            f.write('\n')
        print(f'mypy: baseline lowered in {BASELINE}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
