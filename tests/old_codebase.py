"""A small "old codebase" written against the mmcv 1.x API, for the mmcv-shim acceptance tests.

``write_old_codebase(root)`` writes, under ``root``:

- ``oldpkg/``: a package importing from ``mmcv``, ``mmcv.runner``, ``mmcv.cnn`` and
  ``mmcv.parallel``, with its own registries: ``MODELS = Registry('models', parent=mmcv.cnn.MODELS)``
  (the mmdet/mmcls style), root registries ``Registry('backbone')``, ``Registry('dataset')`` and
  ``Registry('hook')``. It registers a ConvModule backbone, a BaseModule classifier, a dataset
  with ``evaluate`` and ``RecordHook``, which appends a JSON line per event to
  ``<work_dir>/hook_records.jsonl`` (``{"event": "iter", "iter": n}`` every ``interval`` train
  iterations, ``{"event": "epoch", "epoch": n}`` after each train epoch, and a ``"run"`` record
  naming the ``mmcv`` module file in use).
- ``configs/old_cfg.py``: a 1.x config with ``custom_imports=dict(imports=['oldpkg'])``
  (2 epochs x 4 iterations, RecordHook every 3 iterations, EvalHook accuracy every epoch).
- ``train.py``: the codebase's own 1.x-style train script (``python train.py CONFIG --work-dir D``):
  Config.fromfile, build_from_cfg, build_optimizer, EpochBasedRunner, register_training_hooks,
  EvalHook, runner.run.

Run the script or the config from ``root`` (the package is found from the current directory /
the script's directory, as in an old repository checkout). The helpers at the bottom read what
a run left in its work dir; tests of other runtimes (e.g. ``--runtime v2``) can reuse them.
"""
import glob
import json
import os
import os.path as osp
import sys
import textwrap
from typing import Any, Dict, List, NamedTuple, Optional

from run_helpers import ROOT as REPO

MAX_EPOCHS = 2
ITERS_PER_EPOCH = 4  # 16 samples, 4 per batch
RECORD_INTERVAL = 3

_FILES = {
    'oldpkg/__init__.py': '''
        """An old codebase written for mmcv 1.x."""
        from . import datasets, hooks, models  # noqa: F401  (importing registers the classes)
        from .registry import BACKBONES, DATASETS, HOOKS, MODELS  # noqa: F401
    ''',
    'oldpkg/registry.py': '''
        from mmcv.cnn import MODELS as MMCV_MODELS
        from mmcv.utils import Registry

        MODELS = Registry('models', parent=MMCV_MODELS)
        BACKBONES = Registry('backbone')
        DATASETS = Registry('dataset')
        HOOKS = Registry('hook')
    ''',
    'oldpkg/models.py': '''
        from collections import OrderedDict

        import torch
        import torch.nn.functional as F
        from mmcv.cnn import ConvModule, build_norm_layer, normal_init
        from mmcv.runner import BaseModule, auto_fp16
        from torch import nn

        from .registry import BACKBONES, MODELS


        @BACKBONES.register_module()
        class TinyConvNet(BaseModule):
            def __init__(self, in_channels=1, channels=4, init_cfg=None):
                super().__init__(init_cfg=init_cfg)
                self.conv1 = ConvModule(in_channels, channels, 3, padding=1, norm_cfg=dict(type='BN'))
                self.conv2 = ConvModule(channels, channels, 3, padding=1, act_cfg=dict(type='LeakyReLU'))
                self.norm_name, norm = build_norm_layer(dict(type='BN'), channels, postfix=1)
                self.add_module(self.norm_name, norm)
                self.out_channels = channels

            def forward(self, x):
                x = self.conv2(self.conv1(x))
                return getattr(self, self.norm_name)(x).mean(dim=(2, 3))


        @MODELS.register_module()
        class OldClassifier(BaseModule):
            def __init__(self, backbone, num_classes=2, init_cfg=None):
                super().__init__(init_cfg=init_cfg)
                self.backbone = BACKBONES.build(backbone)
                self.head = nn.Linear(self.backbone.out_channels, num_classes)
                self.fp16_enabled = False

            def init_weights(self):
                super().init_weights()
                normal_init(self.head, std=0.01)

            @auto_fp16(apply_to=('img', ))
            def forward(self, img, label=None, return_loss=True):
                logits = self.head(self.backbone(img))
                if return_loss:
                    return OrderedDict(loss_cls=F.cross_entropy(logits, label))
                return list(logits.argmax(dim=1).cpu().numpy())

            def train_step(self, data_batch, optimizer):
                losses = self(**data_batch)
                loss = sum(losses.values())
                log_vars = OrderedDict((k, v.item()) for k, v in losses.items())
                log_vars['loss'] = loss.item()
                return dict(loss=loss, log_vars=log_vars, num_samples=len(data_batch['img']))

            def val_step(self, data_batch, optimizer=None):
                return self.train_step(data_batch, optimizer)
    ''',
    'oldpkg/datasets.py': '''
        import numpy as np
        import torch
        from mmcv.utils import print_log
        from torch.utils.data import Dataset

        from .registry import DATASETS


        @DATASETS.register_module()
        class OldToyDataset(Dataset):
            CLASSES = ('dark', 'bright')

            def __init__(self, num_samples=16, seed=0, test_mode=False):
                gen = torch.Generator().manual_seed(seed)
                self.labels = torch.arange(num_samples) % 2
                noise = torch.rand(num_samples, 1, 4, 4, generator=gen) * 0.5
                self.images = noise + self.labels.view(-1, 1, 1, 1).float()
                self.test_mode = test_mode

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                return dict(img=self.images[idx], label=self.labels[idx])

            def evaluate(self, results, metric='accuracy', logger=None, **kwargs):
                acc = float(np.mean(np.array(results) == self.labels.numpy()))
                print_log(f'accuracy: {acc:.4f}', logger=logger)
                return dict(accuracy=acc)
    ''',
    'oldpkg/hooks.py': '''
        import json
        import os.path as osp

        import mmcv
        from mmcv.runner import Hook

        from .registry import HOOKS


        @HOOKS.register_module()
        class RecordHook(Hook):
            def __init__(self, interval=1):
                self.interval = interval

            def _write(self, runner, **record):
                with open(osp.join(runner.work_dir, 'hook_records.jsonl'), 'a') as f:
                    f.write(json.dumps(record) + '\\n')

            def before_run(self, runner):
                self._write(runner, event='run', mmcv_file=mmcv.__file__, mmcv_version=mmcv.__version__)

            def after_train_iter(self, runner):
                if self.every_n_iters(runner, self.interval):
                    self._write(runner, event='iter', iter=runner.iter + 1, epoch=runner.epoch)

            def after_train_epoch(self, runner):
                self._write(runner, event='epoch', epoch=runner.epoch + 1, iter=runner.iter)
    ''',
    'configs/old_cfg.py': f'''
        custom_imports = dict(imports=['oldpkg'], allow_failed_imports=False)
        model = dict(type='OldClassifier', backbone=dict(type='TinyConvNet', channels=4), num_classes=2)
        data = dict(
            samples_per_gpu=4,
            workers_per_gpu=0,
            train=dict(type='OldToyDataset', num_samples={4 * ITERS_PER_EPOCH}),
            val=dict(type='OldToyDataset', num_samples=8, seed=1),
            test=dict(type='OldToyDataset', num_samples=8, seed=1))
        optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001)
        optimizer_config = dict(grad_clip=None)
        lr_config = dict(policy='step', step=[1])
        runner = dict(type='EpochBasedRunner', max_epochs={MAX_EPOCHS})
        checkpoint_config = dict(interval=1)
        log_config = dict(interval=2, hooks=[dict(type='TextLoggerHook')])
        custom_hooks = [dict(type='RecordHook', interval={RECORD_INTERVAL})]
        evaluation = dict(interval=1, metric='accuracy')
        dist_params = dict(backend='gloo')
        log_level = 'INFO'
        load_from = None
        resume_from = None
        workflow = [('train', 1)]
        seed = 0
    ''',
    'train.py': '''
        """The old codebase's own training script, in the mmcv 1.x style."""
        import argparse
        import os.path as osp
        import time
        from functools import partial

        import mmcv
        import torch
        from mmcv import Config, DictAction
        from mmcv.parallel import MMDataParallel, collate
        from mmcv.runner import EpochBasedRunner, EvalHook, build_optimizer, get_dist_info, set_random_seed
        from mmcv.utils import build_from_cfg, get_logger
        from torch.utils.data import DataLoader

        from oldpkg import DATASETS, MODELS


        def parse_args():
            parser = argparse.ArgumentParser(description='Train a model')
            parser.add_argument('config')
            parser.add_argument('--work-dir')
            parser.add_argument('--cfg-options', nargs='+', action=DictAction)
            return parser.parse_args()


        def main():
            args = parse_args()
            cfg = Config.fromfile(args.config)
            if args.cfg_options is not None:
                cfg.merge_from_dict(args.cfg_options)
            cfg.work_dir = args.work_dir or osp.join('./work_dirs', 'old_cfg')
            mmcv.mkdir_or_exist(osp.abspath(cfg.work_dir))
            timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
            logger = get_logger('oldpkg', log_file=osp.join(cfg.work_dir, f'{timestamp}.log'))
            set_random_seed(cfg.seed)

            model = build_from_cfg(cfg.model, MODELS)
            model.init_weights()
            loader_args = dict(batch_size=cfg.data.samples_per_gpu, num_workers=cfg.data.workers_per_gpu,
                               collate_fn=partial(collate, samples_per_gpu=cfg.data.samples_per_gpu))
            train_loader = DataLoader(build_from_cfg(cfg.data.train, DATASETS), shuffle=False, **loader_args)
            val_loader = DataLoader(build_from_cfg(cfg.data.val, DATASETS), shuffle=False, **loader_args)

            model = MMDataParallel(model)
            optimizer = build_optimizer(model, cfg.optimizer)
            rank, _ = get_dist_info()
            runner = EpochBasedRunner(model, optimizer=optimizer, work_dir=cfg.work_dir, logger=logger,
                                      meta=dict(seed=cfg.seed, rank=rank), max_epochs=cfg.runner.max_epochs)
            runner.timestamp = timestamp
            runner.register_training_hooks(cfg.lr_config, cfg.optimizer_config, cfg.checkpoint_config,
                                           cfg.log_config, cfg.get('momentum_config', None),
                                           custom_hooks_config=cfg.get('custom_hooks', None))
            eval_cfg = dict(cfg.evaluation)
            runner.register_hook(EvalHook(val_loader, **eval_cfg), priority='LOW')
            runner.run([train_loader], cfg.workflow)
            logger.info('old train.py done, torch %s', torch.__version__)


        if __name__ == '__main__':
            main()
    ''',
}


class OldCodebase(NamedTuple):
    root: str
    config: str
    train_script: str


def write_old_codebase(root: str) -> OldCodebase:
    """Write the old codebase under ``root`` (created if needed); returns its paths."""
    for rel, text in _FILES.items():
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(textwrap.dedent(text).lstrip('\n'))
    return OldCodebase(root, osp.join(root, 'configs', 'old_cfg.py'), osp.join(root, 'train.py'))


def subprocess_env(**extra: str) -> Dict[str, str]:
    """Environment for a fresh run: one thread, the repository importable, no shim variable."""
    env = {k: v for k, v in os.environ.items() if k not in ('LEGACY_RUNNER_SHIM', 'PYTHONPATH')}
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=REPO, PYTHONDONTWRITEBYTECODE='1')
    env.update(extra)
    return env


def python() -> str:
    return sys.executable


def read_hook_records(work_dir: str) -> List[Dict[str, Any]]:
    """The JSON lines RecordHook wrote."""
    with open(osp.join(work_dir, 'hook_records.jsonl')) as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_record_iters() -> List[int]:
    """The 1-based iterations at which RecordHook fires over the whole run."""
    total = MAX_EPOCHS * ITERS_PER_EPOCH
    return [i for i in range(1, total + 1) if i % RECORD_INTERVAL == 0]


def read_log_json(work_dir: str) -> List[Dict[str, Any]]:
    """Records of the (single) ``*.log.json`` in ``work_dir``; the first line is the env/meta line."""
    paths = sorted(glob.glob(osp.join(work_dir, '*.log.json')))
    assert paths, f'no .log.json in {work_dir}: {os.listdir(work_dir)}'
    with open(paths[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def train_and_val_records(work_dir: str, mode: Optional[str] = None) -> List[Dict[str, Any]]:
    """``.log.json`` records that have a ``mode`` (optionally only ``mode``)."""
    return [r for r in read_log_json(work_dir) if 'mode' in r and (mode is None or r['mode'] == mode)]
