"""``collect-env``: the environment report that training runs log at start-up."""
import argparse

NAME = 'collect-env'
HELP = ('print the environment: Python, PyTorch, CUDA/cuDNN, GPUs, compiler, numpy, yapf, this '
        'package, and whether a real mmcv/mmengine or the shim is used')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--json', action='store_true', help='print a JSON object instead of key: value lines')


def run(args: argparse.Namespace) -> int:
    import json

    from ..utils.env import collect_env

    env = collect_env()
    if args.json:
        print(json.dumps(env, indent=2))
    else:
        for key, value in env.items():
            print(f'{key}: {value}')
    return 0
