"""Untrusted text made safe for each output context: the one place where reporters neutralise data.

Every string that comes from a dataset (file names, image_url values after percent-decoding, class names,
JSON pointers built from keys, MLTable paths, baseline fields, messages that quote any of them) passes
through one of these functions on its way out. Each function is named after the context it writes into:

- :func:`plain`: one line of text on a terminal, in a CI log or on stderr (concise, table, statistics,
  error lines). Control characters (C0, C1, DEL), line and paragraph separators, bidirectional overrides and
  other invisible format characters are shown as Python-style escapes (``\\x1b``, ``\\n``, ``\\u202e``), so
  no terminal escape (colours, clear screen, OSC 8 links) and no line break ever comes from the data.
  Doubled ``:`` and ``#`` get a backslash between them (``:\\:``, ``#\\#``), as does a leading ``:``: the
  workflow commands of GitHub Actions (``::error``), the logging commands of Azure Pipelines (``##vso[``)
  and the older ``##[command]`` form cannot be formed by data, wherever a line is wrapped.
- :func:`github_data`, :func:`github_property`: the message and ``key=value`` parts of a GitHub workflow
  command; :func:`azure_data`, :func:`azure_property`: the same for an Azure Pipelines logging command.
- :func:`xml_text`: text and attribute values of an XML document (JUnit); characters XML 1.0 cannot hold
  never reach it.
- :func:`markdown_cell`: text inside a GitHub-flavoured Markdown table cell (the step summary): no link,
  image, HTML, emphasis or code span can be formed.
- :func:`html_text`: text and quoted attribute values of an HTML page.
- :func:`sarif_text`: a SARIF plain-text message (``[`` and ``]`` would otherwise form links).
- :func:`json_bytes`: a whole JSON document (json, jsonl, sarif, gitlab), values kept exact: orjson escapes
  C0 controls, and this writes every other character :func:`plain` would escape (C1 controls, separators,
  bidirectional overrides, ...) and ``##`` (as ``#\\u0023``) as ``\\u`` escapes, so that a JSON report
  printed into a CI log cannot carry a command either.
- :func:`uri_reference`: a relative file path as a URI reference (SARIF ``artifactLocation.uri``).

Rich markup is never interpreted: reporters hand rich :class:`rich.text.Text` objects (or a console with
``markup=False``), and :func:`plain` text.
"""

from __future__ import annotations

import functools
import html
import re
import urllib.parse

import orjson

# Invisible or line-breaking characters that printable-looking text must not carry: str.isprintable() is
# False for all of Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the space.
_REPEATS = re.compile(r"([:#])(?=\1)")


def _escape_char(c: str) -> str:
    n = ord(c)
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if c == "\t":
        return "\\t"
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def plain(text: object) -> str:
    """One line of plain text, safe on a terminal and in any CI log."""
    s = text if type(text) is str else str(text)
    if not s.isprintable():
        s = "".join(c if c.isprintable() else _escape_char(c) for c in s)
    if "::" in s or "##" in s:
        s = _REPEATS.sub(r"\1\\", s)
    if s.lstrip(" ")[:1] == ":":  # a field that starts a line, followed by our own ':' (``path:line``)
        s = s.replace(":", "\\:", 1)
    return s


def github_data(text: object) -> str:
    """The message of a GitHub Actions workflow command (after ``::``)."""
    return plain(text).replace("%", "%25")


def github_property(text: object) -> str:
    """A property value of a GitHub Actions workflow command (``file=``, ``title=``)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def azure_data(text: object) -> str:
    """The message of an Azure Pipelines logging command (after ``]``)."""
    return plain(text).replace("%", "%AZP25")


def azure_property(text: object) -> str:
    """A property value of an Azure Pipelines logging command (``sourcepath=``)."""
    return azure_data(text).replace(";", "%3B").replace("]", "%5D")


@functools.cache
def _xml_invalid() -> re.Pattern:
    """Characters XML 1.0 does not allow (everything else is shown escaped before ElementTree sees the text).
    Compiled when first needed: the character class takes ~9 ms to compile, which every run paid at start-up."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """Text or an attribute value for ElementTree (which escapes ``&``, ``<``, ``>`` and quotes itself)."""
    s = plain(text)
    return _xml_invalid().sub(lambda m: _escape_char(m.group()), s)


# Every ASCII punctuation character that Markdown (CommonMark + GitHub extensions) or HTML gives a meaning;
# numeric character references are always literal text, never markup.
_MARKDOWN_SPECIAL = re.compile(r"""[\\`*_{}\[\]()<>#+!|~&"']""")


def markdown_cell(text: object) -> str:
    """Text for a cell of a Markdown table: literal, on one line, no link, image, HTML or code span."""
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", plain(text))


def html_text(text: object) -> str:
    """Text content or a quoted attribute value of an HTML page."""
    return html.escape(plain(text), quote=True)


def sarif_text(text: object) -> str:
    """A SARIF ``message.text``: plain text in which ``[`` and ``]`` would start a link to a location."""
    return plain(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def uri_reference(path: str) -> str:
    """A relative path (forward slashes) as a URI reference: every character outside RFC 3986's unreserved
    set and ``/`` is percent-encoded, so ``#``, ``?``, ``%`` and spaces stay part of the path."""
    return urllib.parse.quote(path, safe="/", errors="surrogatepass")


# In serialised JSON, '#' and non-ASCII characters can only occur inside strings, so \\u escapes keep the value.
_JSON_CANDIDATE = re.compile("##|[^\x20-\x7e\n]")


def _json_escape(m: re.Match) -> str:
    s = m.group()
    if s == "##":
        return "#\\u0023"
    if s.isprintable():
        return s
    n = ord(s)
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000
    return f"\\u{0xd800 + (n >> 10):04x}\\u{0xdc00 + (n & 0x3ff):04x}"


def json_bytes(value, option: int = 0) -> bytes:
    """``orjson.dumps`` with the characters a log viewer or terminal would act on written as ``\\u`` escapes."""
    try:
        data = orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:  # a lone surrogate (a file name that is not UTF-8): escape it instead
        import json

        data = json.dumps(value, indent=2 if option & orjson.OPT_INDENT_2 else None).encode("ascii")
    text = data.decode("utf-8")
    if text.isascii() and "##" not in text and "\x7f" not in text:
        return data
    return _JSON_CANDIDATE.sub(_json_escape, text).encode("utf-8")
