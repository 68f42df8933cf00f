"""Where the image behind an ``image_url`` is: a local path or an Azure Blob URL, from the user's mappings.

Order: the longest ``--map URL_PREFIX=LOCATION`` matching the raw ``image_url``; then ``--datastore NAME=LOCATION``
for the datastore AutoML resolves; then each ``--image-root DIR`` with the datastore as first folder, then
without it. The part of the URL after the mapped prefix is normalised as AutoML does (query stripped,
percent-escapes decoded, doubled slashes collapsed).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

from automl_lint.rules.image_url import resolve

BLOB_SCHEMES = ("az://", "abfs://", "abfss://")
# A file name that every normalisation keeps as it is (no escape, query, space, '.' or '..'): the candidates of a
# URL ending in one are its folder's, with the name appended.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_\-+=,@~()][A-Za-z0-9_.\-+=,@~()]*")
FOLDER_MEMO = 4096  # folders whose candidates are remembered
_UNUSUAL = ()  # a folder whose locations are joined for each name


def is_blob(location: str) -> bool:
    return location.startswith(BLOB_SCHEMES) or (location.startswith("https://")
                                                 and ".blob.core.windows.net" in location)


def parse_mapping(text: str, option: str) -> tuple[str, str]:
    """``KEY=LOCATION`` -> (key, location); ValueError with a one-line reason."""
    key, sep, location = text.partition("=")
    if not sep or not key or not location:
        raise ValueError(f"{option} expects KEY=LOCATION, got {text!r}")
    if "://" in location and not is_blob(location):
        raise ValueError(f"{option} {text!r}: LOCATION must be a local folder or an Azure Blob URL "
                         "(az://container/prefix or https://<account>.blob.core.windows.net/container/prefix)")
    return key, location


def _tail(path: str) -> str:
    path = unquote(path.split("?", 1)[0])
    return "/".join(p for p in path.split("/") if p)


def _join(location: str, tail: str) -> str:
    if "://" in location:
        return location.rstrip("/") + "/" + tail
    if os.sep == "/" and location and tail and tail[0] != "/" and tail[-1] != "/" and "//" not in tail:
        # What os.path.join(location, *parts) gives for non-empty parts, at a tenth of its cost.
        return location + tail if location[-1] == "/" else location + "/" + tail
    return os.path.join(location, *tail.split("/"))


def inside(location: str, tail: str) -> bool:
    """Whether ``tail`` joined to ``location`` stays inside it as written: no ``..`` climbing out, no NUL byte.

    Symbolic links are judged when the file is opened (``storage.open_local``): what was opened must lie inside.
    """
    return "\0" not in tail and (".." not in tail or ".." not in tail.split("/"))


def check_locations(roots: list[str], datastores: dict[str, str], maps: dict[str, str]) -> None:
    """ValueError naming the first local folder that does not exist: a wrong location is the user's mistake,
    never images AutoML would drop."""
    named = [("--image-root", r, r) for r in roots]
    named += [("--datastore", f"{k}={v}", v) for k, v in datastores.items()]
    named += [("--map", f"{k}={v}", v) for k, v in maps.items()]
    for option, text, folder in named:
        if "://" in folder:
            continue
        if not os.path.isdir(folder):
            what = "is not a folder" if os.path.exists(folder) else "does not exist"
            raise ValueError(f"{option} {text}: {folder} {what}")


class Locator:
    def __init__(self, image_root: list[str], datastores: dict[str, str], maps: dict[str, str]) -> None:
        self.roots = list(image_root)
        self.datastores = dict(datastores)
        # Longest prefix first.
        self.maps = sorted(maps.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.outside: dict[str, str] = {}  # image_url -> the location it would escape
        self._folders: dict[str, list] = {}  # URL folder (up to its last '/') -> its (location, tail) pairs
        self._longest_map = max((len(prefix) for prefix in maps), default=0)

    def locate(self, url: str) -> list[str]:
        """Candidate locations in order of preference (the first that exists is the image); [] if unmapped.

        An ``image_url`` any of whose candidates leaves its location gets none and is noted in ``outside``.
        """
        return [location for location, _ in self.candidates(url)]

    def candidates_of(self, urls) -> dict:
        """{url: ``candidates(url)``} for each distinct url of ``urls``, in order. A dataset's names come folder by
        folder: while they stay in a folder that has one mapping, each plain name costs a match and a list."""
        out: dict = {}
        plain = _PLAIN_NAME.fullmatch
        memos = self._folders
        current = prefix = location = None  # a folder whose candidates are (prefix + name, location)
        for url in urls:
            if url in out:
                continue
            folder, _, name = url.rpartition("/")
            if folder == current and plain(name):
                out[url] = [(prefix + name, location)]
                continue
            out[url] = self.candidates(url)
            memo = memos.get(folder)  # a list only where candidates() takes the folder's pairs for a plain name
            if type(memo) is list and len(memo) == 1:
                current, (prefix, location) = folder, memo[0]
            else:
                current = None
        return out

    def candidates(self, url: str) -> list[tuple[str, str]]:
        """(location, the folder or container it was mapped into) in order of preference."""
        folder, _, name = url.rpartition("/")
        # The folder's pairs serve every plain name in it when no --map prefix reaches past the folder and nothing
        # in the folder cuts the name off (a query) or makes it the datastore (``AmlDatastore://name``).
        if (_PLAIN_NAME.fullmatch(name) and len(folder) >= self._longest_map - 1 and "?" not in folder
                and not folder.endswith(":/")):
            memo = self._folders.get(folder)
            if memo is None:
                memo = self._folder_prefixes(folder)
                if len(self._folders) < FOLDER_MEMO:
                    self._folders[folder] = memo
            if type(memo) is str:  # the folder leaves this location
                self.outside[url] = memo
                return []
            if memo is not _UNUSUAL:
                if len(memo) == 1:  # one mapping (the usual case): no comprehension to call
                    return [(memo[0][0] + name, memo[0][1])]
                return [(prefix + name, location) for prefix, location in memo]
            pairs = self._named_pairs(folder, name)
        else:
            pairs = self._pairs(url)
        for location, tail in pairs:
            if not inside(location, tail):
                self.outside[url] = location
                return []
        return [(_join(location, tail), location) for location, tail in pairs]

    def _folder_prefixes(self, folder: str) -> list | str | tuple:
        """For the plain names in ``folder``: [(the text their location starts with, the folder or container they
        were mapped into)], the location they leave (a str), or ``_UNUSUAL``. A plain name (no '/', '..', NUL,
        escape or query) changes neither which pair stays inside nor how a pair is joined: the folder's answer
        serves them all."""
        pairs = self._named_pairs(folder, "x")
        for location, tail in pairs:
            if not inside(location, tail):
                return location
        out = []
        for location, tail in pairs:
            full = _join(location, tail)
            if not full.endswith("x"):  # joining a plain last part appends it as it is; else each URL is joined
                return _UNUSUAL
            out.append((full[:-1], location))
        return out

    def _named_pairs(self, folder: str, name: str) -> list[tuple[str, str]]:
        """``_pairs`` of ``folder``/``name`` for a plain ``name``: the folder's, with the name appended to each tail."""
        return [(location, tail + name if not tail or tail[-1] == "/" else f"{tail}/{name}")
                for location, tail in self._pairs(folder + "/")]

    def _pairs(self, url: str) -> list[tuple[str, str]]:
        for prefix, location in self.maps:
            if url.startswith(prefix):
                return [(location, _tail(url[len(prefix):]))]
        resolved = resolve(url)
        if resolved is None:
            return []
        datastore, path = resolved
        if datastore in self.datastores:
            return [(self.datastores[datastore], path)]
        out = []
        for root in self.roots:
            out.append((root, f"{datastore}/{path}"))
            out.append((root, path))
        return out
