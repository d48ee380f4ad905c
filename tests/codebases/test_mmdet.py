"""mmdet 2.28.2 end to end on the mmcv shim (pure-PyTorch mmcv.ops).

RetinaNet, Faster R-CNN and Mask R-CNN (the R-50-FPN 1x configs mmdet ships in its ``.mim``
folder) are trained with mmdet's own ``tools/train.py`` on a tiny generated COCO-format dataset,
then ``tools/test.py CKPT --eval bbox [segm]`` evaluates the checkpoint with pycocotools; the test
reads the mAP table it prints. Everything is shrunk with ``--cfg-options`` only: 64x64 images,
two classes, batches of 2, one epoch of 4 images (2 iterations), no pretrained download, score
threshold 0 (a model trained for two steps scores below mmdet's 0.05, and an empty result list
makes mmdet skip the table). The backbone stays ResNet-50 (on CPU at 64x64 it is not the slow
part); the two-stage models sample 64 RoIs per image instead of 512 and keep 100 proposals and
20 detections at test time instead of 1000 and 100, because pure-PyTorch RoIAlign and the mask
head's convolutions scale with the RoI count.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Sequence

import numpy as np
import pytest
import torch
from codebases_harness import UNAVAILABLE, mim_path, run_tool, walk_failures, write_png

# The two categories of the generated set; CocoDataset's `classes` option selects them by name.
CATEGORIES = ({'id': 1, 'name': 'person'}, {'id': 3, 'name': 'car'})
IMG_SIZE = 64


def write_coco(root: str, count: int = 4, seed: int = 0) -> str:
    """``root/images/<i>.png`` and ``root/annotations.json``: dark noisy images with one bright
    rectangle (person) and one bright triangle (car) each; boxes, polygon masks and areas in
    COCO's layout. Returns the annotation file."""
    rng = np.random.default_rng(seed)
    images: List[dict] = []
    annotations: List[dict] = []
    yy, xx = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE]
    for i in range(count):
        img = rng.normal(40, 10, (IMG_SIZE, IMG_SIZE, 3))
        # rectangle in the left half, triangle in the right half: never overlapping
        x0, y0 = rng.integers(2, 10), rng.integers(2, 30)
        w, h = rng.integers(14, 22), rng.integers(16, 30)
        img[y0:y0 + h, x0:x0 + w] = (220, 60, 60)
        rect = [float(x0), float(y0), float(x0 + w), float(y0), float(x0 + w), float(y0 + h),
                float(x0), float(y0 + h)]
        tx, ty, ts = rng.integers(34, 40), rng.integers(4, 30), rng.integers(18, 24)
        inside = (xx >= tx) & (yy <= ty + ts) & (yy - ty >= xx - tx)  # right angle at (tx, ty+ts)
        img[inside] = (60, 60, 220)
        tri = [float(tx), float(ty), float(tx + ts), float(ty + ts), float(tx), float(ty + ts)]
        name = f'{i:03d}.png'
        write_png(osp.join(root, 'images', name), np.clip(img, 0, 255))
        images.append({'id': i + 1, 'file_name': name, 'width': IMG_SIZE, 'height': IMG_SIZE})
        for cat, poly, box, area in ((1, rect, [x0, y0, w, h], w * h),
                                      (3, tri, [tx, ty, ts, ts], ts * ts / 2)):
            annotations.append({'id': len(annotations) + 1, 'image_id': i + 1, 'category_id': cat,
                                'bbox': [float(v) for v in box], 'area': float(area),
                                'segmentation': [poly], 'iscrowd': 0})
    ann_file = osp.join(root, 'annotations.json')
    with open(ann_file, 'w') as f:
        json.dump({'images': images, 'annotations': annotations, 'categories': list(CATEGORIES)}, f)
    return ann_file


# config (under .mim/configs) -> (extra --cfg-options, --eval metrics)
TWO_STAGE = ['model.roi_head.bbox_head.num_classes=2', 'model.test_cfg.rcnn.score_thr=0.0',
             'model.train_cfg.rcnn.sampler.num=64', 'model.test_cfg.rpn.max_per_img=100',
             'model.test_cfg.rcnn.max_per_img=20']
MODELS: Dict[str, tuple] = {
    'retinanet': ('retinanet/retinanet_r50_fpn_1x_coco.py',
                  ['model.bbox_head.num_classes=2', 'model.test_cfg.score_thr=0.0'], ['bbox']),
    'faster_rcnn': ('faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py', TWO_STAGE, ['bbox']),
    'mask_rcnn': ('mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py',
                  TWO_STAGE + ['model.roi_head.mask_head.num_classes=2'], ['bbox', 'segm']),
}
CLASSES = '(' + ','.join(c['name'] for c in CATEGORIES) + ')'


def data_options(root: str, ann_file: str) -> List[str]:
    """--cfg-options that point train/val/test at the tiny set, its two classes and a 64x64 scale."""
    opts = ['data.samples_per_gpu=2', 'data.workers_per_gpu=0', 'model.backbone.init_cfg=None']
    scale = f'({IMG_SIZE},{IMG_SIZE})'
    for split in ('train', 'val', 'test'):
        opts += [f'data.{split}.ann_file={ann_file}', f'data.{split}.img_prefix={root}/images/',
                 f'data.{split}.classes={CLASSES}']
    # train pipeline: [LoadImageFromFile, LoadAnnotations, Resize, ...]; val/test: [Load, MultiScaleFlipAug]
    opts += [f'data.train.pipeline.2.img_scale={scale}']
    opts += [f'data.{split}.pipeline.1.img_scale={scale}' for split in ('val', 'test')]
    return opts


# test.py prints COCOeval's table, then the metric dict: OrderedDict([('bbox_mAP', 0.002), ...])
_AP_LINE = re.compile(r'Average Precision\s+\(AP\) @\[ IoU=0\.50:0\.95 \| area=\s*all \| '
                      r'maxDets=100 \] = (-?[0-9.]+)')


def parse_metrics(out: str, metrics: Sequence[str]) -> Dict[str, float]:
    """``{'bbox_mAP': value, ...}`` from the metric dict test.py printed; each must agree with the
    first AP line of its COCOeval table (printed in the order of ``metrics``)."""
    found = {}
    for metric in metrics:
        match = re.search(rf"\('{metric}_mAP', (-?[0-9.]+(?:e-?[0-9]+)?)\)", out)
        assert match, f'tools/test.py printed no {metric}_mAP:\n{out[-3000:]}'
        found[metric] = float(match.group(1))
    table = [float(v) for v in _AP_LINE.findall(out)]
    assert len(table) == len(metrics), f'expected {len(metrics)} COCO tables, got {table}'
    for metric, ap in zip(metrics, table):
        assert abs(found[metric] - ap) < 1e-3, (metric, found[metric], ap)  # table rounds to 3 places
    return found


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory) -> tuple:
    root = str(tmp_path_factory.mktemp('coco'))
    return root, write_coco(root)


def test_mmdet_imports(codebases_target: str, shim_env: dict, tmp_path) -> None:
    """mmdet's API packages import on the shim, and so does every module of the package."""
    out = run_tool(['-c', 'import mmdet.apis, mmdet.models, mmdet.datasets, mmdet.core\n'
                    'from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor as E\n'
                    'from mmcv.ops import nms, RoIAlign\n'
                    'layer = E(dict(type="RoIAlign", output_size=7), 256, [4]).roi_layers[0]\n'
                    'print("OPS", nms.__module__, type(layer).__module__)'], shim_env, str(tmp_path))
    # the ops mmdet builds are the pure-PyTorch ones served as mmcv.ops
    assert 'OPS legacy_runner.ops.nms legacy_runner.ops.roi_align' in out, out[-2000:]
    result = walk_failures('mmdet', shim_env, str(tmp_path))
    assert osp.dirname(osp.dirname(result['file'])) == codebases_target
    assert 'compat' in result['mmcv'] or 'legacy_runner' in result['mmcv'], result['mmcv']
    assert not result['failures'], '\n'.join(f'{k}: {v}' for k, v in sorted(result['failures'].items()))
    assert result['count'] > 300
    # no mmdet module needs xtcocotools/torchvision (UNAVAILABLE): none may be skipped either
    assert not result['skipped'], (result['skipped'], sorted(UNAVAILABLE))


@pytest.mark.parametrize('name', sorted(MODELS))
def test_train_then_test(name: str, codebases_target: str, shim_env: dict, coco_root: tuple,
                         tmp_path) -> None:
    """tools/train.py writes a checkpoint; tools/test.py on it prints the COCO mAP table."""
    root, ann_file = coco_root
    config, extra, metrics = MODELS[name]
    config = mim_path(codebases_target, 'mmdet', 'configs', *config.split('/'))
    opts = data_options(root, ann_file) + extra
    work = str(tmp_path / 'work')
    train = ['--work-dir', work, '--seed', '0', '--cfg-options', *opts, 'runner.max_epochs=1',
             'log_config.interval=1']
    # the one-stage run also validates from its EvalHook at the end of the epoch
    train += [] if name == 'retinanet' else ['--no-validate']
    out = run_tool([mim_path(codebases_target, 'mmdet', 'tools', 'train.py'), config, *train],
                   shim_env, str(tmp_path))
    assert 'Epoch [1][2/2]' in out, out[-3000:]  # 4 images, batches of 2
    if name == 'retinanet':
        assert re.search(r'Epoch\(val\) \[1\]\[4\]\s+bbox_mAP: -?[0-9.]+', out), out[-3000:]
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt), os.listdir(work)
    meta = torch.load(ckpt, map_location='cpu', weights_only=False)['meta']
    assert tuple(meta['CLASSES']) == tuple(c['name'] for c in CATEGORIES)
    out = run_tool([mim_path(codebases_target, 'mmdet', 'tools', 'test.py'), config, ckpt,
                    '--eval', *metrics, '--cfg-options', *opts], shim_env, str(tmp_path))
    found = parse_metrics(out, metrics)
    print(f'{name}: ' + ', '.join(f'{k}_mAP={v}' for k, v in found.items()))
    for value in found.values():
        assert 0.0 <= value <= 1.0
