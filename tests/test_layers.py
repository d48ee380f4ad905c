"""The layer contract (.ci/check_layers.py, docs/architecture.md) and what a v1 launch imports."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
_spec = importlib.util.spec_from_file_location('check_layers', osp.join(ROOT, '.ci', 'check_layers.py'))
check_layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_layers)


def test_the_tree_keeps_the_layers():
    assert check_layers.violations() == []


@pytest.mark.parametrize('name, source, target', [
    # a lazy import inside a function counts as much as a module-level one
    ('legacy_runner.checkpoint', 'def f():\n    from compat.adapter import run\n', 'compat.adapter.run'),
    # strings that name our modules: importlib and sys.modules keys
    ('legacy_runner.safe_load', "import importlib\nimportlib.import_module('compat.v2.logging')\n",
     'compat.v2.logging'),
    ('legacy_runner.utils.env', "import sys\nsys.modules.get('compat.mmcv_shim')\n", 'compat.mmcv_shim'),
    # relative imports are resolved; ``from package import submodule`` is judged by the submodule
    ('legacy_runner.cnn.bricks.conv', 'from ...hooks import lr_updater\n', 'legacy_runner.hooks.lr_updater'),
    ('legacy_runner.dist', 'from legacy_runner import train\n', 'legacy_runner.train'),
    # the two runtimes never import each other
    ('compat.v2.loops', 'from legacy_runner.runner.base_runner import BaseRunner\n',
     'legacy_runner.runner.base_runner'),
    ('legacy_runner.runner.base_runner', 'import compat.v2.runner\n', 'compat.v2.runner'),
    # the converter and adapter do not reach the command line
    ('compat.adapter.run', 'from legacy_runner.cli import main\n', 'legacy_runner.cli'),
])
def test_each_kind_of_violation_is_reported_on_one_line(name, source, target):
    found = check_layers.check_source(source, name, where='x.py')
    assert len(found) == 1 and found[0].startswith('x.py:') and found[0].endswith(f'module {target}'), found


@pytest.mark.parametrize('name, source', [
    ('legacy_runner.cli', 'from compat.adapter.run import train\n'),  # the app may use every layer
    ('compat.adapter.registries', 'from compat.v2 import registry\nfrom legacy_runner import builder\n'),
    ('compat.v2.builders', 'from legacy_runner.utils.priority import Priority\n'),
    ('legacy_runner.cnn.rfsearch.search', 'from ...hook_base import HOOKS, Hook\n'),
    ('legacy_runner.safe_load', "MSG = 'compat.v2 is not a module reference'\n"),  # not a dotted name
])
def test_allowed_imports_pass(name, source):
    assert check_layers.check_source(source, name) == []


def test_every_module_has_a_layer():
    for base in ('legacy_runner', 'compat'):
        for dirpath, _, files in os.walk(osp.join(ROOT, base)):
            for f in files:
                if f.endswith('.py'):
                    name = osp.relpath(osp.join(dirpath, f[:-3]), ROOT).replace(os.sep, '.')
                    assert check_layers.layer(name) in check_layers.MAY_USE


# ------------------------------------------------------------------------ a v1 launch loads no v2
PROBE = textwrap.dedent('''
    import sys
    from legacy_runner.cli import main
    work, opts = sys.argv[1], ['runner.max_epochs=1', 'data.train.num_samples=64', 'data.val.num_samples=32']
    config = 'configs_v1/mlp_step_epoch.py'
    assert main(['train', config, '--work-dir', work, '--cfg-options', *opts]) in (0, None)
    ckpt = work + '/epoch_1.pth'
    assert main(['test', config, ckpt, '--eval', 'accuracy', '--cfg-options', *opts]) in (0, None)
    import gc
    print('FROZEN in-process', gc.get_freeze_count())  # a caller's heap is left alone
    sys.argv = ['legacy-runner', 'test', config, ckpt, '--eval', 'accuracy', '--cfg-options', *opts]
    assert main() in (0, None)  # as the process's own command: the imported heap is frozen
    print('FROZEN own', gc.get_freeze_count() > 100_000)
    print('LOADED', sorted(m for m in sys.modules if m.split('.')[:2] == ['compat', 'v2']
                           or m.startswith('torch.distributed.checkpoint')))
''')


def test_v1_train_and_test_import_no_v2_runtime(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    out = subprocess.run([sys.executable, '-c', PROBE, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'accuracy' in out.stdout + out.stderr  # the test command ran its evaluation
    marks = [line for line in out.stdout.splitlines() if line.startswith(('FROZEN', 'LOADED'))]
    assert marks == ['FROZEN in-process 0', 'FROZEN own True', 'LOADED []']


MIXED = textwrap.dedent('''
    import glob, sys
    import compat.adapter  # what the launcher imports: registers the safe loader's v2 provider
    from legacy_runner.checkpoint import _load_checkpoint
    v1, v2 = sys.argv[1:]
    _load_checkpoint(v1, logger='silent')
    print('after v1 file', 'compat.v2' in sys.modules)
    hub = _load_checkpoint(v2, logger='silent')['message_hub']
    print('after v2 file', 'compat.v2' in sys.modules, type(hub['log_scalars']['train/loss']).__module__)
''')


def test_a_v2_checkpoint_brings_in_the_v2_classes_only_when_read():
    import glob
    golden = sorted(glob.glob(osp.join(ROOT, 'tests', 'data', '**', '*.pth'), recursive=True))
    v1 = next(p for p in golden if 'mmcv_run' in p)
    v2 = next(p for p in golden if 'mmengine_run' in p)
    out = subprocess.run([sys.executable, '-c', MIXED, v1, v2], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split('\n')[:2] == ['after v1 file False', 'after v2 file True compat.v2.logging']
