"""Per-key conversion report: one :class:`Entry` per v1 key, a text table and the JSON form."""
import json
import math
from typing import Any, Dict, Iterable, List, Optional, Sequence

EXACT, APPROXIMATE, CARRIED, DROPPED = 'exact', 'approximate', 'carried', 'dropped'
STATUSES = (EXACT, APPROXIMATE, CARRIED, DROPPED)


class Entry:
    """What happened to one v1 key.

    Args:
        key: dotted v1 path, e.g. ``'lr_config.warmup_iters'`` or ``'log_config.hooks[0].type'``.
        status: ``exact`` (a v2 form with the same behaviour), ``approximate`` (behaviour differs;
            ``bound`` is the max relative LR/momentum difference when it is numeric), ``carried``
            (copied unchanged) or ``dropped`` (no v2 counterpart; ``reason`` says why).
        to: the v2 path(s) it went to, or None.
        bound: max relative difference for an approximate schedule key (None if not numeric).
        reason: a short explanation.
        param: ``'lr'``/``'momentum'`` for schedule keys whose bound comes from measurement.
    """

    __slots__ = ('key', 'status', 'to', 'bound', 'reason', 'param', 'groups', 'measured',
                 'at_default', 'bound_note')

    def __init__(self, key: str, status: str, to: Optional[str] = None, reason: str = '',
                 bound: Optional[float] = None, param: Optional[str] = None) -> None:
        if status not in STATUSES:
            raise ValueError(f'unknown status {status!r}')
        self.key, self.status, self.to, self.reason = key, status, to, reason
        self.bound, self.param = bound, param
        self.groups: Optional[Dict[str, List[float]]] = None  # per-group bounds, lr and momentum
        self.measured = ''           # how the bound was measured (epoch lengths)
        self.at_default: Optional[float] = None  # the bound at the default epoch length alone
        self.bound_note = ''         # why there is no numeric bound

    def set_bound(self, bound: float, groups: Dict[str, List[float]], measured: str,
                  default: Any = None) -> None:
        """A measured bound: ``bound`` for this entry's parameter, ``groups`` per param group."""
        self.bound = bound
        self.groups = {p: list(v) for p, v in groups.items()}
        self.measured = measured
        self.reason += f'; {measured}' if self.reason else measured
        if default is not None and self.param is not None:
            self.at_default = default.max_rel(self.param)

    @property
    def needs_bound(self) -> bool:
        return self.status in (APPROXIMATE, DROPPED)

    def why_no_bound(self) -> str:
        """The reason a non-exact entry has no numeric bound ('' when it has one)."""
        if not self.needs_bound or self.bound is not None:
            return ''
        if self.bound_note:
            return self.bound_note
        if self.param is None:
            return 'no numeric meaning: not an lr/momentum value'
        return 'not measured'

    def to_dict(self) -> Dict[str, Any]:
        """The JSON record; ``bound`` (with ``groups`` and ``measured``) on approximate/dropped
        schedule entries, ``bound_note`` saying why on the other non-exact ones."""
        bound = self.bound if self.needs_bound else None
        out: Dict[str, Any] = {'key': self.key, 'status': self.status, 'to': self.to,
                               'bound': _json_float(bound), 'reason': self.reason}
        if bound is not None:
            if self.groups is not None:
                out['groups'] = {p: [_json_float(v) for v in vs] for p, vs in self.groups.items()}
            if self.measured:
                out['measured'] = self.measured
            if self.at_default is not None:
                out['at_default_length'] = _json_float(self.at_default)
        elif self.needs_bound:
            out['bound_note'] = self.why_no_bound()
        return out

    def __repr__(self) -> str:
        return f'Entry({self.key!r}, {self.status!r}, to={self.to!r}, bound={self.bound!r})'


def _json_float(value: Optional[float]) -> Any:
    """JSON has no infinity: an unbounded difference (a v1 value of 0 against a non-zero v2
    value) is written as the string 'inf'."""
    if value is not None and not math.isfinite(value):
        return 'inf'
    return value


def counts(entries: Iterable[Entry]) -> Dict[str, int]:
    """Number of entries per status, in the fixed status order."""
    out = {s: 0 for s in STATUSES}
    for e in entries:
        out[e.status] += 1
    return out


def summary_line(entries: Sequence[Entry], max_names: int = 12) -> str:
    """``N keys: a exact, ... d dropped (dropped: k1, k2)``: the dropped keys are named, so a
    run that converts in memory says what it leaves out, not only how much."""
    c = counts(entries)
    line = f'{len(entries)} keys: ' + ', '.join(f'{c[s]} {s}' for s in STATUSES)
    dropped = [e.key for e in entries if e.status == DROPPED]
    if dropped:
        more = f', ... {len(dropped) - max_names} more' if len(dropped) > max_names else ''
        line += f' (dropped: {", ".join(dropped[:max_names])}{more})'
    return line


def is_strict_clean(entries: Iterable[Entry]) -> bool:
    """True when nothing is approximate or dropped (what ``--strict`` requires)."""
    return all(e.status in (EXACT, CARRIED) for e in entries)


def _fmt_bound(e: Entry) -> str:
    if not e.needs_bound:
        return '-'
    if e.bound is None:
        return 'n/a'
    return f'{e.bound:.3g}'


def format_table(entries: Sequence[Entry], max_to: int = 48) -> str:
    """A plain-text table: key, status, to, bound, reason (reasons are never cut)."""
    rows = [(e.key, e.status, _shorten(e.to or '-', max_to), _fmt_bound(e), e.reason) for e in entries]
    header = ('v1 key', 'status', 'v2 key', 'bound', 'reason')
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(4)]
    lines = ['  '.join(h.ljust(w) for h, w in zip(header[:4], widths)) + '  ' + header[4]]
    lines.append('  '.join('-' * w for w in widths) + '  ' + '-' * 6)
    for r in rows:
        lines.append(('  '.join(c.ljust(w) for c, w in zip(r[:4], widths)) + '  ' + r[4]).rstrip())
    lines.append(summary_line(entries))
    return '\n'.join(lines)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + '...'


def to_json(entries: Sequence[Entry]) -> str:
    """The ``--report`` file: a JSON list of entry records, stable key order."""
    return json.dumps([e.to_dict() for e in entries], indent=2) + '\n'


def tree_to_json(per_file: Dict[str, List[Entry]]) -> str:
    """Tree-mode report: ``{relative path: [entries]}`` for every converted full config."""
    return json.dumps({k: [e.to_dict() for e in v] for k, v in sorted(per_file.items())}, indent=2) + '\n'
