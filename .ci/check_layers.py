"""Layer contract check: every import inside legacy_runner/ and compat/ must point down or sideways.

Layers (docs/architecture.md): core <- lib (mmcv library pieces) <- v1 | v2 (runtimes, not each
other) <- bridge (adapter, converter, mmcv shim) <- app (command line). Imports are read with ``ast``:
module level, inside functions, and strings naming one of our modules (importlib, sys.modules keys).
Prints one line per violation and exits 1 if there is any. Usage: ``python .ci/check_layers.py``.
"""
import ast
import pathlib
import re
import sys
from typing import Iterator, List, Optional, Tuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
# module prefix -> layer; the longest matching prefix wins
# (anything else under legacy_runner is core: config, registry, schedules, continuation, checkpoint,
# safe_load, dist, utils, parallel, optim_builder, hook_base, preemption, seed, errors, version)
LAYER_OF = {
    'legacy_runner': 'core', 'compat': 'bridge',
    **{f'legacy_runner.{m}': 'lib' for m in (
        'cnn', 'image', 'video', 'visualization', 'arraymisc', 'ops', 'device', 'base_module', 'fp16_utils',
        'builder', 'examples')},
    **{f'legacy_runner.{m}': 'v1' for m in (
        'runner', 'hooks', 'train', 'engine', 'preflight', 'onnx_export')},
    **{f'legacy_runner.{m}': 'app' for m in ('cli', '__main__', 'commands', 'tools')},
    'compat.v2': 'v2', 'compat.v2_plugins': 'v2',
    'compat.convert.cli': 'app', 'compat.convert.__main__': 'app',
}
MAY_USE = {
    'core': {'core'}, 'lib': {'core', 'lib'}, 'v1': {'core', 'lib', 'v1'}, 'v2': {'core', 'lib', 'v2'},
    'bridge': {'core', 'lib', 'v1', 'v2', 'bridge'}, 'app': {'core', 'lib', 'v1', 'v2', 'bridge', 'app'},
}
OURS = re.compile(r'^(legacy_runner|compat)(\.[A-Za-z_]\w*)*$')


def layer(module: str) -> str:
    parts = module.split('.')
    for n in range(len(parts), 0, -1):
        if '.'.join(parts[:n]) in LAYER_OF:
            return LAYER_OF['.'.join(parts[:n])]
    raise KeyError(module)


def module_name(path: pathlib.Path) -> Tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    is_package = parts[-1] == '__init__'
    return '.'.join(parts[:-1] if is_package else parts), is_package


def imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[Tuple[int, str]]:
    """(line, imported module) for every import statement and every string naming our module."""
    package = name if is_package else name.rpartition('.')[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            yield node.lineno, base
            # ``from pkg import sub`` may name a submodule: judge it as pkg.sub when that is ours
            for alias in node.names:
                if alias.name != '*' and (ROOT / base.replace('.', '/') / alias.name).exists():
                    yield node.lineno, f'{base}.{alias.name}'
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and OURS.match(node.value):
            yield node.lineno, node.value


def violations(files: Optional[List[pathlib.Path]] = None) -> List[str]:
    out = []
    for path in files or sorted([*ROOT.glob('legacy_runner/**/*.py'), *ROOT.glob('compat/**/*.py')]):
        name, is_package = module_name(path)
        own = layer(name)
        for line, target in imports(ast.parse(path.read_text(), str(path)), name, is_package):
            if OURS.match(target) and layer(target) not in MAY_USE[own]:
                out.append(f'{path.relative_to(ROOT)}:{line}: {own} module {name} uses {layer(target)} '
                           f'module {target}')
    return out


if __name__ == '__main__':
    found = violations()
    print('\n'.join(found) or 'layers: no violations')
    sys.exit(1 if found else 0)
