"""mmseg 0.30 on the mmcv shim: the package's own FCN (ResNet-18) Cityscapes config, read from a
generated CustomDataset folder (img_dir/ann_dir PNGs) and shrunk with ``--cfg-options`` only
(SyncBN -> BN, no pretrained download, tiny scale and crop), trained with its own tools/train.py
and evaluated with its own tools/test.py."""
import glob
import json
import os.path as osp
import re
from typing import List

from codebases_harness import json_log, mim_path, run_tool, write_seg_folder

ITERS = 4
CONFIG = ('configs', 'fcn', 'fcn_r18-d8_512x1024_80k_cityscapes.py')


def _options(root: str) -> List[str]:
    opts = ['model.pretrained=None']
    for head in ('backbone', 'decode_head', 'auxiliary_head'):
        opts.append(f'model.{head}.norm_cfg.type=BN')  # SyncBN needs a process group
    opts += ['model.decode_head.num_classes=2', 'model.auxiliary_head.num_classes=2']
    for split, folder in (('train', 'train'), ('val', 'val'), ('test', 'val')):
        opts += [f'data.{split}.type=CustomDataset', f'data.{split}.data_root={root}',
                 f'data.{split}.img_dir=img_dir/{folder}', f'data.{split}.ann_dir=ann_dir/{folder}',
                 f'data.{split}.img_suffix=.png', f'data.{split}.seg_map_suffix=.png',
                 f'data.{split}.classes=[background,box]', f'data.{split}.palette=[[0,0,0],[255,255,255]]']
    # pipeline steps by position: train Resize(2), RandomCrop(3), Pad(7); test MultiScaleFlipAug(1)
    opts += ['data.train.pipeline.2.img_scale=(48,32)', 'data.train.pipeline.3.crop_size=(32,32)',
             'data.train.pipeline.7.size=(32,32)', 'data.val.pipeline.1.img_scale=(48,32)',
             'data.test.pipeline.1.img_scale=(48,32)']
    opts += ['data.samples_per_gpu=2', 'data.workers_per_gpu=2', f'runner.max_iters={ITERS}',
             f'checkpoint_config.interval={ITERS}', f'evaluation.interval={ITERS}', 'log_config.interval=1']
    return opts


def test_fcn_tools_train_then_tools_test_reports_miou(codebases_target: str, shim_env: dict,
                                                       tmp_path) -> None:
    root = str(tmp_path)
    write_seg_folder(root, 'train', count=4, seed=0)
    write_seg_folder(root, 'val', count=2, seed=1)
    config = mim_path(codebases_target, 'mmseg', *CONFIG)
    work_dir = osp.join(root, 'work')
    opts = _options(root)
    run_tool([mim_path(codebases_target, 'mmseg', 'tools', 'train.py'), config, '--work-dir', work_dir,
              '--seed', '0', '--cfg-options', *opts], shim_env, root)
    assert osp.isfile(osp.join(work_dir, f'iter_{ITERS}.pth'))
    records = json_log(work_dir)
    train = [r for r in records if r.get('mode') == 'train']
    assert [r['iter'] for r in train] == list(range(1, ITERS + 1))
    assert all(r['decode.loss_ce'] > 0 and r['aux.loss_ce'] > 0 for r in train)
    (val, ) = [r for r in records if r.get('mode') == 'val']
    assert 0.0 <= val['mIoU'] <= 1.0 and {'aAcc', 'mAcc', 'IoU.background', 'IoU.box'} <= set(val)
    print(f'\nmmseg tools/train.py: val mIoU {val["mIoU"]:.4f} aAcc {val["aAcc"]:.4f} after {ITERS} iters')

    out = run_tool([mim_path(codebases_target, 'mmseg', 'tools', 'test.py'), config,
                    osp.join(work_dir, 'latest.pth'), '--eval', 'mIoU', '--work-dir', work_dir,
                    '--cfg-options', *opts], shim_env, root)
    # the summary table: | aAcc | mIoU | mAcc | then the row of numbers (percent, 2 decimals)
    rows = re.findall(r'^\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|$', out, re.M)
    assert rows, out[-3000:]
    a_acc, miou, _ = (float(x) for x in rows[-1])
    print(f'mmseg tools/test.py: mIoU {miou} aAcc {a_acc}')
    (metric_file, ) = glob.glob(osp.join(work_dir, 'eval_single_scale_*.json'))
    with open(metric_file) as f:
        metric = json.load(f)['metric']
    # same checkpoint, same images: the test command reproduces the validation after training
    assert abs(metric['mIoU'] - val['mIoU']) < 1e-4 and abs(miou / 100 - val['mIoU']) < 1e-4
    assert abs(metric['aAcc'] - val['aAcc']) < 1e-4
