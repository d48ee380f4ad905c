"""Benchmark: per-iteration overhead of the v2 runtime (compat.v2.Runner) vs a plain PyTorch loop.

Usage: python bench/bench_v2_overhead.py [--runs N] [--iters I] [--hidden H] [--batch B] [--json]

Both sides train the same MLP on the same in-memory DataLoader (default_collate, no workers) with
SGD + a LinearLR warm-up and a MultiStepLR step, for the same number of iterations:

- plain: ``zero_grad -> forward -> cross_entropy -> backward -> step -> scheduler.step()``;
- v2: ``Runner.train()`` with the default hooks (runtime info, iteration timer, sampler seed,
  LoggerHook at mmengine's default interval 10 writing the text log and vis_data JSON, param
  scheduler) except the CheckpointHook (disk I/O is not per-iteration overhead), and validation off.

Each run times the training loop only (runner construction and building happen before the clock
starts for the plain loop, and are subtracted for the runner by timing ``train_loop.run()``).
The two sides alternate in one process; the reported ratio is the median of the per-run ratios.
Times are process CPU times with torch pinned to one thread, so other jobs on a shared machine
disturb the measurement as little as possible (single-threaded CPU time ~ wall time when idle).
"""
import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compat.v2 import BaseModel, Runner  # noqa: E402


def _clock() -> float:
    # CPU time of this process: other jobs on a shared machine barely move it (wall time does).
    return time.process_time()


class Blobs(Dataset):
    def __init__(self, n: int, dim: int, classes: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, dim, generator=g)
        self.y = torch.randint(0, classes, (n, ), generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.x[i], labels=self.y[i])


def make_mlp(dim: int, hidden: int, classes: int) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


class MLP(BaseModel):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.net(inputs)
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, labels))
        return logits


def loader(dataset: Dataset, batch: int) -> DataLoader:
    return DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=0)


def plain_run(dataset: Dataset, args: argparse.Namespace) -> float:
    model = make_mlp(args.dim, args.hidden, args.classes)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
    data = loader(dataset, args.batch)
    n_epochs = args.iters // len(data)
    model.train()
    start = _clock()
    for epoch in range(n_epochs):
        for batch in data:
            opt.zero_grad()
            loss = F.cross_entropy(model(batch['inputs']), batch['labels'])
            loss.backward()
            opt.step()
            warm.step()
        if epoch + 1 == n_epochs // 2:  # the MultiStepLR milestone
            for g in opt.param_groups:
                g['lr'] *= 0.1
    return (_clock() - start) / (n_epochs * len(data))


def v2_run(dataset: Dataset, args: argparse.Namespace, work_dir: str) -> float:
    data = loader(dataset, args.batch)
    n_epochs = args.iters // len(data)
    with contextlib.redirect_stdout(io.StringIO()):  # quiet console; the log file is still written
        runner = Runner(
            model=MLP(make_mlp(args.dim, args.hidden, args.classes)), work_dir=work_dir,
            train_dataloader=data, train_cfg=dict(by_epoch=True, max_epochs=n_epochs),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)),
            param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, end=10),
                             dict(type='MultiStepLR', milestones=[n_epochs // 2])],
            default_hooks=dict(checkpoint=None), randomness=dict(seed=0), log_level='INFO')
    loop = runner.train_loop
    run = loop.run
    timing = {}

    def timed_run():
        start = _clock()
        out = run()
        timing['t'] = _clock() - start
        return out

    loop.run = timed_run
    with contextlib.redirect_stdout(io.StringIO()):
        runner.train()
    return timing['t'] / (n_epochs * len(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--iters', type=int, default=200, help='iterations per run (rounded to epochs)')
    parser.add_argument('--hidden', type=int, default=512)
    parser.add_argument('--dim', type=int, default=128)
    parser.add_argument('--classes', type=int, default=10)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset = Blobs(args.batch * 40, args.dim, args.classes)
    plain, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        plain_run(dataset, args)  # warm-up (allocator, kernels)
        v2_run(dataset, args, f'{tmp}/warm')
        for i in range(args.runs):
            plain.append(plain_run(dataset, args))
            ours.append(v2_run(dataset, args, f'{tmp}/run{i}'))
    ratios = [o / p for o, p in zip(ours, plain)]
    result = dict(plain_ms_per_iter=statistics.median(plain) * 1e3,
                  v2_ms_per_iter=statistics.median(ours) * 1e3,
                  ratio_median=statistics.median(ratios),
                  ratios=[round(r, 4) for r in ratios],
                  overhead_us_per_iter=(statistics.median(ours) - statistics.median(plain)) * 1e6,
                  config=vars(args))
    if args.json:
        print(json.dumps(result))
        return
    print(f"plain loop : {result['plain_ms_per_iter']:.3f} ms/iter")
    print(f"v2 Runner  : {result['v2_ms_per_iter']:.3f} ms/iter")
    print(f"overhead   : {result['overhead_us_per_iter']:.1f} us/iter")
    print(f"ratio      : {result['ratio_median']:.4f}x (median of {args.runs}; runs: {result['ratios']})")


if __name__ == '__main__':
    main()
