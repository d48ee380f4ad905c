"""mmcls 0.25 on the mmcv shim: its own ResNet-18 CIFAR config and its own tools/train.py and
tools/test.py, then the same config through ``python -m legacy_runner train`` on both runtimes.

The config is the package's ``resnet18_8xb16_cifar10.py``; a two-line child config only puts
``LoadImageFromFile`` in front of its pipelines (the CIFAR pipelines expect decoded CIFAR batches,
an image folder needs the loading step); everything else is shrunk with ``--cfg-options``.
"""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Tuple

import pytest
from codebases_harness import assert_same_weights, json_log, mim_path, run_tool, write_cls_folder

EPOCHS = 2
OPTIONS = [
    f'runner.max_epochs={EPOCHS}', 'data.samples_per_gpu=8', 'data.workers_per_gpu=2',
    'log_config.interval=1', 'model.head.num_classes=2', 'evaluation.interval=1',
    'evaluation.metric=accuracy',
    # two classes: top-1 only (the default topk=(1, 5) needs five)
    'evaluation.metric_options.topk=1',
    # four iterations: a smaller step, and BN running stats that follow the batches quickly, so that
    # the accuracy moves with the weights instead of sitting at chance
    'optimizer.lr=0.01', 'model.backbone.norm_cfg.type=BN', 'model.backbone.norm_cfg.momentum=0.9',
]
# what `python -m legacy_runner train` needs in addition: the package's registering modules
# the generic 1.x train flow follows mmdet's loader defaults; mmcls's own builder keeps the workers
# of both loaders alive (persistent_workers=True): said here, so that both flows draw alike
LEGACY_OPTIONS = ['custom_imports.imports=[mmcls.models,mmcls.datasets]', 'data.persistent_workers=True',
                  'data.val_dataloader.persistent_workers=True']

def _child_config(target: str, root: str) -> str:
    base = mim_path(target, 'mmcls', 'configs', 'resnet', 'resnet18_8xb16_cifar10.py')
    norm = ("dict(mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], "
            "to_rgb=False)")
    text = f'''# the package's CIFAR config, reading an image folder instead of CIFAR batches
_base_ = {base!r}
img_norm_cfg = {norm}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', size=32, padding=4),
    dict(type='RandomFlip', flip_prob=0.5, direction='horizontal'),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='ToTensor', keys=['gt_label']),
    dict(type='Collect', keys=['img', 'gt_label'])
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='Collect', keys=['img'])
]
data = dict(
    train=dict(type='CustomDataset', data_prefix={osp.join(root, 'train')!r}, pipeline=train_pipeline),
    val=dict(type='CustomDataset', data_prefix={osp.join(root, 'val')!r}, pipeline=test_pipeline),
    test=dict(type='CustomDataset', data_prefix={osp.join(root, 'val')!r}, pipeline=test_pipeline))
'''
    path = osp.join(root, 'resnet18_cifar_folder.py')
    with open(path, 'w') as f:
        f.write(text)
    return path


def _val_accuracies(records: List[Dict[str, object]]) -> List[Tuple[int, float]]:
    return [(int(r['epoch']), float(r['accuracy'])) for r in records  # type: ignore[arg-type]
            if r.get('mode') == 'val' and 'accuracy' in r]


@pytest.fixture(scope='module')
def mmcls_run(codebases_target: str, shim_env: dict, tmp_path_factory) -> Dict[str, str]:
    """The package's tools/train.py on the generated folder: paths of the config and the run."""
    root = str(tmp_path_factory.mktemp('mmcls'))
    write_cls_folder(osp.join(root, 'train'), per_class=8, seed=0)
    write_cls_folder(osp.join(root, 'val'), per_class=8, seed=1)
    config = _child_config(codebases_target, root)
    work_dir = osp.join(root, 'tools_train')
    out = run_tool([mim_path(codebases_target, 'mmcls', 'tools', 'train.py'), config, '--work-dir', work_dir,
                    '--seed', '0', '--cfg-options', *OPTIONS], shim_env, root)
    return dict(root=root, config=config, work_dir=work_dir, out=out)


def test_tools_train_then_tools_test_reproduces_accuracy(mmcls_run: Dict[str, str], codebases_target: str,
                                                         shim_env: dict) -> None:
    work_dir = mmcls_run['work_dir']
    for name in [f'epoch_{e}.pth' for e in range(1, EPOCHS + 1)] + ['latest.pth']:
        assert osp.isfile(osp.join(work_dir, name)), name
    records = json_log(work_dir)
    train = [r for r in records if r.get('mode') == 'train']
    assert len(train) == EPOCHS * 2 and all(r['loss'] > 0 for r in train)  # 16 images / 8 per batch
    accuracies = _val_accuracies(records)
    assert [e for e, _ in accuracies] == list(range(1, EPOCHS + 1)), records
    last = accuracies[-1][1]
    assert 0.0 <= last <= 100.0
    print(f'\nmmcls tools/train.py: val accuracy per epoch {accuracies}')

    out = run_tool([mim_path(codebases_target, 'mmcls', 'tools', 'test.py'), mmcls_run['config'],
                    osp.join(work_dir, 'latest.pth'), '--metrics', 'accuracy', '--metric-options', 'topk=1',
                    '--cfg-options', *OPTIONS],
                   shim_env, mmcls_run['root'])
    match = re.search(r'^accuracy : ([\d.]+)$', out, re.M)
    assert match, out[-3000:]
    print(f'mmcls tools/test.py: accuracy {match.group(1)}')
    assert float(match.group(1)) == pytest.approx(last, abs=1e-3)


def test_legacy_runner_train_v1_and_v2(mmcls_run: Dict[str, str], shim_env: dict) -> None:
    """`python -m legacy_runner train` on the same config: the legacy runtime is bitwise where the
    package's own tools/train.py is after every epoch, and the v2 runtime matches the legacy one."""
    runs = {}
    for runtime in ('v1', 'v2'):
        work_dir = osp.join(mmcls_run['root'], f'legacy_{runtime}')
        run_tool(['-m', 'legacy_runner', 'train', mmcls_run['config'], '--runtime', runtime,
                  '--work-dir', work_dir, '--seed', '0', '--cfg-options', *OPTIONS, *LEGACY_OPTIONS],
                 shim_env, mmcls_run['root'])
        runs[runtime] = work_dir
    tools = mmcls_run['work_dir']
    # identical to the package's own flow, evaluations between the epochs included (both draw from
    # the global RNG while evaluating, as mmcv did, so the next epoch's shuffle is the same)
    for epoch in range(1, EPOCHS + 1):
        assert_same_weights(osp.join(tools, f'epoch_{epoch}.pth'), osp.join(runs['v1'], f'epoch_{epoch}.pth'))
        assert_same_weights(osp.join(runs['v1'], f'epoch_{epoch}.pth'),
                            osp.join(runs['v2'], f'epoch_{epoch}.pth'))
    v1_acc = _val_accuracies(json_log(runs['v1']))
    assert [e for e, _ in v1_acc] == list(range(1, EPOCHS + 1))
    assert [a for _, a in v1_acc] == pytest.approx([a for _, a in _val_accuracies(json_log(tools))], abs=1e-6)
    # the v2 runtime evaluates through the package's dataset.evaluate too: same weights, same numbers
    (scalars, ) = glob.glob(osp.join(runs['v2'], '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        v2_acc = [(int(r['step']), float(r['accuracy'])) for r in map(json.loads, f) if 'accuracy' in r]
    assert [e for e, _ in v2_acc] == [e for e, _ in v1_acc]
    assert [a for _, a in v2_acc] == pytest.approx([a for _, a in v1_acc], abs=1e-6)
    print(f'\nmmcls legacy_runner train (v1 and v2, same weights): val accuracy per epoch {v1_acc}')
