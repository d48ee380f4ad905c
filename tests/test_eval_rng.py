"""Evaluation during training draws from the global RNGs as mmcv/mmengine do (its dataloader pass),
and a checkpoint saved just before an evaluation still resumes bit for bit: the v1 record holds the
RNG state after the evaluation's draws (the resumed run does not repeat it), the v2 loop runs the
pending validation again."""
import os.path as osp

import pytest
import torch
from run_helpers import run_cli

from legacy_runner import continuation

CASES = {
    'v1': ('configs_v1/mlp_cosine_warmup_floor.py',
           ['runner.max_epochs=3', 'data.train.num_samples=256', 'data.val.num_samples=64']),
    'v2': ('configs_v2/mlp_cosine_warmup_floor.py',
           ['train_cfg.max_epochs=3', 'train_dataloader.dataset.num_samples=256',
            'val_dataloader.dataset.num_samples=64']),
}


def _weights(path):
    return torch.load(path, weights_only=False)['state_dict']


def _train(config, work_dir, options, *extra):
    out = run_cli('train', config, '--work-dir', work_dir, '--seed', '0', *extra, '--cfg-options', *options)
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.mark.parametrize('runtime', sorted(CASES))
def test_resume_from_a_checkpoint_saved_before_an_evaluation_is_exact(tmp_path, runtime):
    config, options = CASES[runtime]
    full, resumed = str(tmp_path / 'full'), str(tmp_path / 'resumed')
    _train(config, full, options)
    _train(config, resumed, options, '--resume-from', osp.join(full, 'epoch_1.pth'))
    a, b = _weights(osp.join(full, 'epoch_3.pth')), _weights(osp.join(resumed, 'epoch_3.pth'))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_validation_changes_what_training_draws_next(tmp_path):
    # as in mmcv: the evaluation's pass draws, so the epochs after it shuffle otherwise
    config, options = CASES['v1']
    with_val, without = str(tmp_path / 'with'), str(tmp_path / 'without')
    _train(config, with_val, options)
    _train(config, without, options, '--no-validate')
    a, b = _weights(osp.join(with_val, 'epoch_1.pth')), _weights(osp.join(without, 'epoch_1.pth'))
    assert all(torch.equal(a[k], b[k]) for k in a)  # the same until the first evaluation
    a, b = _weights(osp.join(with_val, 'epoch_2.pth')), _weights(osp.join(without, 'epoch_2.pth'))
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_draw_as_a_pass_draws_what_iterating_draws():
    data = torch.utils.data.TensorDataset(torch.arange(10.))
    for loader in (torch.utils.data.DataLoader(data, batch_size=3),
                   torch.utils.data.DataLoader(data, batch_size=3, shuffle=True)):
        torch.manual_seed(3)
        for _ in loader:
            pass
        after_pass = torch.get_rng_state()
        torch.manual_seed(3)
        continuation.draw_as_a_pass(loader)
        assert torch.equal(torch.get_rng_state(), after_pass)
        torch.manual_seed(3)
        assert not torch.equal(torch.get_rng_state(), after_pass)  # the pass did draw
