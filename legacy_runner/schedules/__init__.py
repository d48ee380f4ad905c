"""Pure LR / momentum schedule math shared by the v1 hooks, the v2 schedulers, the converter's
``--verify``, the plot commands and the tests (one implementation, so they cannot disagree).

No torch, no numpy: importing this must stay cheap.

v1 (mmcv 1.x updater hooks): ``*Policy`` objects give the regular value of one group from
``(base, progress, max_progress)``; :func:`warmup_lr` / :func:`warmup_momentum` apply warmup;
:class:`V1Schedule` / :func:`build_v1_schedule` resolve an ``lr_config``/``momentum_config``;
:func:`v1_trace` replays what the hooks leave in the param groups.

v2 (mmengine param schedulers): ``*Schedule`` specs give ``value(t, v, b, group)``, the chained
per-step update; :func:`build_v2_schedule(s)` apply the Runner's defaults and
``convert_to_iter_based``; :func:`scheduler_step` is the step bookkeeping; :func:`v2_trace`
replays ParamSchedulerHook.
"""
from .common import INF, annealing_cos, annealing_linear, cumulative, format_param, get_position_from_periods
from .compare import TraceDiff, compare_v1_v2, trace_diff
from .v1 import (
    V1Schedule,
    V1UpdaterStages,
    build_v1_schedule,
    check_warmup,
    policy_hook_type,
    v1_trace,
    warmup_lr,
    warmup_momentum,
)
from .v1_policies import (
    LR_POLICIES,
    MOMENTUM_POLICIES,
    CosineAnnealingLrPolicy,
    CosineAnnealingMomentumPolicy,
    CosineRestartLrPolicy,
    CyclicLrPolicy,
    CyclicMomentumPolicy,
    ExpLrPolicy,
    FixedLrPolicy,
    FlatCosineAnnealingLrPolicy,
    InvLrPolicy,
    LinearAnnealingLrPolicy,
    LinearAnnealingMomentumPolicy,
    OneCycleLrPolicy,
    OneCycleMomentumPolicy,
    PolyLrPolicy,
    StepLrPolicy,
    StepMomentumPolicy,
    V1Policy,
)
from .v2 import (
    build_v2_schedule,
    build_v2_schedules,
    default_end,
    loop_lengths,
    schedule_type,
    scheduler_step,
    v2_trace,
)
from .v2_specs import (
    ConstantSchedule,
    CosineAnnealingSchedule,
    CosineRestartSchedule,
    ExponentialSchedule,
    LinearSchedule,
    MultiStepSchedule,
    OneCycleSchedule,
    PlateauState,
    PolySchedule,
    ReduceOnPlateauSchedule,
    StepSchedule,
    V2Schedule,
)

__all__ = [
    'INF', 'annealing_cos', 'annealing_linear', 'cumulative', 'format_param', 'get_position_from_periods',
    'TraceDiff', 'compare_v1_v2', 'trace_diff',
    'V1Schedule', 'V1UpdaterStages', 'build_v1_schedule', 'check_warmup', 'policy_hook_type', 'v1_trace',
    'warmup_lr', 'warmup_momentum',
    'LR_POLICIES', 'MOMENTUM_POLICIES', 'V1Policy', 'FixedLrPolicy', 'StepLrPolicy', 'ExpLrPolicy',
    'PolyLrPolicy', 'InvLrPolicy', 'CosineAnnealingLrPolicy', 'FlatCosineAnnealingLrPolicy',
    'CosineRestartLrPolicy', 'CyclicLrPolicy', 'OneCycleLrPolicy', 'LinearAnnealingLrPolicy',
    'StepMomentumPolicy', 'CosineAnnealingMomentumPolicy', 'LinearAnnealingMomentumPolicy',
    'CyclicMomentumPolicy', 'OneCycleMomentumPolicy',
    'build_v2_schedule', 'build_v2_schedules', 'default_end', 'loop_lengths', 'schedule_type',
    'scheduler_step', 'v2_trace',
    'V2Schedule', 'ConstantSchedule', 'LinearSchedule', 'StepSchedule', 'MultiStepSchedule',
    'ExponentialSchedule', 'CosineAnnealingSchedule', 'PolySchedule', 'OneCycleSchedule',
    'CosineRestartSchedule', 'ReduceOnPlateauSchedule', 'PlateauState',
]
