"""SM2 key files: the centre's key, agents' keys; made on first use, readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

from acquisition import sm


def write_private_key(path: Path, key: sm.PrivateKey) -> None:
    """Write ``key`` as PEM to ``path`` with mode 0600 (the directory is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(sm.private_key_pem(key))


def private_key(path: Path, create: bool = False) -> sm.PrivateKey:
    """The SM2 private key in ``path``; a new one is made and written there when ``create`` and missing."""
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no SM2 private key at {path}")
        write_private_key(path, sm.generate_private_key())
    return sm.load_private_key(path.read_bytes())


def centre_key() -> sm.PrivateKey:
    """The centre's SM2 key (HAZMAP_CENTRE_KEY), made on first use."""
    from acquisition.conf import centre_key_path

    return private_key(centre_key_path(), create=True)
