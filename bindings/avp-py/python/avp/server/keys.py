"""Where the issuer's Ed25519 seed comes from: a configured file, else the database.

Keeping it in the database by default means every server process on one database signs and
checks tokens with the same key, with nothing to distribute; a file lets an operator supply or
rotate the key (and keep it out of database backups).
"""

from __future__ import annotations

import base64
import binascii
import os

from avp.errors import InvalidKey
from avp.server.config import ServerConfig
from avp.server.store import Store


def load_seed(config: ServerConfig, store: Store) -> bytes:
    if config.signing_key_file is None:
        return store.signing_seed(os.urandom(32))
    path = config.signing_key_file
    try:
        # O_EXCL: when several workers start at once exactly one creates the file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(os.urandom(32)).decode("ascii") + "\n")
    with open(path, encoding="ascii") as handle:
        text = handle.read().strip()
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise InvalidKey(f"{path} must hold the base64 of a 32-byte Ed25519 seed")
    return seed
