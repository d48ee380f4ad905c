"""Never refuse on an unknown key: extra keys inside known sections are dropped with a reason
(errors with --strict); the converter never overwrites its own input."""
import glob
import json
import os
import site

import pytest

from compat.convert import ConversionError, Options, convert_dict
from compat.convert.cli import main as cli_main
from compat.convert.report import summary_line

BASE = dict(model=dict(type='Toy'), data=dict(train=dict(type='Toy')),
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
            runner=dict(type='EpochBasedRunner', max_epochs=2))


def _ipu_config():
    for root in site.getsitepackages():
        hits = glob.glob(os.path.join(root, 'mmcls', '.mim', 'configs', 'vision_transformer', '*ipu*.py'))
        if hits:
            return sorted(hits)[0]
    pytest.skip('mmcls configs not installed')


def test_mmcls_ipu_config_converts_with_fp16_extra_key_dropped(tmp_path, capsys):
    src = _ipu_config()
    rep = tmp_path / 'r.json'
    rc = cli_main([src, str(tmp_path / 'out.py'), '--report', str(rep), '-q'])
    assert rc == 0, capsys.readouterr().err
    records = {r['key']: r for r in json.loads(rep.read_text())}
    from legacy_runner.config import Config
    extra = sorted(set(Config.fromfile(src)['fp16']) - {'loss_scale'})
    assert 'accum_type' in extra
    for key in extra:
        rec = records[f'fp16.{key}']
        assert rec['status'] == 'dropped' and 'Fp16OptimizerHook' in rec['reason']
        assert rec['bound'] is None and rec['bound_note']
    assert records['fp16.loss_scale']['status'] == 'approximate'
    # --strict: the unknown key is an error, one line, nothing written
    out = tmp_path / 'strict.py'
    assert cli_main([src, str(out), '--strict']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and any(f'fp16.{k}=' in err[0] for k in extra) and '--strict' in err[0]
    assert not out.exists()


@pytest.mark.parametrize('section,cfg,key', [
    ('fp16', dict(loss_scale=512., accum_type='half'), 'fp16.accum_type'),
    ('optimizer_config', dict(grad_clip=None, foo=1), 'optimizer_config.foo'),
    ('lr_config', dict(policy='step', step=[1], warmup_speed=3), 'lr_config.warmup_speed'),
    ('momentum_config', dict(policy='CosineAnnealing', min_momentum_ratio=0.9, bar=2), 'momentum_config.bar'),
])
def test_unknown_key_dropped_or_strict_error(section, cfg, key):
    v1 = dict(BASE, **{section: cfg})
    r = convert_dict(v1, Options(epoch_length=3))
    entry = next(e for e in r.entries if e.key == key)
    assert entry.status == 'dropped' and 'dropped' in entry.reason
    assert key in summary_line(r.entries)  # the in-memory conversion of `train --runtime v2` names it
    # the rest of the section still converts (and the schedule is still measured without it)
    others = [e for e in r.entries if e.key.startswith(section) and e.key != key]
    assert others and all(e.status != 'dropped' for e in others)
    with pytest.raises(ConversionError, match='--strict'):
        convert_dict(v1, Options(epoch_length=3, strict=True))


def test_unknown_schedule_key_does_not_change_the_schedule():
    plain = convert_dict(dict(BASE, lr_config=dict(policy='step', step=[1])), Options(epoch_length=3))
    extra = convert_dict(dict(BASE, lr_config=dict(policy='step', step=[1], foo=1)), Options(epoch_length=3))
    assert plain.v2['param_scheduler'] == extra.v2['param_scheduler']


@pytest.mark.parametrize('how', ['same', 'symlink', 'hardlink', 'dotted'])
def test_refuses_to_overwrite_its_input(tmp_path, capsys, how):
    src = tmp_path / 'a.py'
    text = ''.join(f'{k} = {v!r}\n' for k, v in BASE.items())
    src.write_text(text)
    target = {'same': src, 'dotted': tmp_path / '.' / 'a.py', 'symlink': tmp_path / 'link.py',
              'hardlink': tmp_path / 'hard.py'}[how]
    if how == 'symlink':
        os.symlink(src, target)
    elif how == 'hardlink':
        os.link(src, target)
    assert cli_main([str(src), str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'input file' in err[0]
    assert src.read_text() == text
