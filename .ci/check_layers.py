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
from typing import Iterator, List, Tuple

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


def _is_ours(module: str) -> bool:
    path = ROOT / module.replace('.', '/')
    return path.is_dir() or path.with_suffix('.py').is_file()


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
            # ``from pkg import sub`` names a submodule: judge that one (else the module itself)
            subs = [f'{base}.{a.name}' for a in node.names if a.name != '*' and _is_ours(f'{base}.{a.name}')]
            yield from ((node.lineno, target) for target in subs or [base])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and OURS.match(node.value):
            yield node.lineno, node.value


def check_source(text: str, name: str, is_package: bool = False, where: str = '<source>') -> List[str]:
    """The violations of one module's source (``name``: its dotted name)."""
    own = layer(name)
    return [f'{where}:{line}: {own} module {name} uses {layer(target)} module {target}'
            for line, target in imports(ast.parse(text, where), name, is_package)
            if OURS.match(target) and layer(target) not in MAY_USE[own]]


def violations() -> List[str]:
    out = []
    for path in sorted([*ROOT.glob('legacy_runner/**/*.py'), *ROOT.glob('compat/**/*.py')]):
        name, is_package = module_name(path)
        out += check_source(path.read_text(), name, is_package, str(path.relative_to(ROOT)))
    return out


if __name__ == '__main__':
    found = violations()
    print('\n'.join(found) or 'layers: no violations')
    sys.exit(1 if found else 0)
