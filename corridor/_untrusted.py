"""Text from the geodata and scenarios, made safe for each place it is shown.

Geodata and scenarios come from other people. Their text reaches an output only through one of these
functions (or as a JSON value, see :mod:`corridor.render.maps`): shown literally, never interpreted.

- :func:`terminal_text`: no ANSI escape sequences or control characters (:func:`one_line`: on one line).
- :func:`csv_cell`: no spreadsheet formula (OWASP: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return gets a leading ``'``).
- :func:`markdown_text`: Markdown and HTML punctuation escaped, on one line.
- :func:`web_url`: the http(s) address a source may be linked to, or ``None`` (``javascript:``, ``data:`` …
  are shown as text).
"""

from __future__ import annotations

import re

__all__ = ["csv_cell", "markdown_text", "one_line", "terminal_text", "web_url"]

# CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-character escapes, and the 8-bit CSI
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# C0 (but tab and newline), DEL and C1
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&#!])")
_WEB_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)


def terminal_text(text: str) -> str:
    """``text`` without escape sequences or control characters (but tab and newline).

    Examples
    --------
    >>> terminal_text("\\x1b[31mred\\x1b[0m\\x07!")
    'red!'
    """
    return _CONTROL.sub("", _ANSI.sub("", text))


def one_line(text: object) -> str:
    """``text`` for a cell of a terminal table: :func:`terminal_text` on one line (breaks and tabs are spaces).

    Examples
    --------
    >>> one_line("a\\tb\\nc")
    'a b c'
    """
    return terminal_text(re.sub(r"[\t\n\r\v\f]+", " ", str(text)))


def csv_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: a leading ``'`` where it would start a formula.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(1)"), csv_cell("Aktau")
    ("'=HYPERLINK(1)", 'Aktau')
    """
    return "'" + text if text.startswith(_FORMULA) else text


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: punctuation that Markdown or HTML would act on is escaped.

    Examples
    --------
    >>> markdown_text("a|b <img> [x](javascript:y)")
    'a\\\\|b \\\\<img\\\\> \\\\[x\\\\](javascript:y)'
    """
    one_line = re.sub(r"[\r\n\t]+", " ", text)
    return _MARKDOWN.sub(r"\\\1", terminal_text(one_line)).strip()


def web_url(text: str) -> str | None:
    """The http(s) URL that ``text`` starts with (a source may be linked to it), else ``None``.

    Examples
    --------
    >>> web_url("https://example.org/a (page 3)"), web_url("javascript:alert(1)")
    ('https://example.org/a', None)
    """
    match = _WEB_URL.match(text.strip())
    return match.group(0) if match else None
