"""Run by ``torchrun --nproc_per_node 2`` from tests/test_v2_flexible_dist.py (CPU, gloo).

``python v2_flexible_dist_worker.py <work_dir> <strategy json>``: trains 2 epochs, then a second
runner resumes ``epoch_1.pth`` and trains to epoch 2 again; rank 0 writes both final state dicts
(full, unprefixed) to ``<work_dir>/result.pth``.
"""
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
warnings.simplefilter('ignore')

from v2_helpers import PointDataset, TwoLinear  # noqa: E402

from compat.v2 import FlexibleRunner  # noqa: E402


def make_runner(work_dir: str, strategy: dict, **kw) -> FlexibleRunner:
    torch.manual_seed(0)
    return FlexibleRunner(
        model=TwoLinear(), work_dir=work_dir, strategy=dict(strategy),
        train_dataloader=dict(dataset=PointDataset(16), batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=[dict(type='MultiStepLR', milestones=[1], by_epoch=True)],
        env_cfg=dict(dist_cfg=dict(backend='gloo')), randomness=dict(seed=1), log_level='WARNING', **kw)


def full_weights(runner: FlexibleRunner) -> dict:
    return {k.replace('module.', ''): v.clone() for k, v in runner.strategy.model_state_dict().items()}


def main() -> None:
    work_dir, strategy = sys.argv[1], json.loads(sys.argv[2])
    first = make_runner(work_dir, strategy)
    first.train()
    trained = full_weights(first)
    second = make_runner(work_dir, strategy, resume=os.path.join(work_dir, 'epoch_1.pth'))
    second.train()
    resumed = full_weights(second)
    if first.rank == 0:
        torch.save(dict(trained=trained, resumed=resumed, world_size=first.world_size,
                        model_type=type(first.model).__name__), os.path.join(work_dir, 'result.pth'))
    # leave together with the group closed: an exit with gloo's threads alive can abort natively
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()
