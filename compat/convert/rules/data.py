"""Rule: ``data`` -> ``train_dataloader`` / ``val_dataloader`` / ``test_dataloader`` (conversion rules: Data).

Loader arguments are resolved the way the legacy train flow resolves them (mmdet 2.x): defaults
``samples_per_gpu=2, workers_per_gpu=2``, val/test batch 1, then ``data.*`` keys, then the
``data.{phase}_dataloader`` dicts; every v2 value is written explicitly.
"""
import copy
from typing import Any, Dict, List, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import CARRIED, DROPPED, EXACT, Entry
from .hooks import validation_enabled

_LOADER_RENAMES = {'samples_per_gpu': 'batch_size', 'workers_per_gpu': 'num_workers'}
_IGNORED_BY_LEGACY = ('runner_type', 'class_aware_sampler')
_ORDER_NOTE = ('the dataset config is carried unchanged; a shuffled train loader gets '
               'LegacyOrderSampler (compat.adapter), the v1 flow\'s exact order (torch\'s RandomSampler, '
               'or DistributedSampler when distributed); DefaultSampler would only be statistically '
               'equivalent')
_TRAIN_SAMPLER = 'LegacyOrderSampler'


def _dataset(section: Any, key: str, test_mode: bool) -> Any:
    """A v2 dataset config from ``data.train/val/test`` (list -> ConcatDataset)."""
    if isinstance(section, (list, tuple)):
        parts = [_dataset(c, f'{key}[{i}]', test_mode) for i, c in enumerate(section)]
        return dict(type='ConcatDataset', datasets=parts)
    if not isinstance(section, dict):
        raise ConversionError('must be a dataset dict or a list of them', key=key, value=section)
    ds = copy.deepcopy(section)
    ds.pop('samples_per_gpu', None)  # a loader argument, not a dataset one
    if test_mode:
        ds.setdefault('test_mode', True)  # the v1 flow builds val/test datasets with test_mode=True
    return ds


def _loader(phase: str, data: Dict[str, Any], entries: List[Entry], fp: str) -> Dict[str, Any]:
    """Resolve one loader; ``fp`` is the v2 key (``train_dataloader``...)."""
    workers = data.get('workers_per_gpu', 2)
    if phase == 'train':
        batch = data.get('samples_per_gpu', 2)
        persistent = data.get('persistent_workers', False)
        shuffle = True
    else:
        sizes = [c['samples_per_gpu'] for c in (data[phase] if isinstance(data[phase], list)
                                                else [data[phase]]) if isinstance(c, dict)
                 and 'samples_per_gpu' in c]
        batch = max(sizes) if sizes else 1
        persistent, shuffle = False, False
        if sizes:
            entries.append(Entry(f'data.{phase}.samples_per_gpu', EXACT, f'{fp}.batch_size'))
    override = data.get(f'{phase}_dataloader') or {}
    if not isinstance(override, dict):
        raise ConversionError('must be a dict', key=f'data.{phase}_dataloader', value=override)
    if phase == 'train' and 'samples_per_gpu' in override and 'samples_per_gpu' in data:
        raise ConversionError('is set in both data and data.train_dataloader; keep only one',
                              key='data.samples_per_gpu', value=data['samples_per_gpu'])
    extra: Dict[str, Any] = {}
    for key, value in override.items():
        name = f'data.{phase}_dataloader.{key}'
        if key == 'samples_per_gpu':
            batch = value
            entries.append(Entry(name, EXACT, f'{fp}.batch_size'))
        elif key == 'workers_per_gpu':
            workers = value
            entries.append(Entry(name, EXACT, f'{fp}.num_workers'))
        elif key == 'persistent_workers':
            persistent = value
            entries.append(Entry(name, EXACT, f'{fp}.persistent_workers'))
        elif key == 'shuffle':
            shuffle = value
            entries.append(Entry(name, EXACT, f'{fp}.sampler.shuffle',
                                 '' if phase != 'train' else _ORDER_NOTE))
        elif key in _IGNORED_BY_LEGACY:
            entries.append(Entry(name, DROPPED, None, 'ignored by the legacy loader builder'))
        else:
            extra[key] = copy.deepcopy(value)
            entries.append(Entry(name, EXACT, f'{fp}.{key}', 'a DataLoader argument in both'))
    # torch rejects persistent workers without worker processes; the v1 builder skipped it then
    loader: Dict[str, Any] = dict(batch_size=batch, num_workers=workers,
                                  persistent_workers=bool(persistent and workers > 0))
    loader.update(extra)
    train_order = phase == 'train' and shuffle
    loader['sampler'] = dict(type=_TRAIN_SAMPLER if train_order else 'DefaultSampler', shuffle=shuffle)
    loader['dataset'] = _dataset(data[phase], f'data.{phase}', phase != 'train')
    return loader


def data_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    if 'data' not in ctx.cfg:
        return {}, []
    data = ctx.section('data')
    if not isinstance(data, dict):
        raise ConversionError('must be a dict', key='data', value=data)
    frag: Dict[str, Any] = {}
    entries: List[Entry] = []
    validate = validation_enabled(ctx)
    phases = [('train', 'train_dataloader'), ('val', 'val_dataloader'), ('test', 'test_dataloader')]
    for phase, fp in phases:
        if data.get(phase) is None:
            continue
        if phase == 'val' and not validate:
            continue
        frag[fp] = _loader(phase, data, entries, fp)
    if 'train' not in data and not ctx.fragment:
        raise ConversionError('has no `train` dataset', key='data')
    for key in data:
        name = f'data.{key}'
        if key in ('samples_per_gpu', 'workers_per_gpu', 'persistent_workers'):
            if key == 'samples_per_gpu':
                to = 'train_dataloader.batch_size'
            elif key == 'workers_per_gpu':
                to = ', '.join(f'{fp}.num_workers' for p, fp in phases if fp in frag)
            else:
                to = 'train_dataloader.persistent_workers'
            entries.append(Entry(name, EXACT, to or None))
        elif key == 'train':
            # The order note applies to every v2 config, so it does not make the key approximate
            # (that would fail --strict for every config); the shuffle override below is flagged.
            entries.append(Entry(name, CARRIED, 'train_dataloader.dataset', _ORDER_NOTE))
        elif key == 'val':
            if 'val_dataloader' in frag:
                why = 'carried unchanged (test_mode=True as the v1 flow forced)'
                if 'evaluation' not in ctx.cfg:
                    why += '; validated every epoch, as the legacy flow does without `evaluation`'
                entries.append(Entry(name, CARRIED, 'val_dataloader.dataset', why))
            else:
                entries.append(Entry(name, DROPPED, None, 'no validation'))
        elif key == 'test':
            entries.append(Entry(name, CARRIED, 'test_dataloader.dataset', 'carried unchanged '
                                 '(test_mode=True); the v1 test tool took its metric from --eval'))
        elif key.endswith('_dataloader') and key[:-len('_dataloader')] in ('train', 'val', 'test'):
            if not data[key]:
                entries.append(Entry(name, EXACT, None, 'empty'))
            if key.startswith('val') and 'val_dataloader' not in frag:
                entries.append(Entry(name, DROPPED, None, 'no validation'))
        else:
            entries.append(Entry(name, DROPPED, None, 'not read by the legacy train flow (loader '
                                 'options belong in data.train_dataloader)'))
    return frag, entries
