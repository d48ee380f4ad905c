"""Docs and comments stand on their own: no pointer to a document a maintainer of this repo lacks
(section signs, checklists or tickets kept elsewhere, a shared folder of facts). What such a pointer
carried belongs in docs/ (e.g. docs/conversion-rules.md) in our words."""
import os
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SKIP_DIRS = {'.git', '__pycache__', 'work_dirs', '.pytest_cache', '.ruff_cache', '.mypy_cache', '.hypothesis'}
SKIP_PATHS = {osp.join('tests', 'data'), osp.join('tests', 'test_docs_references.py')}
TEXT = ('.py', '.md', '.toml', '.cfg', '.txt', '.sh', '.yml', '.yaml', '.rst')
# each pattern is a way of pointing at an outside document
PATTERNS = [
    r'\u00a7',                                       # section sign: "spec §7", "rulebook §1.2"
    r'\brule ?book\b',
    r'\bissues? #?\d+\b',                            # a ticket number
    r'\barchitecture propert(y|ies)\b',
    r'\bshared/(spec|golden)\b',
    r'\bspec [a-z]?\d+\b',                           # "spec e5", "spec 7"
    r'\b(v1|v2|parity) spec\s*[:(#]',                # "v1 spec: ...", "v1 spec (#3)"
    r'\bthe spec (marks|says|lists|requires|asks)\b',
]
FOUND = re.compile('|'.join(f'(?:{p})' for p in PATTERNS), re.IGNORECASE)


def references():
    out = []
    for dirpath, dirs, files in os.walk(ROOT):
        rel_dir = osp.relpath(dirpath, ROOT)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith('.egg-info')
                         and osp.normpath(osp.join(rel_dir, d)) not in SKIP_PATHS)
        for name in sorted(files):
            rel = osp.normpath(osp.join(rel_dir, name))
            if rel in SKIP_PATHS or not (name.endswith(TEXT) or rel == osp.join('.ci', 'run')):
                continue
            with open(osp.join(ROOT, rel), encoding='utf-8', errors='replace') as f:
                for number, line in enumerate(f, 1):
                    hit = FOUND.search(line)
                    if hit:
                        out.append(f'{rel}:{number}: {hit.group(0)!r} in {line.strip()[:100]}')
    return out


def test_no_reference_to_documents_outside_the_repo():
    found = references()
    assert not found, f'{len(found)} references to outside documents:\n' + '\n'.join(found)


def test_the_patterns_catch_what_they_are_for():
    for text in ('see spec \u00a77 #13', 'rulebook 1.2', 'as in issue 7', 'Issue #12',
                 'architecture property 2', 'copied from shared/golden/x.json', 'spec e5: steps',
                 'v1 spec: interval=-1',
                 'The spec marks some behaviours'):
        assert FOUND.search(text), text
    for text in ('a v2 spec anneals along the curve', 'importlib.util.find_spec(name)', 'spec.loader',
                 'the issue is that', 'Build a spec from one entry'):
        assert not FOUND.search(text), text
