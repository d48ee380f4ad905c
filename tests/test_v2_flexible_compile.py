"""``compile=True`` wraps the train/val steps with torch.compile and matches eager within tolerance."""
import pytest
import torch
from v2_helpers import MeanErrorMetric, PointDataset, TwoLinear

from compat.v2 import FlexibleRunner, Runner
from compat.v2.compile import compile_model, compile_options, compile_unavailable_reason

pytestmark = pytest.mark.slow  # tier: see tests/conftest.py


def _run(tmp_path, name, compile_cfg, runner_cls=Runner):
    torch.manual_seed(0)
    runner = runner_cls(
        model=TwoLinear(), work_dir=str(tmp_path / name),
        train_dataloader=dict(dataset=PointDataset(8), batch_size=4,
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
        val_dataloader=dict(dataset=PointDataset(4, seed=1), batch_size=4,
                            sampler=dict(type='DefaultSampler', shuffle=False)),
        val_cfg=dict(), val_evaluator=MeanErrorMetric(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        default_hooks=dict(checkpoint=None), randomness=dict(seed=0), log_level='WARNING',
        compile=compile_cfg)
    runner.train()
    return runner


def test_compile_options():
    assert compile_options(False) is None and compile_options(None) is None
    assert compile_options(True) == (('train_step', 'val_step'), {})
    options = compile_options(dict(target='train_step', mode='default'))
    assert options == (('train_step',), dict(mode='default'))
    with pytest.raises(TypeError):
        compile_options('yes')


def test_compile_matches_eager(tmp_path):
    reason = compile_unavailable_reason()
    if reason is not None:
        pytest.skip(f'torch.compile cannot run on this machine: {reason}')
    eager = _run(tmp_path, 'eager', False)
    compiled = _run(tmp_path, 'compiled', dict(backend='inductor'))
    flexible = _run(tmp_path, 'flexible', True, FlexibleRunner)
    mae_e = eager.message_hub.get_scalar('val/mae').current()
    for runner in (compiled, flexible):
        assert 'train_step' in vars(runner.model) and 'val_step' in vars(runner.model)
        for (name, a), (_, b) in zip(eager.model.state_dict().items(), runner.model.state_dict().items()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
        assert abs(mae_e - runner.message_hub.get_scalar('val/mae').current()) < 1e-5


def test_compile_falls_back_with_a_warning(monkeypatch):
    import compat.v2.compile as mod
    monkeypatch.setitem(mod._probe, 'reason', 'no C compiler')
    model = TwoLinear()
    with pytest.warns(UserWarning, match='no C compiler'):
        compile_model(model, True)
    assert 'train_step' not in vars(model)
