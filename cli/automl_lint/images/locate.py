"""Where the image behind an ``image_url`` is: a local path or an Azure Blob URL, from the user's mappings.

Order: the longest ``--map URL_PREFIX=LOCATION`` matching the raw ``image_url``; then ``--datastore NAME=LOCATION``
for the datastore AutoML resolves; then each ``--image-root DIR`` with the datastore as first folder, then
without it. The part of the URL after the mapped prefix is normalised as AutoML does (query stripped,
percent-escapes decoded, doubled slashes collapsed).
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from automl_lint.rules.image_url import resolve

BLOB_SCHEMES = ("az://", "abfs://", "abfss://")


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
    return os.path.join(location, *tail.split("/"))


class Locator:
    def __init__(self, image_root: list[str], datastores: dict[str, str], maps: dict[str, str]) -> None:
        self.roots = list(image_root)
        self.datastores = dict(datastores)
        # Longest prefix first.
        self.maps = sorted(maps.items(), key=lambda kv: len(kv[0]), reverse=True)

    def locate(self, url: str) -> list[str]:
        """Candidate locations in order of preference (the first that exists is the image); [] if unmapped."""
        for prefix, location in self.maps:
            if url.startswith(prefix):
                return [_join(location, _tail(url[len(prefix):]))]
        resolved = resolve(url)
        if resolved is None:
            return []
        datastore, path = resolved
        if datastore in self.datastores:
            return [_join(self.datastores[datastore], path)]
        out = []
        for root in self.roots:
            out.append(_join(root, f"{datastore}/{path}"))
            out.append(_join(root, path))
        return out
