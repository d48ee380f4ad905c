"""compat.v2.preflight.check_v2_config: the v2 config checks run before the v2 runner starts
In-process and fast; the command-line contract (one line, exit code 2) is
covered by tests/test_bad_input.py."""
import copy
import os.path as osp

import pytest
import torch
from run_helpers import ROOT

from compat.adapter.registries import install
from compat.v2.preflight import check_v2_config
from legacy_runner.config import Config
from legacy_runner.errors import ConfigError

install()  # as the command line does: v1 models and datasets resolve on the v2 runtime too
BASE = Config.fromfile(osp.join(ROOT, 'configs_v2', 'mlp_step_epoch.py')).to_dict()
FNAME = 'configs_v2/bad.py'


def make(**overrides):
    """The example v2 config with top-level ``overrides`` (None values are kept as None)."""
    cfg = copy.deepcopy(BASE)
    cfg.update(overrides)
    return Config(cfg, cfg_text='# in-memory test config\n', filename=FNAME)


def hooks(**changes):
    merged = copy.deepcopy(BASE['default_hooks'])
    merged.update(changes)
    return merged


def train_cfg(**changes):
    loop = copy.deepcopy(BASE['train_cfg'])
    loop.update(changes)
    return {k: v for k, v in loop.items() if v is not None}


def error(cfg, training=True):
    with pytest.raises(ConfigError) as info:
        check_v2_config(cfg, training=training)
    msg = str(info.value)
    assert '\n' not in msg and msg.startswith(f'{FNAME}: '), msg
    return msg


def test_example_configs_pass():
    check_v2_config(make())
    check_v2_config(make(), training=False)


# ------------------------------------------------------------------------ unknown registry types

def test_unknown_param_scheduler_type_suggests():
    sched = copy.deepcopy(BASE['param_scheduler'])
    sched[1]['type'] = 'MultiStepLr'
    msg = error(make(param_scheduler=sched))
    assert "param_scheduler[1].type: 'MultiStepLr' is not in the parameter scheduler registry" in msg
    assert 'Did you mean: MultiStepLR' in msg


def test_unknown_param_scheduler_as_single_dict_and_per_optimizer():
    assert 'param_scheduler.type' in error(make(param_scheduler=dict(type='Cosine')))
    per_opt = dict(gen=[dict(type='LinearLR')], disc=dict(type='Cosinus'))
    assert "param_scheduler.disc.type: 'Cosinus'" in error(make(param_scheduler=per_opt))


def test_unknown_optim_wrapper_and_optimizer_type():
    msg = error(make(optim_wrapper=dict(type='OptimWraper', optimizer=dict(type='SGD', lr=0.1))))
    assert "optim_wrapper.type: 'OptimWraper'" in msg and 'Did you mean: OptimWrapper' in msg
    msg = error(make(optim_wrapper=dict(optimizer=dict(type='AdamWW', lr=0.1))))
    assert "optim_wrapper.optimizer.type: 'AdamWW' is not in the optimizer registry" in msg
    assert 'AdamW' in msg


def test_unknown_optim_wrapper_constructor_and_multi_wrapper_types():
    msg = error(make(optim_wrapper=dict(constructor='MultiOptimWrapperConstructer',
                                        gen=dict(optimizer=dict(type='SGD', lr=0.1)))))
    assert "optim_wrapper.constructor: 'MultiOptimWrapperConstructer'" in msg
    msg = error(make(optim_wrapper=dict(constructor='MultiOptimWrapperConstructor',
                                        gen=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
                                        disc=dict(type='OptimWrapper', optimizer=dict(type='Adan')))))
    assert "optim_wrapper.disc.optimizer.type: 'Adan'" in msg


@pytest.mark.parametrize('section', ['default_hooks', 'custom_hooks'])
def test_unknown_hook_type(section):
    if section == 'default_hooks':
        msg = error(make(default_hooks=hooks(checkpoint=dict(type='CheckpointHok', interval=1))))
        assert "default_hooks.checkpoint.type: 'CheckpointHok' is not in the hook registry" in msg
    else:
        msg = error(make(custom_hooks=[dict(type='EMAHook'), dict(type='EmptyCache')]))
        assert "custom_hooks[1].type: 'EmptyCache'" in msg
    assert 'Did you mean' in msg


@pytest.mark.parametrize('key', ['train_cfg', 'val_cfg', 'test_cfg'])
def test_unknown_loop_type(key):
    loop = dict(type='EpochBasedTrainLop', max_epochs=2) if key == 'train_cfg' else dict(type='ValLop')
    msg = error(make(**{key: loop}))
    assert f'{key}.type:' in msg and 'loop registry' in msg and 'Did you mean' in msg


def test_unknown_model_type_suggests():
    msg = error(make(model=dict(type='MLPClasifier')))
    assert "model.type: 'MLPClasifier'" in msg and 'Did you mean' in msg


# ------------------------------------------------------------------------ values

@pytest.mark.parametrize('value', [0, -1, 1.5, '1', True])
def test_val_interval_must_be_positive_int(value):
    msg = error(make(train_cfg=train_cfg(val_interval=value)))
    assert f'train_cfg.val_interval: must be a positive int, got {value!r}' in msg


@pytest.mark.parametrize('value', [0, -2, 0.5])
def test_checkpoint_interval(value):
    msg = error(make(default_hooks=hooks(checkpoint=dict(type='CheckpointHook', interval=value))))
    assert 'default_hooks.checkpoint.interval: must be a positive int (or -1' in msg
    assert msg.endswith(f'got {value!r}')


def test_checkpoint_interval_minus_one_is_legal():
    # mmengine's default: no periodic checkpoint, the last (and best) ones only
    check_v2_config(make(default_hooks=hooks(checkpoint=dict(type='CheckpointHook', interval=-1))))


@pytest.mark.parametrize('value', [0, -5])
def test_logger_interval(value):
    msg = error(make(default_hooks=hooks(logger=dict(type='LoggerHook', interval=value))))
    assert f'default_hooks.logger.interval: must be a positive int, got {value}' in msg


def test_train_cfg_without_length():
    msg = error(make(train_cfg=dict(type='EpochBasedTrainLoop', val_interval=1)))
    assert 'train_cfg: sets neither max_epochs nor max_iters' in msg
    msg = error(make(train_cfg=dict(by_epoch=False)))
    assert 'neither max_epochs nor max_iters (IterBasedTrainLoop needs max_iters)' in msg


def test_train_cfg_length_of_the_other_loop():
    msg = error(make(train_cfg=dict(type='IterBasedTrainLoop', max_epochs=4)))
    assert 'train_cfg.max_iters: missing' in msg and "by_epoch=True or type='EpochBasedTrainLoop'" in msg
    # no type and no by_epoch: the runner builds an IterBasedTrainLoop
    assert 'train_cfg.max_iters: missing' in error(make(train_cfg=dict(max_epochs=4)))


def test_train_cfg_type_and_by_epoch():
    msg = error(make(train_cfg=dict(type='EpochBasedTrainLoop', by_epoch=True, max_epochs=2)))
    assert 'train_cfg: give either' in msg


@pytest.mark.parametrize('phase', ['train', 'val', 'test'])
@pytest.mark.parametrize('dropped', [0, 1, 2])
def test_half_set_phase(phase, dropped):
    names = {'train': ('train_dataloader', 'train_cfg', 'optim_wrapper'),
             'val': ('val_dataloader', 'val_cfg', 'val_evaluator'),
             'test': ('test_dataloader', 'test_cfg', 'test_evaluator')}[phase]
    msg = error(make(**{names[dropped]: None}))
    assert f'{names[dropped]}: missing, but ' in msg and 'set all of them or none' in msg


def test_val_cfg_without_val_dataloader_and_the_reverse():
    msg = error(make(val_dataloader=None))
    assert 'val_dataloader: missing, but val_cfg and val_evaluator are set' in msg
    msg = error(make(val_cfg=None, val_evaluator=None))
    assert 'val_cfg: missing, but val_dataloader is set' in msg


def test_no_validation_at_all_is_legal():
    check_v2_config(make(val_dataloader=None, val_cfg=None, val_evaluator=None))


# ------------------------------------------------------------------------ what mmengine accepts

def test_by_epoch_shorthand():
    check_v2_config(make(train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1)))
    check_v2_config(make(train_cfg=dict(by_epoch=False, max_iters=30, val_interval=10)))


def test_class_objects_as_types_are_not_looked_up():
    class MyLoop:
        pass

    check_v2_config(make(train_cfg=dict(type=MyLoop), param_scheduler=[dict(type=object)],
                         custom_hooks=[dict(type=MyLoop)],
                         optim_wrapper=dict(optimizer=dict(type=torch.optim.SGD, lr=0.1))))


def test_dotted_types_and_custom_imports_are_left_to_the_runner():
    check_v2_config(make(param_scheduler=[dict(type='mmdet.QuadraticWarmupLR')],
                         custom_hooks=[dict(type='mmdet.NumClassCheckHook')]))
    check_v2_config(make(custom_imports=dict(imports=['my_project.hooks']),
                         custom_hooks=[dict(type='MyHook')], model=dict(type='MyModel')))


def test_custom_train_loop_arguments_are_its_own():
    # a registered loop that is not one of the two built-ins: no length check
    check_v2_config(make(train_cfg=dict(type='ValLoop')))


def test_built_objects_are_accepted():
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    check_v2_config(make(optim_wrapper=dict(optimizer=optimizer),
                         default_hooks=hooks(logger=None, checkpoint=None)))


def test_test_command_skips_training_only_sections():
    cfg = make(param_scheduler=[dict(type='Cosine')], train_cfg=dict(type='EpochBasedTrainLoop'),
               optim_wrapper=dict(optimizer=dict(type='SGDD')))
    check_v2_config(cfg, training=False)
    error(cfg, training=True)
    # hooks and phases are built by the runner for testing too
    assert 'default_hooks.logger.interval' in error(
        make(default_hooks=hooks(logger=dict(type='LoggerHook', interval=0))), training=False)
    assert 'test_cfg: missing' in error(make(test_cfg=None), training=False)
