"""Benchmark: convert-config throughput on a large generated v1 tree.

Usage: python bench/bench_convert.py [--models 12] [--schedules 8] [--datasets 4] [--keep DIR]

The generated tree looks like an OpenMMLab repo: ``_base_/{models,datasets,schedules}`` fragments,
one ``default_runtime.py``, and one full config per (model, dataset, schedule) combination that
inherits four bases and overrides a few keys (so most v2 files are ``_base_`` + a diff). Schedules
cycle through step/cosine/poly/cyclic/OneCycle/flat-cosine/restart policies with warmups, on epoch
and iteration runners, so the numeric measurement runs too. Prints configs per second for tree mode
(in process) and for single-file conversions; then, for the OpenMMLab configs installed in
site-packages (``<pkg>/.mim/configs``): every config converted one by one in one process (the slowest
listed), the wall and CPU time of converting the slowest few and the biggest single config in a fresh
process (launch included), and of converting each whole tree in one process.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCHEDULES = [
    ("dict(policy='step', step=[8, 11], warmup='linear', warmup_iters=500, warmup_ratio=0.001)",
     "dict(type='EpochBasedRunner', max_epochs=12)"),
    ("dict(policy='CosineAnnealing', min_lr_ratio=0.01, warmup='linear', warmup_iters=5, "
     "warmup_by_epoch=True, warmup_ratio=0.001)", "dict(type='EpochBasedRunner', max_epochs=100)"),
    ("dict(policy='poly', power=0.9, min_lr=1e-4, by_epoch=False)",
     "dict(type='IterBasedRunner', max_iters=20000)"),
    ("dict(policy='cyclic', target_ratio=(10, 1e-4), cyclic_times=2, step_ratio_up=0.4)",
     "dict(type='IterBasedRunner', max_iters=2000)"),
    ("dict(policy='OneCycle', max_lr=0.02)", "dict(type='EpochBasedRunner', max_epochs=30)"),
    ("dict(policy='FlatCosineAnnealing', start_percent=0.75, min_lr=1e-4)",
     "dict(type='EpochBasedRunner', max_epochs=24)"),
    ("dict(policy='CosineRestart', periods=[10, 10, 10], restart_weights=[1, 0.7, 0.5], min_lr_ratio=0.01)",
     "dict(type='EpochBasedRunner', max_epochs=30)"),
    ("dict(policy='step', step=[16, 22], warmup='exp', warmup_iters=300, warmup_ratio=0.01)",
     "dict(type='EpochBasedRunner', max_epochs=24)"),
]
RUNTIME = """checkpoint_config = dict(interval=1, max_keep_ckpts=3)
log_config = dict(interval=50, hooks=[dict(type='TextLoggerHook'), dict(type='TensorboardLoggerHook')])
custom_hooks = [dict(type='EmptyCacheHook', after_iter=False)]
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
cudnn_benchmark = True
"""


def model_file(i: int) -> str:
    return (f"model = dict(type='Classifier{i}', backbone=dict(type='ResNet', depth={18 + 8 * i}, "
            f"num_stages=4, out_indices=(3, ), style='pytorch'), neck=dict(type='GlobalAveragePooling'), "
            f"head=dict(type='LinearClsHead', num_classes=1000, in_channels={512 * (i % 4 + 1)}, "
            "loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))\n")


def dataset_file(i: int) -> str:
    return (f"dataset_type = 'Dataset{i}'\n"
            "img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)\n"
            "train_pipeline = [dict(type='LoadImageFromFile'), dict(type='RandomResizedCrop', size=224), "
            "dict(type='RandomFlip', flip_prob=0.5), dict(type='Normalize', **img_norm_cfg), "
            "dict(type='ImageToTensor', keys=['img']), dict(type='Collect', keys=['img', 'gt_label'])]\n"
            "test_pipeline = [dict(type='LoadImageFromFile'), dict(type='CenterCrop', crop_size=224), "
            "dict(type='Collect', keys=['img'])]\n"
            f"data = dict(samples_per_gpu={32 * (i + 1)}, workers_per_gpu=2, "
            "train=dict(type=dataset_type, data_prefix='data/train', pipeline=train_pipeline), "
            "val=dict(type=dataset_type, data_prefix='data/val', pipeline=test_pipeline), "
            "test=dict(type=dataset_type, data_prefix='data/val', pipeline=test_pipeline))\n"
            "evaluation = dict(interval=1, metric='accuracy')\n")


def schedule_file(i: int) -> str:
    lr, runner = SCHEDULES[i % len(SCHEDULES)]
    return (f"optimizer = dict(type='SGD', lr={0.1 / (i + 1):.4f}, momentum=0.9, weight_decay=1e-4)\n"
            "optimizer_config = dict(grad_clip=None)\n"
            f"lr_config = {lr}\nrunner = {runner}\n")


def generate(root: Path, models: int, datasets: int, schedules: int) -> int:
    """Write the tree; returns the number of config files."""
    for sub in ('models', 'datasets', 'schedules'):
        (root / '_base_' / sub).mkdir(parents=True, exist_ok=True)
    (root / '_base_' / 'default_runtime.py').write_text(RUNTIME)
    for i in range(models):
        (root / '_base_' / 'models' / f'model{i}.py').write_text(model_file(i))
    for i in range(datasets):
        (root / '_base_' / 'datasets' / f'dataset{i}.py').write_text(dataset_file(i))
    for i in range(schedules):
        (root / '_base_' / 'schedules' / f'schedule{i}.py').write_text(schedule_file(i))
    count = 1 + models + datasets + schedules
    for m in range(models):
        folder = root / f'model{m}'
        folder.mkdir(exist_ok=True)
        for d in range(datasets):
            for s in range(schedules):
                extra = f'optimizer = dict(lr={0.05 * (m + 1):.3f})\n' if (m + d + s) % 3 == 0 else ''
                extra += f'data = dict(samples_per_gpu={16 * (s + 1)})\n' if (m + s) % 2 == 0 else ''
                (folder / f'm{m}_d{d}_s{s}.py').write_text(
                    f"_base_ = ['../_base_/models/model{m}.py', '../_base_/datasets/dataset{d}.py', "
                    f"'../_base_/schedules/schedule{s}.py', '../_base_/default_runtime.py']\n{extra}")
                count += 1
    return count


def _mim_roots() -> list:
    import site
    roots = []
    for sp in site.getsitepackages():
        for pkg in ('mmcls', 'mmseg', 'mmpose', 'mmdet'):
            path = os.path.join(sp, pkg, '.mim', 'configs')
            if os.path.isdir(path):
                roots.append((pkg, path))
    return roots


def slowest_configs(roots: list, keep: int) -> list:
    """Convert every non-_base_ config of the trees one by one in this process (load, convert,
    measure, write, load-back check, as the command does; measurements not memoised across files)
    and print the slowest; returns ``[(seconds, path)]`` of the ``keep`` slowest."""
    import contextlib
    import glob
    import io

    from compat.convert import verify
    from compat.convert.cli import main as cli_main

    times = []
    out = tempfile.mkdtemp(prefix='bench_convert_scan_')
    t0 = time.perf_counter()
    try:
        for pkg, root in roots:
            for path in sorted(glob.glob(os.path.join(root, '**', '*.py'), recursive=True)):
                if '_base_' in path:
                    continue
                verify._MEASURED.clear()
                t = time.perf_counter()
                try:
                    with contextlib.redirect_stderr(io.StringIO()):  # unloadable configs say why
                        rc = cli_main([path, os.path.join(out, 'one.py'), '-q'])
                except SystemExit as e:  # usage errors exit; a refused config is not a timing
                    rc = e.code
                if rc == 0:
                    times.append((time.perf_counter() - t, path, f'{pkg}: {os.path.relpath(path, root)}'))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    times.sort(reverse=True)
    print(f'scan: {len(times)} real configs converted one by one in one process in '
          f'{time.perf_counter() - t0:.0f} s; slowest:')
    for dt, _, name in times[:keep]:
        print(f'  {dt:.3f} s  {name}')
    return [(dt, path) for dt, path, _ in times[:keep]]


def real_configs() -> None:
    """The figures for real configs: the biggest single config as a fresh process (launch included),
    and tree mode over installed OpenMMLab config trees, in one process."""
    import glob
    import resource
    import subprocess

    roots = _mim_roots()
    if not roots:
        print('no OpenMMLab configs installed: skipping the real-config figures')
        return
    singles = [path for _, path in slowest_configs(roots, keep=3)]
    for pkg, path in roots:
        if pkg == 'mmpose':
            pattern = os.path.join(path, 'wholebody', '**', '*256x192.py')
            singles += sorted(glob.glob(pattern, recursive=True))[:1]
    out = tempfile.mkdtemp(prefix='bench_convert_real_')
    try:
        for path in singles:
            walls, cpus = [], []
            for _ in range(3):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                cmd = [sys.executable, '-m', 'compat.convert', path, os.path.join(out, 'one.py'), '-q']
                subprocess.run(cmd, check=True, cwd=str(REPO))
                walls.append(time.perf_counter() - t)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            print(f'single real config, fresh process (launch included): {os.path.relpath(path, REPO)} '
                  f'wall {min(walls):.2f} s, CPU {min(cpus):.2f} s (best of 3; size '
                  f'{os.path.getsize(os.path.join(out, "one.py")) // 1024} KB)')
        from compat.convert.tree import convert_tree, write_tree
        for pkg, path in roots:
            t, c = time.perf_counter(), time.process_time()
            failed: list = []
            files = convert_tree(path, progress=False, failed=failed)
            write_tree(files, os.path.join(out, pkg))
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            print(f'tree mode, {pkg} configs ({len(files)} files written, {len(failed)} skipped as '
                  f'unloadable/unconvertible, one process): wall {wall:.1f} s, CPU {cpu:.1f} s')
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f'(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times include waiting '
          'for a CPU on a shared machine)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', type=int, default=12)
    parser.add_argument('--datasets', type=int, default=4)
    parser.add_argument('--schedules', type=int, default=8)
    parser.add_argument('--keep', help='generate the tree here and keep it')
    parser.add_argument('--no-real', action='store_true', help='skip the installed OpenMMLab configs')
    args = parser.parse_args()

    t0 = time.perf_counter()
    from compat.convert.cli import main as cli_main
    from compat.convert.tree import convert_tree, write_tree
    import_s = time.perf_counter() - t0

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix='bench_convert_'))
    try:
        src, dst = root / 'configs_v1', root / 'configs_v2'
        n = generate(src, args.models, args.datasets, args.schedules)
        print(f'generated {n} configs in {src}')
        print(f'import compat.convert (cli, tree): {import_s * 1000:.0f} ms')
        for label in ('first run', 'second run (schedule measurements memoised)'):
            t = time.perf_counter()
            files = convert_tree(str(src))
            write_tree(files, str(dst))
            dt = time.perf_counter() - t
            derived = sum(f.mode == 'derived' for f in files)
            print(f'tree mode, {label}: {len(files)} configs in {dt:.2f} s = {len(files) / dt:.0f} configs/s '
                  f'({derived} written as _base_ + diff)')
        leaves = [f for f in files if f.complete][:40]
        t = time.perf_counter()
        for f in leaves:
            assert cli_main([str(src / f.rel), str(root / 'single.py'), '-q']) == 0
        dt = time.perf_counter() - t
        print(f'single-file mode (merged config, full report, load-back check): {len(leaves)} configs in '
              f'{dt:.2f} s = {len(leaves) / dt:.0f} configs/s')
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if not args.no_real:
        real_configs()
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
