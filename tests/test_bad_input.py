"""Bad input through the command line: every case exits with code 2 and one
``error:`` line on stderr (no traceback) that names the file, the key and the value.

Each case is a small v1 config in ``tmp_path`` inheriting ``configs_v1/mlp_step_epoch.py`` through
an absolute ``_base_`` path (``configs_v2/mlp_step_epoch.py`` for the v2 runtime), plus overrides.
Every case fails before training starts. The tables call ``legacy_runner.cli.main`` in-process
(``run_main``: milliseconds per row); a few cases per topic (the ``*_subprocess`` tests) go through
the real ``python -m legacy_runner`` (``run_cli``) to keep the exit-code/stderr contract honest.
"""
import os.path as osp
import random
import zipfile

import pytest
import torch
from run_helpers import ROOT
from run_helpers import cli_subprocess as run_cli  # the real process
from run_helpers import run_cli as run_main  # in-process

from legacy_runner.errors import TRUNCATED_HINT, looks_truncated

BASES = {'v1': osp.join(ROOT, 'configs_v1', 'mlp_step_epoch.py'),
         'v2': osp.join(ROOT, 'configs_v2', 'mlp_step_epoch.py')}


@pytest.fixture
def cli():
    """``cli(*args)``: the command line in-process (``run_helpers.run_cli``)."""
    return run_main


def write(path, text):
    path.write_text(text)
    return str(path)


def config(tmp_path, body='', runtime='v1', name='bad.py'):
    return write(tmp_path / name, f'_base_ = {BASES[runtime]!r}\n{body}\n')


def assert_one_line_error(proc, *needles):
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert 'Traceback' not in proc.stderr
    line = lines[0]
    assert ': error: ' in line, line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


# ---------------------------------------------------------------- config files (both runtimes)

RUNTIMES = ['v1', 'v2']


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_syntax_error_names_file_and_line_subprocess(tmp_path, runtime):
    cfg = config(tmp_path, 'x = 1\noptimizer = dict(lr=0.1,\n', runtime)
    line = assert_one_line_error(run_cli('train', cfg, '--work-dir', str(tmp_path / 'w')), cfg)
    assert f'{cfg}:3: cannot load config: SyntaxError: ' in line, line


# name: ({file in tmp_path: text}, the config given to the command, (file, line) the error names,
#        more strings the error line must contain)
PARSE_CASES = {
    'py_invalid_syntax': ({'bad.py': 'a = 1\nb = = 2\n'}, 'bad.py', ('bad.py', 2), ['SyntaxError']),
    'py_name_error': ({'bad.py': 'a = 1\nb = 2\n\nc = undefined + 1\n'}, 'bad.py', ('bad.py', 4),
                      ["NameError: name 'undefined' is not defined"]),
    'py_error_in_config_function': ({'bad.py': 'def f(x):\n    return x.nope\n\n\ny = f(1)\n'},
                                    'bad.py', ('bad.py', 2), ['AttributeError', 'nope']),
    'py_syntax_error_in_eval': ({'bad.py': "a = 1\nb = eval('1 +')\n"}, 'bad.py', ('bad.py', 2),
                                ['SyntaxError']),
    'py_syntax_error_in_base': ({'base.py': 'a = 1\nb = [1,\n', 'bad.py': "_base_ = 'base.py'\n"},
                                'bad.py', ('base.py', 2), ['SyntaxError', "'[' was never closed"]),
    'py_name_error_in_base': ({'base.py': 'a = 1\nb = a + c\n', 'bad.py': "_base_ = 'base.py'\nx = 1\n"},
                              'bad.py', ('base.py', 2), ['NameError']),
    'json_parse_error': ({'bad.json': '{"a": 1,\n "b": }\n'}, 'bad.json', ('bad.json', 2),
                         ['JSONDecodeError: Expecting value']),
    'json_base_parse_error': ({'base.json': '{\n"a": 1,\n\n"b" 2}\n', 'bad.py': "_base_ = 'base.json'\n"},
                              'bad.py', ('base.json', 4), ['JSONDecodeError']),
    'yaml_parse_error': ({'bad.yaml': 'a: 1\nb: [1, 2\nc: 3\n'}, 'bad.yaml', ('bad.yaml', 3),
                         ['did not find expected', 'flow sequence']),
    'yml_base_parse_error': ({'base.yml': 'a: 1\n  b: 2\n', 'bad.py': "_base_ = 'base.yml'\n"},
                             'bad.py', ('base.yml', 2), ['mapping values are not allowed']),
}


@pytest.mark.parametrize('name', sorted(PARSE_CASES))
def test_parse_and_exec_errors_name_file_and_line(tmp_path, cli, name):
    files, top, (where, lineno), needles = PARSE_CASES[name]
    for fname, text in files.items():
        write(tmp_path / fname, text)
    cfg = str(tmp_path / top)
    line = assert_one_line_error(cli('train', cfg, '--work-dir', tmp_path / 'w'), *needles)
    # "cannot load config" stays: the convert-config command line promises these words too
    assert f'error: {tmp_path / where}:{lineno}: cannot load config: ' in line, line
    if where != top:
        assert line.endswith(f'(while loading {cfg})'), line


def test_name_error_shows_the_traceback_with_debug(tmp_path, cli):
    cfg = write(tmp_path / 'bad.py', 'a = 1\nc = undefined + 1\n')
    proc = cli('print-config', cfg, '--debug')
    assert proc.returncode == 2 and 'Traceback' in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(f"{cfg}:2: cannot load config: NameError: name "
                                                 "'undefined' is not defined")


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_missing_base_names_the_missing_file(tmp_path, cli, runtime):
    missing = str(tmp_path / 'nowhere' / 'base.py')
    cfg = write(tmp_path / 'bad.py', f'_base_ = [{BASES[runtime]!r}, {missing!r}]\n')
    assert_one_line_error(cli('train', cfg, '--work-dir', str(tmp_path / 'w')), cfg, missing)


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_circular_base_names_the_cycle(tmp_path, cli, runtime):
    a, b = tmp_path / 'a.py', tmp_path / 'b.py'
    write(a, f'_base_ = [{BASES[runtime]!r}, {str(b)!r}]\n')
    write(b, f'_base_ = {str(a)!r}\n')
    line = assert_one_line_error(cli('train', str(a), '--work-dir', str(tmp_path / 'w')), str(a))
    assert 'circular' in line.lower() or 'cycl' in line.lower(), line


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_unknown_model_type_suggests(tmp_path, cli, runtime):
    cfg = config(tmp_path, "model = dict(type='MLPClasifier')", runtime)
    assert_one_line_error(cli('train', cfg, '--work-dir', str(tmp_path / 'w')),
                          cfg, 'model.type', 'MLPClasifier', 'Did you mean')
# ---------------------------------------------------------------- v1 config sections

V1_CASES = {
    # name: (config body or --cfg-options list, strings the error line must contain)
    'workflow_typo_phase': ("workflow = [('trian', 1)]", ['workflow', "'trian'"]),
    'workflow_zero_epochs': ("workflow = [('train', 0)]", ['workflow', "('train', 0)"]),
    'workflow_negative_epochs': ("workflow = [('train', -1)]", ['workflow', "('train', -1)"]),
    'workflow_not_tuples': ("workflow = ['train']", ['workflow', "'train'"]),
    'workflow_not_a_list': ("workflow = 'train'", ['workflow', "'train'"]),
    'workflow_float_epochs': ("workflow = [('train', 1.5)]", ['workflow', '1.5']),
    'workflow_empty': ('workflow = []', ['workflow', '[]']),
    'lr_policy_unknown': ("lr_config = dict(policy='stpe', step=[5])",
                          ['lr_config.policy', "'stpe'", 'Did you mean']),
    'momentum_policy_unknown': ("momentum_config = dict(policy='cyclicc')",
                                ['momentum_config.policy', "'cyclicc'", 'Did you mean']),
    'warmup_type_bogus': ("lr_config = dict(warmup='bogus')", ['lr_config.warmup', "'bogus'"]),
    'warmup_iters_zero': ('lr_config = dict(warmup_iters=0)', ['lr_config.warmup_iters', '0']),
    'warmup_ratio_zero': ('lr_config = dict(warmup_ratio=0)', ['lr_config.warmup_ratio', '0']),
    'warmup_ratio_above_one': ('lr_config = dict(warmup_ratio=1.5)',
                               ['lr_config.warmup_ratio', '1.5']),
    'momentum_warmup_bogus': ("momentum_config = dict(policy='step', step=[5], warmup='bogus')",
                              ['momentum_config.warmup', "'bogus'"]),
    'log_interval_zero': ('log_config = dict(interval=0)', ['log_config.interval', '0']),
    'log_interval_negative': ('log_config = dict(interval=-5)', ['log_config.interval', '-5']),
    'log_hook_interval_zero': ("log_config = dict(hooks=[dict(type='TextLoggerHook', interval=0)])",
                               ['log_config.hooks[0].interval', '0']),
    'eval_interval_zero': ('evaluation = dict(interval=0)', ['evaluation.interval', '0']),
    'eval_interval_negative': ('evaluation = dict(interval=-2)', ['evaluation.interval', '-2']),
    'val_split_missing': ("data = dict(val=None)\nevaluation = None",
                          ['data.val', "'val'", 'workflow']),
}


def test_v1_config_section_subprocess(tmp_path):
    cfg = config(tmp_path, "lr_config = dict(policy='stpe', step=[5])")
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert_one_line_error(proc, cfg, 'lr_config.policy', "'stpe'", 'Did you mean')
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('name', sorted(V1_CASES))
def test_v1_config_section(tmp_path, cli, name):
    body, needles = V1_CASES[name]
    cfg = config(tmp_path, body)
    work_dir = tmp_path / 'w'
    proc = cli('train', cfg, '--work-dir', str(work_dir))
    assert_one_line_error(proc, cfg, *needles)
    assert not work_dir.exists(), 'the error must come before the work dir is created'


def test_v1_missing_val_split_without_eval(tmp_path, cli):
    # --no-validate: only the ('val', 1) workflow phase needs data.val
    cfg = config(tmp_path, 'data = dict(val=None)')
    proc = cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate')
    assert_one_line_error(proc, cfg, 'data.val', 'workflow')


def test_v1_missing_val_split_via_cfg_options(tmp_path, cli):
    cfg = config(tmp_path, "workflow = [('train', 1)]\ndata = dict(val=None)")
    proc = cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate',
                   '--cfg-options', "workflow=[('train',1),('val',1)]")
    assert_one_line_error(proc, cfg, 'data.val', 'workflow')


def test_v1_checkpoint_interval_minus_one_is_legal(tmp_path):
    # mmcv 1.x: CheckpointHook interval=-1 means "the last epoch only"; it must pass the checks
    # (shortened to one tiny epoch so that the run is quick).
    cfg = config(tmp_path, 'checkpoint_config = dict(interval=-1)\nrunner = dict(max_epochs=1)\n'
                           'evaluation = dict(interval=1)')
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()


# ---------------------------------------------------------------- v2 config sections (compat.v2.preflight)

V2_CASES = {
    # name: (config body, strings the error line must contain)
    'param_scheduler_unknown': ("param_scheduler = [dict(type='Cosine', T_max=8)]",
                                ['param_scheduler[0].type', "'Cosine'", 'parameter scheduler registry',
                                 'Did you mean']),
    'optim_wrapper_type_unknown': ("optim_wrapper = dict(type='OptimWraper')",
                                   ['optim_wrapper.type', "'OptimWraper'", 'Did you mean: OptimWrapper']),
    'optimizer_type_unknown': ("optim_wrapper = dict(optimizer=dict(type='SGDD'))",
                               ['optim_wrapper.optimizer.type', "'SGDD'", 'Did you mean: SGD']),
    'default_hook_unknown': ("default_hooks = dict(logger=dict(type='LogerHook'))",
                             ['default_hooks.logger.type', "'LogerHook'", 'Did you mean: LoggerHook']),
    'custom_hook_unknown': ("custom_hooks = [dict(type='EMAHok')]",
                            ['custom_hooks[0].type', "'EMAHok'", 'Did you mean: EMAHook']),
    'train_loop_unknown': ("train_cfg = dict(type='EpochBasedLoop', max_epochs=2)",
                           ['train_cfg.type', "'EpochBasedLoop'", 'Did you mean: EpochBasedTrainLoop']),
    'val_interval_zero': ('train_cfg = dict(val_interval=0)', ['train_cfg.val_interval', 'got 0']),
    'val_interval_negative': ('train_cfg = dict(val_interval=-1)', ['train_cfg.val_interval', 'got -1']),
    'checkpoint_interval_zero': ('default_hooks = dict(checkpoint=dict(interval=0))',
                                 ['default_hooks.checkpoint.interval', 'got 0']),
    'checkpoint_interval_negative': ('default_hooks = dict(checkpoint=dict(interval=-3))',
                                     ['default_hooks.checkpoint.interval', 'got -3']),
    'logger_interval_zero': ('default_hooks = dict(logger=dict(interval=0))',
                             ['default_hooks.logger.interval', 'got 0']),
    'logger_interval_negative': ('default_hooks = dict(logger=dict(interval=-1))',
                                 ['default_hooks.logger.interval', 'got -1']),
    'train_cfg_without_length': ("train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop')",
                                 ['train_cfg', 'neither max_epochs nor max_iters']),
    'train_cfg_wrong_length': ('train_cfg = dict(_delete_=True, by_epoch=True, max_iters=8)',
                               ['train_cfg.max_epochs', 'max_iters=8']),
    'val_cfg_without_val_dataloader': ('val_dataloader = None', ['val_dataloader: missing', 'val_cfg']),
    'val_dataloader_without_val_cfg': ('val_cfg = None\nval_evaluator = None',
                                       ['val_cfg: missing', 'val_dataloader is set']),
}


def test_v2_config_section_subprocess(tmp_path):
    cfg = config(tmp_path, "param_scheduler = [dict(type='Cosine', T_max=8)]", 'v2')
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert_one_line_error(proc, cfg, 'param_scheduler[0].type', "'Cosine'", 'Did you mean')
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('name', sorted(V2_CASES))
def test_v2_config_section(tmp_path, cli, name):
    body, needles = V2_CASES[name]
    cfg = config(tmp_path, body, 'v2')
    work_dir = tmp_path / 'w'
    assert_one_line_error(cli('train', cfg, '--work-dir', str(work_dir)), cfg, *needles)
    assert not work_dir.exists(), 'the error must come before the work dir is created'


def test_v2_checkpoint_interval_minus_one_passes_the_checks(tmp_path, cli):
    # mmengine's CheckpointHook default: -1 = no periodic checkpoint (the last one is still saved).
    # The bad optimizer after it proves that the checks got past the interval.
    cfg = config(tmp_path, 'default_hooks = dict(checkpoint=dict(interval=-1))\n'
                           "optim_wrapper = dict(optimizer=dict(type='SGDD'))", 'v2')
    assert_one_line_error(cli('train', cfg, '--work-dir', str(tmp_path / 'w')),
                          'optim_wrapper.optimizer.type')


def test_v2_no_validate_drops_the_whole_val_phase(tmp_path, cli):
    # --no-validate sets val_dataloader/val_cfg/val_evaluator to None together: no half-set phase
    cfg = config(tmp_path, "val_dataloader = None\noptim_wrapper = dict(optimizer=dict(type='SGDD'))",
                 'v2')
    assert_one_line_error(cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate'),
                          'optim_wrapper.optimizer.type')


def test_v2_test_command_ignores_training_only_sections(tmp_path, cli, checkpoints):
    # `test` builds no scheduler: the bad type is not reported, the bad checkpoint is
    cfg = config(tmp_path, "param_scheduler = [dict(type='Cosine')]", 'v2')
    assert_one_line_error(cli('test', cfg, checkpoints['corrupt'], '--eval', 'accuracy'),
                          checkpoints['corrupt'], 'cannot load')


# ---------------------------------------------------------------- checkpoints (both runtimes)

@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """A real (small) checkpoint file, random bytes, the first half of the real file (a torn
    write), an empty file and the path of a missing one."""
    d = tmp_path_factory.mktemp('ckpts')
    real = d / 'real.pth'
    torch.save(dict(meta=dict(epoch=1, iter=8),
                    state_dict={'backbone.weight': torch.randn(64, 64), 'head.bias': torch.zeros(4)}),
               real)
    data = real.read_bytes()
    (d / 'corrupt.pth').write_bytes(random.Random(7).randbytes(4096))
    (d / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (d / 'empty.pth').write_bytes(b'')
    return {'missing': str(d / 'missing.pth'), 'corrupt': str(d / 'corrupt.pth'),
            'truncated': str(d / 'truncated.pth'), 'empty': str(d / 'empty.pth'), 'real': str(real)}


CKPT_KINDS = ['missing', 'corrupt', 'truncated', 'empty']
CKPT_WORDS = {'missing': 'not found', 'corrupt': 'cannot load', 'truncated': 'cannot load',
              'empty': 'cannot load'}
# (config format, --runtime): v1 on the legacy runtime, v2 on v2, v1 converted in memory to v2
RUNTIME_MODES = [('v1', 'v1'), ('v2', 'v2'), ('v1', 'v2')]


def assert_checkpoint_error(proc, ckpt, kind, *needles):
    line = assert_one_line_error(proc, ckpt, CKPT_WORDS[kind], *needles)
    torn = kind in ('truncated', 'empty')
    assert line.endswith(TRUNCATED_HINT) == torn, line
    return line


@pytest.mark.parametrize('fmt,runtime', RUNTIME_MODES)
@pytest.mark.parametrize('kind', CKPT_KINDS)
def test_resume_from_bad_checkpoint(tmp_path, cli, checkpoints, fmt, runtime, kind):
    cfg = config(tmp_path, runtime=fmt)
    ckpt = checkpoints[kind]
    proc = cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--resume-from', ckpt, '--runtime', runtime)
    assert_checkpoint_error(proc, ckpt, kind, 'resume_from')


@pytest.mark.parametrize('fmt,runtime', RUNTIME_MODES)
@pytest.mark.parametrize('kind', CKPT_KINDS)
def test_test_with_bad_checkpoint(tmp_path, cli, checkpoints, fmt, runtime, kind):
    cfg = config(tmp_path, runtime=fmt)
    ckpt = checkpoints[kind]
    proc = cli('test', cfg, ckpt, '--eval', 'accuracy', '--runtime', runtime)
    assert_checkpoint_error(proc, ckpt, kind)


@pytest.mark.parametrize('command,runtime', [('train', 'v1'), ('train', 'v2'), ('test', 'v2')])
def test_truncated_checkpoint_subprocess(tmp_path, checkpoints, command, runtime):
    # the v2 case runs the shipped v2 config itself, as a user would
    cfg = config(tmp_path) if runtime == 'v1' else osp.join('configs_v2', 'mlp_step_epoch.py')
    ckpt = checkpoints['truncated']
    if command == 'train':
        proc = run_cli('train', cfg, '--runtime', runtime, '--work-dir', str(tmp_path / 'w'),
                       '--resume-from', ckpt)
    else:
        proc = run_cli('test', cfg, ckpt, '--eval', 'accuracy', '--runtime', runtime)
    assert_checkpoint_error(proc, ckpt, 'truncated')
    assert not (tmp_path / 'w').exists()


def test_load_from_bad_checkpoint_names_the_key(tmp_path, cli, checkpoints):
    ckpt = checkpoints['corrupt']
    cfg = config(tmp_path, f'load_from = {ckpt!r}')
    proc = cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert_one_line_error(proc, ckpt, 'load_from', 'cannot load')


def test_load_from_truncated_checkpoint_hints(tmp_path, cli, checkpoints):
    ckpt = checkpoints['truncated']
    cfg = config(tmp_path, f'load_from = {ckpt!r}')
    assert_checkpoint_error(cli('train', cfg, '--work-dir', str(tmp_path / 'w')), ckpt, 'truncated',
                            'load_from')


def test_looks_truncated_by_the_zip_end_record(tmp_path, checkpoints):
    data = open(checkpoints['real'], 'rb').read()
    assert zipfile.is_zipfile(checkpoints['real'])
    error = OSError(22, 'Invalid argument')  # what some torch versions raise for a torn zip
    for cut in (10, len(data) // 3, len(data) - 30):
        torn = write_bytes(tmp_path / f'cut{cut}.pth', data[:cut])
        assert looks_truncated(torn, error), cut
    assert not looks_truncated(checkpoints['real'], error)
    assert not looks_truncated(checkpoints['corrupt'], error)
    assert not looks_truncated(str(tmp_path / 'missing.pth'), error)


def test_looks_truncated_by_the_error(tmp_path, checkpoints):
    import pickle
    legacy = tmp_path / 'legacy.pth'
    torch.save({'w': torch.zeros(8)}, legacy, _use_new_zipfile_serialization=False)
    torn = write_bytes(tmp_path / 'legacy_torn.pth', legacy.read_bytes()[:40])
    with pytest.raises(Exception) as info:
        torch.load(torn, weights_only=False)
    assert looks_truncated(torn, info.value), info.value
    corrupt = checkpoints['corrupt']
    assert looks_truncated(corrupt, EOFError('Ran out of input'))
    assert looks_truncated(corrupt, RuntimeError('PytorchStreamReader failed reading zip archive: '
                                                 'failed finding central directory'))
    wrapped = ValueError('cannot load')
    wrapped.__cause__ = pickle.UnpicklingError('pickle data was truncated')
    assert looks_truncated(corrupt, wrapped)
    assert not looks_truncated(corrupt, pickle.UnpicklingError("invalid load key, '8'."))


def write_bytes(path, data):
    path.write_bytes(data)
    return str(path)


def test_debug_shows_the_traceback(tmp_path):
    cfg = config(tmp_path, "workflow = [('trian', 1)]")
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--debug')
    assert proc.returncode == 2
    assert 'Traceback' in proc.stderr
