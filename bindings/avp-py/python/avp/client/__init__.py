"""The AVP client SDK: a :class:`Client` per identity, a :class:`Repository` handle per repository.

Quick use::

    from avp import Identity
    from avp.client import Client

    with Client(Identity.generate(), home="/tmp/alice") as alice:
        repo = alice.create_repo("http://127.0.0.1:8787", alts=[...])
        repo.update(lambda alts: [*alts, new_alt])
        repo.add_member(bob_invite_token)
        print(repo.locator_token())

See ``docs/sdk.md`` for the guide and the defences the client applies.
"""

from avp.client.client import Client, KeyBinding
from avp.client.repository import PushResult, RemoveResult, Repository, Snapshot, UpdateResult, open_envelope
from avp.client.store import RepoState, Store, resolve_home
from avp.client.transport import Token, Transport

__all__ = [
    "Client",
    "KeyBinding",
    "PushResult",
    "RemoveResult",
    "RepoState",
    "Repository",
    "Snapshot",
    "Store",
    "Token",
    "Transport",
    "UpdateResult",
    "open_envelope",
    "resolve_home",
]
