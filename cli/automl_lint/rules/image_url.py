"""AML2xx: ``image_url``, as AutoML's StreamInfo conversion and PortablePath resolve it.

``AmlDatastore://<datastore>/<path>`` and the long ``azureml://subscriptions/.../datastores/<ds>/paths/<path>``
form are resolved to ``<tmp>/<datastore>/<path>``; anything the converter cannot read becomes the path
``_invalid_``, which does not exist, so the image is silently dropped.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from automl_lint.rules import rule
from automl_lint.problem import quote

F = "image_url"

URL_MISSING = rule(
    "AML201", "image-url-missing", "error", "drops-image",
    "`image_url` is missing, null or not a string.",
    what="Reports a record without a string `image_url`.",
    why="AutoML cannot locate the image: the path becomes `_invalid_`, the existence check fails and the image "
    "is silently skipped (the job fails instead when `ignore_data_errors` is off or images are streamed).",
    example='`{"image_url": null, "label": "cat"}`',
    fix='Give every record `"image_url": "AmlDatastore://<datastore>/<path>"` or the long `azureml://` form.',
    family=F,
)
URL_UNRESOLVABLE = rule(
    "AML202", "image-url-unresolvable", "error", "drops-image",
    "AutoML cannot resolve this `image_url` to a datastore path.",
    what="Reports `image_url` values AutoML's converter rejects: a scheme in the wrong case (`amldatastore://`), "
    "`:///`, the short `azureml://datastores/...` form, relative or absolute local paths, backslashes, "
    "surrounding spaces, an empty string, unknown schemes.",
    why="The converter answers `invalid input`, the path becomes `_invalid_`, and the image is silently dropped "
    "(or the job fails when images are streamed).",
    example='`"image_url": "images/cat_01.jpg"` or `"image_url": "AMLDATASTORE://ds/cat_01.jpg"`',
    fix="Use `AmlDatastore://<datastore>/<path>` (case-sensitive scheme) or "
    "`azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>`.",
    family=F,
)
URL_DATASTORE_ONLY = rule(
    "AML203", "image-url-datastore-only", "error", "drops-image",
    "The `image_url` names a datastore but no file in it.",
    what="Reports `AmlDatastore://name.jpg`: the first segment after `AmlDatastore://` is always the datastore "
    "name, so this URL points at the root folder of a datastore called `name.jpg`.",
    why="The path is a folder, not an image: the existence check fails and the image is silently dropped.",
    example='`"image_url": "AmlDatastore://Image_01.jpg"`',
    fix="Put the datastore name first: `AmlDatastore://workspaceblobstore/images/Image_01.jpg`.",
    family=F,
)
URL_FOLDER = rule(
    "AML204", "image-url-folder", "error", "drops-image",
    "The `image_url` ends with `/`: it names a folder.",
    what="Reports an `image_url` with no file name (`AmlDatastore://ds/` or `.../paths/`).",
    why="A folder is not an image: the existence check fails and the image is silently dropped.",
    example='`"image_url": "AmlDatastore://ds/images/"`',
    fix="Point at the image file itself.",
    family=F,
)
URL_NORMALISED = rule(
    "AML205", "image-url-normalised", "warning", "none",
    "AutoML silently rewrites this `image_url` before using it.",
    what="Reports `image_url` values that AutoML normalises: doubled slashes are collapsed, a `?query` is "
    "stripped, `%20`-style escapes are decoded.",
    why="AutoML reads the normalised path, which is usually what was meant; but two different URLs can then name "
    "one file, and a file whose name really contains `//`, `%20` or `?` is never found (then AML701 reports it "
    "missing when images are checked).",
    example='`"image_url": "AmlDatastore://ds//images/a%20b.jpg?sv=2020"` is read as `ds/images/a b.jpg`',
    fix="Write the path exactly as it is stored.",
    family=F,
)
URL_HTTP = rule(
    "AML206", "image-url-http", "warning", "none",
    "The `image_url` is an http(s) or storage URL rather than a datastore path.",
    what="Reports `http://`, `https://`, `wasbs://`, `abfss://`, `adl://` and `file://` URLs.",
    why="AutoML downloads them in the default mode, but a job with `stream_image_files` fails with "
    "'Streaming images is only supported if all image files are contained in an AML datastore'.",
    example='`"image_url": "https://example.blob.core.windows.net/c/a.jpg"`',
    fix="Register the storage as a datastore and use `AmlDatastore://<datastore>/<path>`.",
    family=F,
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_LONG_FORM = re.compile(
    r"^subscriptions/[^/]+/resource[gG]roups/[^/]+/"
    r"(?:providers/Microsoft\.MachineLearningServices/)?workspaces/[^/]+/datastores/([^/]+)/paths/(.*)$"
)
_SEGMENT = r"[^/?%\\\s][^/?%\\]*"
# One match for the two forms AutoML resolves as written: no empty segment, query, escape or backslash.
_PLAIN = re.compile(
    rf"(?:AmlDatastore://{_SEGMENT}|azureml://subscriptions/{_SEGMENT}/resource[gG]roups/{_SEGMENT}/"
    rf"(?:providers/Microsoft\.MachineLearningServices/)?workspaces/{_SEGMENT}/datastores/{_SEGMENT}/paths)"
    rf"(?:/{_SEGMENT})+"
)
_URL_SCHEMES = {"http", "https", "wasb", "wasbs", "abfs", "abfss", "adl", "file"}


def resolve(url: str) -> tuple[str, str] | None:
    """The (datastore, path) AutoML would read for a resolvable ``image_url``, after its normalisations."""
    m = _SCHEME.match(url)
    if not m or url != url.strip() or "\\" in url:
        return None
    scheme, rest = m.group(1), url[m.end():]
    if scheme == "AmlDatastore":
        if rest.startswith("/"):
            return None
        datastore, _, path = rest.partition("/")
    elif scheme == "azureml":
        lm = _LONG_FORM.match(rest)
        if not lm:
            return None
        datastore, path = lm.group(1), lm.group(2)
    else:
        return None
    path = unquote(path.split("?", 1)[0])
    path = "/".join(p for p in path.split("/") if p)
    return datastore, path


def is_plain(url: str) -> bool:
    """True for the two resolvable forms with nothing to normalise (the common case, checked first)."""
    return _PLAIN.fullmatch(url) is not None and not url[-1].isspace()


def plain_url_checker(limit: int = 4096):
    """:func:`is_plain`, memoised by folder: the images of a dataset share a handful of folders."""
    folders: set[str] = set()
    last = ["\0"]  # the folder (with its final '/') of the last plain URL

    def plain(url: str) -> bool:
        prefix = last[0]
        if url.startswith(prefix):
            name = url[len(prefix):]
        else:
            folder, _, name = url.rpartition("/")
            if folder not in folders:
                if not is_plain(url):
                    return False
                if len(folders) < limit:
                    folders.add(folder)
            last[0] = folder + "/"
        return (name != "" and "/" not in name and "?" not in name and "%" not in name and "\\" not in name
                and not name[0].isspace() and not name[-1].isspace())

    plain.last = last  # read by the express lane (automl_lint.express), which repeats the first branch inline
    return plain


def check(record: dict, out: list) -> str | None:
    """Append findings about ``image_url``; return the URL when AutoML can resolve it to a file."""
    url = record.get("image_url")
    if type(url) is not str:
        what = "missing" if "image_url" not in record else f"a JSON {_kind(url)}"
        out.append((URL_MISSING, "/image_url", f"image_url is {what}; AutoML skips the image"))
        return None
    if is_plain(url):
        return url
    return _check_slow(url, out)


def _check_slow(url: str, out: list) -> str | None:
    p = "/image_url"
    if url == "":
        out.append((URL_UNRESOLVABLE, p, "image_url is an empty string; AutoML skips the image"))
        return None
    if url != url.strip():
        out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)} has surrounding whitespace; AutoML's converter "
                    "rejects it and skips the image"))
        return None
    if "\\" in url:
        out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)} contains backslashes; use forward slashes "
                    "(AutoML skips the image)"))
        return None
    m = _SCHEME.match(url)
    if not m:
        where = "an absolute local path" if url.startswith("/") or url[1:3] == ":/" else "a relative path"
        out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)} is {where}; AutoML only resolves "
                    "'AmlDatastore://<datastore>/<path>' or the long 'azureml://subscriptions/...' form, "
                    "and skips the image"))
        return None
    scheme, rest = m.group(1), url[m.end():]
    low = scheme.lower()
    if low in _URL_SCHEMES:
        out.append((URL_HTTP, p, f"image_url uses {scheme}://: downloaded in the default mode, but a job with "
                    "stream_image_files=True fails ('Streaming images is only supported if all image files "
                    "are contained in an AML datastore')"))
        return url  # AutoML downloads it and reads the labels
    if scheme == "AmlDatastore":
        if rest.startswith("/"):
            out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)} has ':///' (empty datastore name); AutoML "
                        "skips the image"))
            return None
        datastore, sep, path = rest.partition("/")
        if not sep or not path.strip("/"):
            if not sep:
                out.append((URL_DATASTORE_ONLY, p, f"in {quote(url)} the first segment {quote(datastore)} is the datastore "
                            "name, so no file is named; write 'AmlDatastore://<datastore>/<path>' (AutoML skips "
                            "the image)"))
            else:
                out.append((URL_FOLDER, p, f"image_url {quote(url)} names a folder, not a file; AutoML skips the image"))
            return None
    elif scheme == "azureml":
        lm = _LONG_FORM.match(rest)
        if not lm:
            if rest.startswith(("datastores/", "locations/")):
                why = "the short 'azureml://datastores/...' form is not resolved by AutoML"
            else:
                why = "it is not the long 'azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/" \
                      "datastores/<ds>/paths/<path>' form"
            out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)}: {why}; AutoML skips the image"))
            return None
        path = lm.group(2)
        if not path.strip("/"):
            out.append((URL_FOLDER, p, f"image_url {quote(url)} names a folder, not a file; AutoML skips the image"))
            return None
    else:
        hint = " (the scheme is case-sensitive: 'AmlDatastore')" if low in ("amldatastore", "azureml") else ""
        out.append((URL_UNRESOLVABLE, p, f"image_url {quote(url)} has the scheme {quote(scheme)}{hint}; AutoML's converter "
                    "rejects it and skips the image"))
        return None
    if url.endswith("/"):
        out.append((URL_FOLDER, p, f"image_url {quote(url)} names a folder, not a file; AutoML skips the image"))
        return None
    changes = []
    if "//" in rest:
        changes.append("'//' collapsed to '/'")
    if "?" in rest:
        changes.append("the '?query' stripped")
    if "%" in rest and unquote(rest) != rest:
        changes.append("percent-escapes decoded")
    if changes:
        resolved = resolve(url)
        target = f" -> '{resolved[0]}/{resolved[1]}'" if resolved else ""
        out.append((URL_NORMALISED, p, f"AutoML rewrites image_url{target}: " + ", ".join(changes)))
    return url


def _kind(value) -> str:
    return {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)
