"""Benchmark: legacy_runner.ops against plain references at detector sizes.

Usage: python bench/bench_ops.py [--device cpu|cuda] [--runs N] [--quick]

References: torchvision.ops (nms, roi_align) when importable, else a naive PyTorch version (a
box-at-a-time greedy NMS loop; RoIAlign as one grid_sample per image; DeformConv2d with zero
offsets against nn.functional.conv2d, the speed floor of any deformable conv). Median wall time of
N runs after one warm-up; prints a table, asserts nothing.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from legacy_runner.ops import deform_conv2d, nms, roi_align  # noqa: E402

try:
    import torchvision.ops as tv_ops
except ImportError:
    tv_ops = None


def timed(fn: Callable[[], object], runs: int, device: str) -> float:
    fn()
    times = []
    for _ in range(runs):
        if device == 'cuda':
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def naive_nms(boxes: torch.Tensor, scores: torch.Tensor, thr: float) -> torch.Tensor:
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    alive = torch.ones(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in range(len(boxes)):  # one box at a time: what the kernels do sequentially
        if not alive[i]:
            continue
        keep.append(i)
        lt = torch.maximum(boxes[i, :2], boxes[i + 1:, :2])
        rb = torch.minimum(boxes[i, 2:], boxes[i + 1:, 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[:, 0] * wh[:, 1]
        alive[i + 1:] &= inter / (area[i] + area[i + 1:] - inter) <= thr
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def naive_roi_align(feat: torch.Tensor, rois: torch.Tensor, size: int, scale: float) -> torch.Tensor:
    """One bilinear sample per bin centre (sampling_ratio=1), one grid_sample per image."""
    out = []
    for b in range(feat.shape[0]):
        r = rois[rois[:, 0] == b]
        t = (torch.arange(size, device=feat.device) + 0.5) / size
        x = (r[:, 1:2] + (r[:, 3:4] - r[:, 1:2]) * t) * scale / feat.shape[3] * 2 - 1
        y = (r[:, 2:3] + (r[:, 4:5] - r[:, 2:3]) * t) * scale / feat.shape[2] * 2 - 1
        grid = torch.stack(torch.broadcast_tensors(x[:, None, :], y[:, :, None]), -1)
        out.append(F.grid_sample(feat[b:b + 1].expand(len(r), -1, -1, -1), grid, align_corners=False))
    return torch.cat(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--quick', action='store_true', help='smaller sizes (smoke run)')
    args = parser.parse_args()
    dev = args.device
    torch.manual_seed(0)
    rows: List[Tuple[str, float, str, float]] = []

    for n in ((200, 1000) if args.quick else (1000, 10000)):
        xy = torch.rand(n, 2, device=dev) * 800
        boxes = torch.cat([xy, xy + torch.rand(n, 2, device=dev) * 100 + 10], 1)
        scores = torch.rand(n, device=dev)
        ours = timed(lambda b=boxes, s=scores: nms(b, s, 0.5), args.runs, dev)
        if tv_ops is not None:
            ref_name = 'torchvision.ops.nms'
            ref = timed(lambda b=boxes, s=scores: tv_ops.nms(b, s, 0.5), args.runs, dev)
        else:
            ref_name = 'naive greedy loop'
            ref = timed(lambda b=boxes, s=scores: naive_nms(b, s, 0.5), args.runs, dev)
        rows.append((f'nms, {n} boxes', ours, ref_name, ref))

    c, hw, r = (64, 32, 128) if args.quick else (256, 64, 512)
    feat = torch.randn(2, c, hw, hw, device=dev)
    xy = torch.rand(r, 2, device=dev) * (hw * 4 - 64)
    rois = torch.cat([torch.randint(0, 2, (r, 1), device=dev).float(), xy,
                      xy + torch.rand(r, 2, device=dev) * 56 + 8], 1)
    for ratio in (0, 2):
        ours = timed(lambda k=ratio: roi_align(feat, rois, 7, 0.25, k, 'avg', True), args.runs, dev)
        if tv_ops is not None:
            ref_name = 'torchvision.ops.roi_align'
            ref = timed(lambda k=ratio: tv_ops.roi_align(feat, rois, 7, 0.25, k, True), args.runs, dev)
        else:
            ref_name = 'grid_sample, 1 point/bin'
            ref = timed(lambda: naive_roi_align(feat, rois, 7, 0.25), args.runs, dev)
        rows.append((f'roi_align {r} RoIs, {c}x{hw}x{hw}, ratio {ratio}', ours, ref_name, ref))

    x = torch.randn(2, c, hw, hw, device=dev)
    w = torch.randn(c, c, 3, 3, device=dev) * 0.01
    off = torch.randn(2, 18, hw, hw, device=dev)
    ours = timed(lambda: deform_conv2d(x, off, w, 1, 1), args.runs, dev)
    ref = timed(lambda: F.conv2d(x, w, None, 1, 1), args.runs, dev)
    rows.append((f'DeformConv2d {c}ch {hw}x{hw}, batch 2', ours, 'F.conv2d (no offsets)', ref))
    x.requires_grad_()
    off.requires_grad_()
    ours = timed(lambda: deform_conv2d(x, off, w, 1, 1).sum().backward(), args.runs, dev)
    ref = timed(lambda: F.conv2d(x, w, None, 1, 1).sum().backward(), args.runs, dev)
    rows.append((f'DeformConv2d {c}ch {hw}x{hw}, fwd+bwd', ours, 'F.conv2d fwd+bwd', ref))

    print(f'device: {dev}  torch {torch.__version__}  threads {torch.get_num_threads()}  '
          f'median of {args.runs}')
    print(f'{"op":46s} {"ours (ms)":>10s}  {"reference":28s} {"ref (ms)":>9s}')
    for name, ours, ref_name, ref in rows:
        print(f'{name:46s} {ours * 1e3:10.1f}  {ref_name:28s} {ref * 1e3:9.1f}')


if __name__ == '__main__':
    main()
