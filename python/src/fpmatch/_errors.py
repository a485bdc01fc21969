"""Exceptions raised by fpmatch: one class per group of C++ error codes.

Every exception is an :class:`Error` carrying the C++ message, the error
code's stable name (``code``, e.g. ``"truncated record"``) and its frozen
number (``code_value``, the C API's ``fpm_status``). The classes also derive
from the built-in exception a Python caller would expect (``ValueError``,
``OSError``, ``MemoryError``), so generic handlers catch them too.
"""
from typing import Optional


class Error(Exception):
    """Any failure reported by the fpmatch library."""

    # The C++ ErrorCode a class stands for when raised without one.
    _code, _code_value = "internal error", 12

    def __init__(self, message: str, code: Optional[str] = None, code_value: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.code = self._code if code is None else code
        self.code_value = self._code_value if code_value is None else code_value


class DecodeError(Error, ValueError):
    """A template record that could not be decoded.

    ``field`` names the offending field (e.g. ``"view[1].minutia[16].x"``),
    ``offset`` is its byte offset in the input (for text formats the offending
    token's; ``line`` its line, 0 for binary formats), ``format`` the format it
    was decoded as and ``detail`` the explanation alone.
    """

    _code, _code_value = "unknown format", 3

    def __init__(self, message: str, code: Optional[str] = None, code_value: Optional[int] = None, *,
                 format: str = "", field: str = "", offset: int = 0, line: int = 0, detail: str = ""):
        super().__init__(message, code, code_value)
        self.format = format
        self.field = field
        self.offset = offset
        self.line = line
        self.detail = detail


class InvalidArgument(Error, ValueError):
    """A value outside its documented range (C++ ErrorCode::InvalidArgument)."""
    _code, _code_value = "invalid argument", 1


class UnsupportedFormat(Error, ValueError):
    """A format this library recognises but does not write (or read) (ErrorCode::UnsupportedFormat)."""

    _code, _code_value = "unsupported format", 4


class IoError(Error, OSError):
    """A file that could not be opened, read or written (ErrorCode::Io)."""
    _code, _code_value = "i/o error", 2


class CorruptError(Error, ValueError):
    """A gallery file that is truncated, altered or of another format version."""
    _code, _code_value = "corrupt file", 13


class Unavailable(Error, RuntimeError):
    """A backend that is not built or has no usable device, or a device that failed."""
    _code, _code_value = "backend unavailable", 14


class OutOfMemory(Error, MemoryError):
    """Not enough (device) memory for the request."""
    _code, _code_value = "out of memory", 15


class InternalError(Error, RuntimeError):
    """A bug in fpmatch; please report it."""
    _code, _code_value = "internal error", 12


# ErrorCode value -> class, for errors that are not DecodeErrors.
_BY_CODE = {1: InvalidArgument, 2: IoError, 4: UnsupportedFormat, 12: InternalError, 13: CorruptError, 14: Unavailable, 15: OutOfMemory}


def _make(kind: int, message: str, code: str, code_value: int, fmt: str = "", field: str = "",
          offset: int = 0, line: int = 0, detail: str = "") -> Error:
    """Builds the exception the extension raises (kind 1: a C++ DecodeError)."""
    if kind == 1:
        return DecodeError(message, code, code_value, format=fmt, field=field, offset=offset, line=line,
                           detail=detail)
    return _BY_CODE.get(code_value, Error)(message, code, code_value)
