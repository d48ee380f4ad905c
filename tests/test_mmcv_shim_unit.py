"""Unit tests of the mmcv import shim: names, errors, activation rules, registry linking, exec."""
import importlib
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Iterator, List

import pytest
from run_helpers import ROOT as REPO

from compat import _shim_finder

pytestmark = pytest.mark.skipif(_shim_finder.find_real_mmcv() is not None,
                                reason='a real mmcv is installed')

# mmcv 1.7.2: module -> names that must import
SURFACE = {
    'mmcv': 'Config ConfigDict DictAction Registry build_from_cfg ProgressBar track_progress '
            'track_iter_progress track_parallel_progress get_logger print_log Timer TimerError check_time '
            'is_list_of is_seq_of is_tuple_of is_str mkdir_or_exist symlink scandir check_file_exist '
            'digit_version get_git_hash import_modules_from_strings load dump FileClient __version__',
    'mmcv.runner': 'BaseRunner EpochBasedRunner Runner IterBasedRunner IterLoader RUNNERS build_runner '
                   'DefaultRunnerConstructor LogBuffer HOOKS Hook Priority get_priority LrUpdaterHook '
                   'StepLrUpdaterHook CosineAnnealingLrUpdaterHook CyclicLrUpdaterHook '
                   'OneCycleLrUpdaterHook StepMomentumUpdaterHook CosineAnnealingMomentumUpdaterHook '
                   'OptimizerHook Fp16OptimizerHook '
                   'GradientCumulativeOptimizerHook GradientCumulativeFp16OptimizerHook CheckpointHook '
                   'IterTimerHook LoggerHook TextLoggerHook TensorboardLoggerHook WandbLoggerHook '
                   'MlflowLoggerHook PaviLoggerHook NeptuneLoggerHook DvcliveLoggerHook SegmindLoggerHook '
                   'ClearMLLoggerHook EvalHook DistEvalHook EMAHook DistSamplerSeedHook SyncBuffersHook '
                   'ClosureHook save_checkpoint load_checkpoint load_state_dict _load_checkpoint '
                   '_load_checkpoint_with_prefix CheckpointLoader weights_to_cpu build_optimizer '
                   'build_optimizer_constructor OPTIMIZERS OPTIMIZER_BUILDERS DefaultOptimizerConstructor '
                   'get_dist_info init_dist master_only allreduce_grads allreduce_params get_host_info '
                   'get_time_str obj_from_dict set_random_seed auto_fp16 force_fp32 wrap_fp16_model '
                   'LossScaler BaseModule Sequential ModuleList ModuleDict',
    'mmcv.runner.hooks': 'EmptyCacheHook ProfilerHook',
    'mmcv.runner.checkpoint': 'get_state_dict get_torchvision_models get_external_models get_mmcls_models '
                              'get_deprecated_model_names _get_mmcv_home',
    'mmcv.runner.hooks.lr_updater': 'annealing_cos annealing_linear format_param get_position_from_periods',
    'mmcv.engine': 'single_gpu_test multi_gpu_test collect_results_cpu collect_results_gpu',
    'mmcv.parallel': 'MMDataParallel MMDistributedDataParallel collate DataContainer scatter scatter_kwargs '
                     'is_module_wrapper MODULE_WRAPPERS',
    'mmcv.utils': 'Registry build_from_cfg Config DictAction get_logger print_log worker_init_fn '
                  'to_2tuple requires_package deprecated_api_warning _BatchNorm SyncBatchNorm TORCH_VERSION',
    'mmcv.cnn': 'ConvModule build_conv_layer build_norm_layer build_activation_layer build_padding_layer '
                'build_upsample_layer CONV_LAYERS NORM_LAYERS ACTIVATION_LAYERS PADDING_LAYERS '
                'UPSAMPLE_LAYERS '
                'constant_init xavier_init normal_init kaiming_init bias_init_with_prob MODELS',
}


def _purge_mmcv() -> None:
    for name in [n for n in sys.modules if n == 'mmcv' or n.startswith('mmcv.')]:
        del sys.modules[name]


@pytest.fixture
def shim() -> Iterator[object]:
    """The shim active in this process; afterwards inactive, mmcv forgotten, registries unlinked."""
    from legacy_runner.builder import DATASETS, MODELS
    from legacy_runner.hooks import HOOKS
    registries = [MODELS, DATASETS, HOOKS]
    saved = [(list(r._fallbacks), dict(r.children)) for r in registries]
    _purge_mmcv()
    assert _shim_finder.install()
    yield _shim_finder
    _shim_finder.uninstall()
    _purge_mmcv()
    for registry, (fallbacks, children) in zip(registries, saved):
        registry._fallbacks[:] = fallbacks
        registry.children.clear()
        registry.children.update(children)


@pytest.mark.parametrize('module', sorted(SURFACE))
def test_surface_names_resolve_to_legacy_runner(shim: object, module: str) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in SURFACE[module].split() if not hasattr(mod, n)]
    assert not missing, f'{module} lacks {missing}'
    assert _shim_finder.is_shim_module(mod)


def test_same_objects_as_legacy_runner(shim: object) -> None:
    import mmcv
    from mmcv.parallel import MMDataParallel
    from mmcv.runner import HOOKS, EpochBasedRunner, auto_fp16

    import legacy_runner.fp16_utils as fp16
    import legacy_runner.hooks as hooks
    import legacy_runner.parallel as parallel
    import legacy_runner.runner as runner
    from legacy_runner.config import Config
    assert mmcv.Config is Config and EpochBasedRunner is runner.EpochBasedRunner
    assert HOOKS is hooks.HOOKS and auto_fp16 is fp16.auto_fp16
    assert MMDataParallel is parallel.MMDataParallel
    assert mmcv.__version__ == '1.7.0' and mmcv.version_info == (1, 7, 0)


def test_import_mmcv_is_light_and_runner_not_auto_imported() -> None:
    code = ('import sys, compat.mmcv_shim, mmcv\n'
            'assert "torch" not in sys.modules, "import mmcv imported torch"\n'
            'assert not hasattr(mmcv, "runner")\n'
            'try:\n    mmcv.runner\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n'
            'import mmcv.runner\nassert mmcv.runner.hooks is sys.modules["mmcv.runner.hooks"]\n')
    subprocess.run([sys.executable, '-c', code], check=True, env=_env(), timeout=120)


@pytest.mark.parametrize('stmt, words', [
    ('import mmcv._ext', ['mmcv._ext', 'not provided']),
    ('import mmcv.transforms', ['mmcv.transforms', 'not provided']),
    ('from mmcv.runner import NoSuchHook', ['NoSuchHook', 'mmcv.runner', 'not provided']),
    ('from mmcv import no_such_name', ['no_such_name', 'not provided']),
    ('from mmcv.cnn import NoSuchLayer', ['NoSuchLayer', 'mmcv.cnn']),
])
def test_missing_names_raise_import_error_naming_them(shim: object, stmt: str, words: List[str]) -> None:
    with pytest.raises(ImportError) as info:
        exec(stmt, {})
    assert all(w in str(info.value) for w in words), str(info.value)


def test_attribute_error_for_missing_attribute(shim: object) -> None:
    import mmcv
    assert not hasattr(mmcv, 'no_such_name')
    with pytest.raises(AttributeError, match='no_such_name'):
        mmcv.no_such_name  # noqa: B018


def test_load_dump_roundtrip(shim: object, tmp_path: 'os.PathLike') -> None:
    import mmcv
    obj = {'a': [1, 2], 'b': 'x'}
    for ext in ('json', 'yaml', 'pkl'):
        path = osp.join(str(tmp_path), f'o.{ext}')
        mmcv.dump(obj, path)
        assert mmcv.load(path) == obj
    assert json.loads(mmcv.dump(obj, file_format='json')) == obj


def test_old_registries_link_to_runtime_registries(shim: object) -> None:
    from mmcv.cnn import MODELS as MMCV_MODELS
    from mmcv.utils import Registry

    from legacy_runner.builder import DATASETS, MODELS, build_dataset, build_model
    from legacy_runner.hooks import HOOKS
    from legacy_runner.registry import Registry as CoreRegistry

    old_models = Registry('models', parent=MMCV_MODELS, scope='shimtest')
    old_backbones = Registry('backbone')
    old_datasets = Registry('dataset')
    old_hooks = Registry('hooks')
    unknown = Registry('widgets')
    assert old_models.scope == 'shimtest' and old_backbones.scope == __name__.split('.')[0]
    assert old_models.parent is MODELS and MODELS.children['shimtest'] is old_models

    @old_models.register_module()
    class ShimTestModel:
        def __init__(self, width: int = 1) -> None:
            self.width = width

    @old_backbones.register_module()
    class ShimTestBackbone:
        pass

    @old_datasets.register_module()
    class ShimTestDataset:
        def __init__(self, test_mode: bool = False) -> None:
            self.test_mode = test_mode

    @old_hooks.register_module()
    class ShimTestHook:
        pass

    @unknown.register_module()
    class ShimTestWidget:
        pass

    assert build_model(dict(type='ShimTestModel', width=3)).width == 3
    assert MODELS.get('ShimTestBackbone') is ShimTestBackbone
    assert MODELS.get('shimtest.ShimTestModel') is ShimTestModel
    assert build_dataset(dict(type='ShimTestDataset'), dict(test_mode=True)).test_mode
    assert HOOKS.get('ShimTestHook') is ShimTestHook
    assert MODELS.get('ShimTestWidget') is None and DATASETS.get('ShimTestModel') is None
    # the old registries themselves keep mmcv semantics: no fallback to the parent
    assert old_models.get('ShimTestBackbone') is None
    # a plain core Registry never falls back (mmcv semantics for direct users)
    parent = CoreRegistry('p')
    child = CoreRegistry('c', parent=parent, scope='kid')
    child.register_module(module=ShimTestWidget)
    assert parent.get('ShimTestWidget') is None and parent.get('kid.ShimTestWidget') is ShimTestWidget


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ('LEGACY_RUNNER_SHIM', 'PYTHONPATH')}
    env.update(OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    env.update(extra)
    return env


@pytest.fixture
def fake_real_mmcv(tmp_path: 'os.PathLike') -> str:
    """A directory holding a stand-in for a real installed mmcv."""
    pkg = osp.join(str(tmp_path), 'site', 'mmcv')
    os.makedirs(pkg)
    with open(osp.join(pkg, '__init__.py'), 'w') as f:
        f.write("__version__ = '1.7.0'\nREAL = True\n")
    return osp.dirname(pkg)


@pytest.mark.parametrize('how, expect_real', [
    ('import', True), ('import-force', False), ('exec', True), ('exec-force', False)])
def test_real_mmcv_is_never_shadowed_unless_forced(fake_real_mmcv: str, tmp_path: 'os.PathLike',
                                                   how: str, expect_real: bool) -> None:
    script = osp.join(str(tmp_path), 'probe.py')
    with open(script, 'w') as f:
        f.write('import mmcv\nprint("REAL" if getattr(mmcv, "REAL", False) else "SHIM")\n')
    env = _env(PYTHONPATH=os.pathsep.join([REPO, fake_real_mmcv]))
    if how.startswith('import'):
        if how == 'import-force':
            env['LEGACY_RUNNER_SHIM'] = 'force'
        cmd = [sys.executable, '-c', 'import compat.mmcv_shim; exec(open(%r).read())' % script]
    else:
        force = ['--force-shim'] if how == 'exec-force' else []
        cmd = [sys.executable, '-m', 'legacy_runner', 'exec', *force, script]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ('REAL' if expect_real else 'SHIM')
    if expect_real:
        assert 'real mmcv is installed' in proc.stderr


def test_exec_runs_script_like_python(tmp_path: 'os.PathLike') -> None:
    sub = osp.join(str(tmp_path), 'scripts')
    os.makedirs(sub)
    with open(osp.join(sub, 'helper_mod.py'), 'w') as f:
        f.write('VALUE = 42\n')
    script = osp.join(sub, 'old.py')
    with open(script, 'w') as f:
        f.write('import json, os, sys\nimport helper_mod\nimport mmcv\n'
                'class Thing:\n    pass\n'
                'print(json.dumps(dict(argv=sys.argv, path0=sys.path[0], name=__name__, v=mmcv.__version__,'
                ' main=sys.modules["__main__"].Thing is Thing, helper=helper_mod.VALUE,'
                ' env=os.environ.get("LEGACY_RUNNER_SHIM"))))\n'
                'sys.exit(int(sys.argv[-1]))\n')
    proc = subprocess.run([sys.executable, '-m', 'legacy_runner', 'exec', script, '--debug', '-x', 'a=1',
                           '--work-dir', 'w', '3'], cwd=str(tmp_path), env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    out = json.loads(proc.stdout)
    assert out == dict(argv=[script, '--debug', '-x', 'a=1', '--work-dir', 'w', '3'], path0=sub,
                       name='__main__', v='1.7.0', main=True, helper=42, env='1')


def test_exec_missing_script_is_one_error_line(tmp_path: 'os.PathLike') -> None:
    proc = subprocess.run([sys.executable, '-m', 'legacy_runner', 'exec', 'nope.py'], cwd=str(tmp_path),
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and 'script file not found: nope.py' in proc.stderr


@pytest.mark.parametrize('value, mode', [('', None), ('0', None), ('off', None), ('1', 'auto'),
                                         ('yes', 'auto'), ('FORCE', 'force')])
def test_env_mode(value: str, mode: object) -> None:
    assert _shim_finder.env_mode(value) == mode


def test_pth_line_is_inert_without_the_variable() -> None:
    with open(osp.join(REPO, 'compat', 'legacy_runner_shim.pth')) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('import ')  # site.py executes 'import' lines
    code = 'import sys\nexec(%r)\nprint("compat._shim_env" in sys.modules)' % lines[0]
    off = subprocess.run([sys.executable, '-c', code], env=_env(), capture_output=True, text=True, timeout=60)
    assert off.stdout.split()[0] == 'False', off.stderr
    on = subprocess.run([sys.executable, '-c', code + '\nimport mmcv; print(mmcv.__version__)'],
                        env=_env(LEGACY_RUNNER_SHIM='1'), capture_output=True, text=True, timeout=60)
    assert on.stdout.split()[0] == 'True' and on.stdout.split()[-1] == '1.7.0', on.stderr
