"""The converter's user-facing error: one line naming the file, the key and the value."""
from typing import Any, Optional

_MISSING = object()


class ConversionError(Exception):
    """Bad converter input (not a v1 config, unknown policy, conflicting keys, ...).

    The command line prints ``str(error)`` as a single line and exits with status 2.
    """

    def __init__(self, message: str, key: Optional[str] = None, value: Any = _MISSING,
                 filename: Optional[str] = None) -> None:
        self.message = ' '.join(str(message).split())
        self.key = key
        self.value = value
        self.filename = filename
        super().__init__(self.message)

    def with_file(self, filename: Optional[str]) -> 'ConversionError':
        """The same error, naming ``filename`` unless it already names one."""
        if self.filename is None and filename:
            self.filename = filename
        return self

    def __str__(self) -> str:
        parts = []
        if self.filename:
            parts.append(self.filename)
        if self.key is not None:
            parts.append(self.key if self.value is _MISSING else f'{self.key}={self.value!r}')
        parts.append(self.message)
        # repr() of a long value may span lines in theory; the CLI promises one line
        return ' '.join(': '.join(parts).split())
