"""The key that seals 2026-07-28 requestState, kept in a file so a restart does not void open flows.

Without `request_state_keys` in the settings, a random key is made once and stored (mode 0600) at
`request_state_key_file`: by default beside the database file (`trips.db.state-key`), or in the
user's data directory when the database is a URL. Explicit keys always win and no file is used.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from platformdirs import user_data_dir

from mcp_server.errors import ConfigError

MIN_KEY_BYTES = 32


def default_key_file(db: Path | str) -> Path:
    if "://" in str(db):  # a database URL has no directory to sit beside
        return Path(user_data_dir("trip-agent", appauthor=False)) / "request-state.key"
    db = Path(db)
    return db.with_name(db.name + ".state-key")


def load_or_create_key(path: Path) -> str:
    """The key in `path`, made (32 random bytes, hex, mode 0600) if the file does not exist yet.

    Raises:
        ConfigError: the file cannot be read or written, or holds a key too short to be secret.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made earlier, or just now by another server on the same database
            key = path.read_text(encoding="utf-8").strip()
        else:
            key = secrets.token_hex(MIN_KEY_BYTES)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(key + "\n")
    except OSError as error:
        raise ConfigError(
            f"cannot use the requestState key file {path}: {error.strerror} "
            "(set request_state_key_file to a writable place, or request_state_keys)"
        ) from error
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ConfigError(f"the requestState key file {path} holds a key shorter than {MIN_KEY_BYTES} bytes; delete it to make a new one")
    return key
