"""Random mutations of the example configs through ``--cfg-options`` (wrong types, unicode, huge
numbers, None, nesting, unknown keys) on both runtimes: every run ends with exit 0, or with exit 2
and one ``error:`` line as the last stderr line, no traceback, within a time bound, and an earlier
checkpoint in the work dir is left byte for byte as it was.

In-process (``legacy_runner.cli.main``), a handful of derandomized examples so that CI is stable
and fast; raise ``FUZZ_EXAMPLES`` to search harder locally.
"""
import hashlib
import os
import os.path as osp
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_reliability import config, run

KEYS = {
    'v1': ['optimizer.lr', 'optimizer.type', 'optimizer_config.grad_clip', 'lr_config.policy',
           'lr_config.step', 'log_config.interval', 'evaluation.interval', 'evaluation.metric',
           'checkpoint_config.interval', 'model.type', 'model.hidden_channels', 'data.train.type',
           'workflow', 'no_such_key', 'optimizer.no_such_arg'],
    'v2': ['default_hooks.logger.interval', 'default_hooks.checkpoint.interval', 'train_cfg.val_interval',
           'model.type', 'model.hidden_channels', 'train_dataloader.dataset.type',
           'train_dataloader.batch_size', 'train_cfg.max_epochs', 'no_such_key',
           'optim_wrapper.optimizer.lr', 'optim_wrapper.optimizer.type', 'optim_wrapper.type',
           'optim_wrapper.clip_grad', 'optim_wrapper.accumulative_counts', 'param_scheduler',
           'param_scheduler.0.type', 'val_evaluator.metric', 'val_evaluator'],
}
VALUES = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(['1e400', '-1e400', 'nan', 'None', 'True', '[]', '[1,[2,[3]]]', '()', '0', '-1',
                     '{a:1}', "'", 'dict(type=1)', '((((((1))))))']),
    st.text(st.characters(codec='utf-8', exclude_categories=('Cs', 'Cc')), min_size=0, max_size=12),
)
EXAMPLES = int(os.environ.get('FUZZ_EXAMPLES', '5'))
TIME_BOUND = 120.0  # seconds per run: a tiny config either trains in seconds or is refused at once


def _digest(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_cli_survives_random_cfg_options(tmp_path_factory: Any, capsys: Any, monkeypatch: Any,
                                         runtime: str) -> None:
    base_dir = tmp_path_factory.mktemp(f'fuzz_{runtime}')
    one_epoch = f"{'runner' if runtime == 'v1' else 'train_cfg'} = dict(max_epochs=1)\n"
    cfg = config(base_dir, runtime, one_epoch)
    work_dir = osp.join(str(base_dir), 'w')
    os.makedirs(work_dir)
    earlier = osp.join(work_dir, 'earlier_run.pth')
    with open(earlier, 'wb') as f:
        f.write(os.urandom(4096))
    digest = _digest(earlier)

    # generate only (no shrinking): a bounded number of runs, the failing options are in the message
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate],
              report_multiple_bugs=False)
    @given(pairs=st.lists(st.tuples(st.sampled_from(KEYS[runtime]), VALUES), min_size=1, max_size=3))
    def check(pairs: Any) -> None:
        options = [f'{key}={value}' for key, value in pairs]
        start = time.monotonic()
        proc = run(capsys, monkeypatch, 'train', cfg, '--work-dir', work_dir, '--cfg-options', *options)
        took = time.monotonic() - start
        assert took < TIME_BOUND, (options, took)
        assert 'Traceback' not in proc.stderr, (options, proc.stderr[-3000:])
        assert proc.returncode in (0, 2), (options, proc.returncode, proc.stderr[-3000:])
        if proc.returncode == 2:
            lines = proc.stderr.strip().splitlines()
            assert lines and ': error: ' in lines[-1], (options, proc.stderr[-3000:])
        assert _digest(earlier) == digest, options

    check()
