"""Per-iteration framework overhead of EpochBasedRunner / IterBasedRunner vs a plain PyTorch loop.

All loops do the same work per iteration on the same tiny model and data: ``model.train_step``
(forward + loss + log_vars), ``zero_grad``, ``backward``, ``step``. The runners add the default
hooks of a 1.x config: a step LR updater, OptimizerHook, IterTimerHook, TextLoggerHook (interval
50, writing the .log and .log.json), and a CheckpointHook that saves once, at the end.

Every repetition rebuilds model, optimizer and loader from the same seed; the loops run in an
interleaved order and the reported ratio is the median over repetitions of (loop time / plain
time). Usage: ``python bench/bench_runner_overhead.py [--reps 7] [--epochs 4] [--threads 1]``.
"""
import argparse
import logging
import shutil
import statistics
import tempfile
import time
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader

from legacy_runner.builder import build_dataloader
from legacy_runner.examples import MLPClassifier, ToyClsDataset
from legacy_runner.hooks.checkpoint import CheckpointHook  # noqa: F401 (registers the hook types)
from legacy_runner.hooks.iter_timer import IterTimerHook  # noqa: F401
from legacy_runner.hooks.logger.text import TextLoggerHook  # noqa: F401
from legacy_runner.hooks.lr_updater import StepLrUpdaterHook  # noqa: F401
from legacy_runner.hooks.optimizer import OptimizerHook  # noqa: F401
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner


def _setup(args: argparse.Namespace) -> Tuple[MLPClassifier, torch.optim.Optimizer, DataLoader]:
    torch.manual_seed(0)
    np.random.seed(0)
    model = MLPClassifier(hidden_channels=(64, 64))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    loader = build_dataloader(ToyClsDataset(args.samples, split='train'), args.batch, 0, seed=0)
    return model, optimizer, loader


def plain_loop(args: argparse.Namespace) -> Tuple[float, int]:
    """The reference: the same per-iteration work without runner or hooks."""
    model, optimizer, loader = _setup(args)
    iters = 0
    start = time.perf_counter()
    model.train()
    for _ in range(args.epochs):
        for batch in loader:
            outputs = model.train_step(batch, optimizer)
            optimizer.zero_grad()
            outputs['loss'].backward()
            optimizer.step()
            iters += 1
    # the runners save one checkpoint at the end; the reference pays for the same write
    with tempfile.TemporaryDirectory(prefix='bench_plain_') as work_dir:
        torch.save({'state_dict': model.state_dict(), 'optimizer': optimizer.state_dict()},
                   f'{work_dir}/latest.pth')
    return time.perf_counter() - start, iters


def _quiet_logger() -> logging.Logger:
    # Messages are still formatted and handled (as in a real run); they just go nowhere visible.
    logger = logging.getLogger('bench_runner_overhead')
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.setLevel(logging.INFO)
    return logger


def _runner_loop(args: argparse.Namespace, by_epoch: bool) -> Tuple[float, int]:
    model, optimizer, loader = _setup(args)
    work_dir = tempfile.mkdtemp(prefix='bench_runner_')
    try:
        iters = args.epochs * len(loader)
        common = dict(optimizer=optimizer, work_dir=work_dir, logger=_quiet_logger(),
                      meta=dict(exp_name='bench'))
        if by_epoch:
            runner = EpochBasedRunner(model, max_epochs=args.epochs, **common)
            lr_config = dict(policy='step', step=[max(1, args.epochs - 1)])
        else:
            runner = IterBasedRunner(model, max_iters=iters, **common)
            lr_config = dict(policy='step', step=[max(1, iters - len(loader))])
        runner.register_training_hooks(
            lr_config, dict(grad_clip=None),
            dict(interval=-1),  # save_last: one checkpoint, at the end
            dict(interval=args.log_interval, hooks=[dict(type='TextLoggerHook')]))
        start = time.perf_counter()
        runner.run([loader], [('train', 1)])
        return time.perf_counter() - start, runner.iter
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


LOOPS: Dict[str, Callable[[argparse.Namespace], Tuple[float, int]]] = {
    'plain PyTorch': plain_loop,
    'EpochBasedRunner': lambda a: _runner_loop(a, by_epoch=True),
    'IterBasedRunner': lambda a: _runner_loop(a, by_epoch=False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=7, help='repetitions (the median is reported)')
    parser.add_argument('--epochs', type=int, default=4, help='passes over the data per repetition')
    parser.add_argument('--samples', type=int, default=2048, help='train samples')
    parser.add_argument('--batch', type=int, default=32, help='batch size')
    parser.add_argument('--log-interval', type=int, default=50, help='TextLoggerHook interval')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch intra-op threads (1 keeps a tiny model stable on a shared box)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    for fn in LOOPS.values():  # warm-up: lazy imports, allocator, first checkpoint write
        fn(argparse.Namespace(**{**vars(args), 'epochs': 1}))

    times: Dict[str, List[float]] = {name: [] for name in LOOPS}
    iters: Dict[str, int] = {}
    names = list(LOOPS)
    for rep in range(args.reps):
        # rotate the order so that no loop always runs first (or right after another one)
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            seconds, n = LOOPS[name](args)
            times[name].append(seconds)
            iters[name] = n

    plain = times['plain PyTorch']
    print(f'torch {torch.__version__}, {args.threads} thread(s), {args.reps} reps, '
          f'{iters["plain PyTorch"]} iters/rep (batch {args.batch}, MLP 8-64-64-4)')
    header = f'{"loop":<18}{"iters":>7}{"ms/iter":>10}{"overhead ms/iter":>18}{"ratio vs plain":>16}'
    print(header)
    print('-' * len(header))
    for name in names:
        per_iter = [t / iters[name] for t in times[name]]
        ratios = [t / p for t, p in zip(times[name], plain)]
        overhead = [t / iters[name] - p / iters['plain PyTorch'] for t, p in zip(times[name], plain)]
        print(f'{name:<18}{iters[name]:>7}{statistics.median(per_iter) * 1e3:>10.3f}'
              f'{statistics.median(overhead) * 1e3:>18.3f}{statistics.median(ratios):>16.3f}')


if __name__ == '__main__':
    main()
