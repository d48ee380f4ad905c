"""Registry / build_from_cfg behaviour."""
import pytest

from legacy_runner.registry import Registry, build_from_cfg


def test_register_decorator_call_and_aliases():
    reg = Registry('cat')
    # inferred from the top-level package of the module that created it
    assert reg.scope == __name__.split('.')[0]

    @reg.register_module()
    class BritishShorthair:
        pass

    @reg.register_module(name=['Munchkin', 'Munch'])
    class Munchkin:
        pass

    class Persian:
        pass

    assert reg.register_module(module=Persian) is Persian
    assert len(reg) == 4
    assert reg.get('BritishShorthair') is BritishShorthair
    assert reg.get('Munch') is Munchkin and 'Munchkin' in reg
    assert 'Siamese' not in reg
    assert repr(reg).startswith('Registry(name=cat, items=')


def test_register_errors():
    reg = Registry('dog')

    @reg.register_module()
    class Husky:
        pass

    with pytest.raises(KeyError, match='Husky is already registered in dog'):
        reg.register_module(module=Husky)
    reg.register_module(module=Husky, force=True)  # force overrides
    with pytest.raises(TypeError, match='force must be a boolean'):
        reg.register_module(force=1)
    with pytest.raises(TypeError, match='name must be either of None'):
        reg.register_module(name=7)
    with pytest.raises(TypeError, match='module must be a class or a function'):
        reg.register_module(module=3)


def test_deprecated_register_api_warns():
    reg = Registry('old')

    class Legacy:
        pass

    with pytest.warns(DeprecationWarning):
        reg.register_module(Legacy)
    assert reg.get('Legacy') is Legacy


def test_scopes_parent_children():
    models = Registry('models', scope='mmengine')
    det = Registry('models', parent=models, scope='mmdet')
    cls = Registry('models', parent=models, scope='mmcls')

    @models.register_module()
    class Base:
        pass

    @det.register_module()
    class ResNet:
        pass

    @cls.register_module()
    class ResNetCls:
        pass

    assert models.children == {'mmdet': det, 'mmcls': cls}
    assert models.get('mmdet.ResNet') is ResNet
    assert det.get('mmdet.ResNet') is ResNet
    # sibling scope through the root
    assert det.get('mmcls.ResNetCls') is ResNetCls
    # unscoped keys never fall back to the parent (mmcv behaviour)
    assert det.get('Base') is None
    assert det.get('mmengine.Base') is Base
    # mmcv raises AttributeError at the root for an unknown scope; we return None (documented)
    assert models.get('nope.ResNet') is None
    with pytest.raises(AssertionError, match='scope mmdet exists'):
        Registry('models', parent=models, scope='mmdet')
    assert det.build_func is models.build_func


def test_build_from_cfg_and_default_args():
    reg = Registry('backbone')

    @reg.register_module()
    class ResNet:
        def __init__(self, depth, stages=4):
            self.depth, self.stages = depth, stages

    obj = build_from_cfg(dict(type='ResNet', depth=50), reg)
    assert (obj.depth, obj.stages) == (50, 4)
    obj = build_from_cfg(dict(depth=18), reg, default_args=dict(type='ResNet', stages=3))
    assert (obj.depth, obj.stages) == (18, 3)
    obj = reg.build(dict(type=ResNet, depth=101))  # a class works directly
    assert obj.depth == 101
    cfg = dict(type='ResNet', depth=50)
    build_from_cfg(cfg, reg)
    assert cfg == dict(type='ResNet', depth=50)  # not mutated


def test_build_from_cfg_errors_name_registry_and_suggest():
    reg = Registry('backbone')

    @reg.register_module()
    class ResNet:
        def __init__(self, depth):
            self.depth = depth

    @reg.register_module()
    class ResNeXt:
        def __init__(self, depth):
            self.depth = depth

    with pytest.raises(KeyError) as info:
        build_from_cfg(dict(type='ResNett', depth=50), reg)
    msg = str(info.value)
    assert 'ResNett is not in the backbone registry' in msg and 'Did you mean: ResNet' in msg
    with pytest.raises(KeyError, match='must contain the key "type"'):
        build_from_cfg(dict(depth=50), reg)
    with pytest.raises(TypeError, match='cfg must be a dict'):
        build_from_cfg('ResNet', reg)
    with pytest.raises(TypeError, match='registry must be an mmcv.Registry'):
        build_from_cfg(dict(type='ResNet'), 'reg')
    with pytest.raises(TypeError, match='default_args must be a dict or None'):
        build_from_cfg(dict(type='ResNet'), reg, default_args=1)
    with pytest.raises(TypeError, match='type must be a str or valid type'):
        build_from_cfg(dict(type=3), reg)
    # constructor errors are re-raised with the class name prefixed (mmcv quirk #20)
    with pytest.raises(TypeError, match=r'^ResNet: .*unexpected keyword'):
        build_from_cfg(dict(type='ResNet', depth=1, width=2), reg)
