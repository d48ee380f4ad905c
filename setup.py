"""Packaging for legacy_runner (mmcv 1.x runtime) and compat (v1 -> v2 migration)."""
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(os.path.join(HERE, 'legacy_runner', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='legacy-runner',
    version=read_version(),
    description='Run OpenMMLab 1.x (mmcv.runner) training on modern PyTorch and migrate it, '
    'verifiably, to the mmengine-style v2 format.',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.8',
    packages=find_packages(include=['legacy_runner', 'legacy_runner.*', 'compat', 'compat.*']),
    include_package_data=True,
    install_requires=[
        'torch>=1.8',
        'numpy>=1.19',
        'yapf>=0.40',
        'pyyaml>=5.1',
    ],
    extras_require={
        'test': ['pytest>=7', 'hypothesis>=6', 'ruff>=0.4'],
        'tensorboard': ['tensorboard>=2.0'],
        'plot': ['matplotlib>=3.3'],
    },
    entry_points={
        'console_scripts': [
            'legacy-runner=legacy_runner.cli:main',
            'convert-config=legacy_runner.cli:convert_main',
        ],
    },
)
