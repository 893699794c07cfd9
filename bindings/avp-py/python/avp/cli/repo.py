"""``avp repo create|pull|push|add-alt|list-alts|list|locator|join``: repositories and their alts.

Repositories are named by their ``avp://host/repoId`` address. Alt credentials (access and refresh
tokens) come from a file, ``AVP_ACCESS_TOKEN`` / ``AVP_REFRESH_TOKEN``, or a prompt — never argv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from avp.cli import EXIT_FAILURES, EXIT_OK, emit
from avp.cli.identity import UsageError, add_action, add_common, guarded, open_client, secret_input
from avp.models import ALT_TYPES, AltAccount, alts_from_json

if TYPE_CHECKING:
    from avp.client import Snapshot, UpdateResult

ACCESS_TOKEN_ENV = "AVP_ACCESS_TOKEN"  # noqa: S105 - variable names, not secrets
REFRESH_TOKEN_ENV = "AVP_REFRESH_TOKEN"  # noqa: S105
SECRET_FIELDS = ("accessToken", "refreshToken")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "repo",
        help="create, sync and share repositories of alts",
        description="Repositories are end-to-end encrypted: the server only stores ciphertext.",
    )
    sub = parser.add_subparsers(dest="repo_command", metavar="ACTION", required=True)

    create = add_action(
        sub, "create", cmd_create, address=False, help="create a repository with you as its only member"
    )
    create.add_argument("--server", required=True, help="server base URL, e.g. http://127.0.0.1:8787")
    create.add_argument("--repo-id", help="repository id (default: a random UUID)")
    create.add_argument(
        "--share-refresh-tokens",
        action="store_true",
        help="let members share refresh tokens (default: they are stripped before encryption)",
    )
    create.add_argument("--alts", type=Path, help="JSON file with an initial array of alts ('-': stdin)")

    pull = add_action(
        sub, "pull", cmd_pull, address=True, help="sync and verify a repository; print its version and size"
    )
    pull.add_argument(
        "--confirm-refresh-policy",
        action="store_true",
        help="accept that the repository now shares refresh tokens (refused by default)",
    )

    push = add_action(
        sub, "push", cmd_push, address=True, help="replace the repository's alts with a JSON file"
    )
    push.add_argument("file", type=Path, help="JSON array of alts ('-': stdin)")

    add_alt = add_action(
        sub,
        "add-alt",
        cmd_add_alt,
        address=True,
        help="add or replace one alt (by uuid)",
        description=f"The access token comes from {ACCESS_TOKEN_ENV} or a prompt, the optional refresh"
        f" token from {REFRESH_TOKEN_ENV}; or give the whole alt as JSON with --file.",
    )
    add_alt.add_argument("--file", type=Path, help="one alt as a JSON object ('-': stdin)")
    add_alt.add_argument("--uuid", help="player UUID")
    add_alt.add_argument("--username", help="player name")
    add_alt.add_argument("--type", choices=ALT_TYPES, default="MICROSOFT", help="account type")
    add_alt.add_argument("--expires-at", type=int, help="access-token expiry, epoch ms")
    add_alt.add_argument("--source-client", help="provenance: the client the alt comes from")
    add_alt.add_argument("--source-user", help="provenance: the user within that client")

    list_alts = add_action(
        sub,
        "list-alts",
        cmd_list_alts,
        address=True,
        help="pull and list the alts (tokens hidden unless --reveal)",
    )
    list_alts.add_argument("--reveal", action="store_true", help="include access/refresh tokens in --json")

    add_action(
        sub, "list", cmd_list, address=False, help="the repositories this identity has local state for"
    )

    add_action(
        sub, "locator", cmd_locator, address=True, help="print the repo-locator token to give a joiner"
    )

    join = add_action(
        sub,
        "join",
        cmd_join,
        address=False,
        help="join a repository from a locator token (after being added)",
    )
    join.add_argument("locator", help="repo-locator token from a member")

    evidence = sub.add_parser(
        "evidence",
        help="export the signed states and fork evidence kept for a repository (no passphrase)",
        description="Signed states carry no plaintext: anyone can re-verify their signatures. With"
        " --compare, report the forks between this export and another member's (exit 1 if any).",
    )
    add_common(evidence)
    evidence.add_argument("address", help="avp://host/repoId")
    evidence.add_argument("--compare", type=Path, help="another member's 'avp repo evidence --json' output")
    evidence.set_defaults(func=guarded(cmd_evidence))
    join.add_argument("--server", help="base URL to dial instead of the locator's host")


def read_text(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def summary(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "address": snapshot.address,
        "payloadVersion": snapshot.payload_version,
        "keyEpoch": snapshot.key_epoch,
        "alts": len(snapshot.alts),
        "members": list(snapshot.members),
        "shareRefreshTokens": snapshot.share_refresh_tokens,
        "unchanged": snapshot.unchanged,
    }


def summary_text(snapshot: Snapshot) -> str:
    return (
        f"{snapshot.address}: version {snapshot.payload_version}, epoch {snapshot.key_epoch},"
        f" {len(snapshot.alts)} alt(s), {len(snapshot.members)} member(s)"
    )


def cmd_create(args: argparse.Namespace) -> int:
    alts = alts_from_json(read_text(args.alts)) if args.alts else []
    with open_client(args) as client:
        repo = client.create_repo(
            args.server,
            alts,
            repo_id=args.repo_id,
            share_refresh_tokens=True if args.share_refresh_tokens else None,
        )
        assert repo.snapshot is not None
        emit(args, summary(repo.snapshot), repo.address)
    print(f"created {summary_text(repo.snapshot)}", file=sys.stderr)
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        snapshot = client.repository(args.address).pull(confirm_refresh_policy=args.confirm_refresh_policy)
    emit(args, summary(snapshot), summary_text(snapshot))
    return EXIT_OK


def _written(result: UpdateResult) -> dict[str, Any]:
    """The --json output of a command that wrote the payload."""
    return {
        "payloadVersion": result.payload_version,
        "keyEpoch": result.key_epoch,
        "attempts": result.attempts,
    }


def _replace_all(alts: Sequence[AltAccount]) -> Any:
    return lambda _current: list(alts)


def cmd_push(args: argparse.Namespace) -> int:
    alts = alts_from_json(read_text(args.file))
    with open_client(args) as client:
        result = client.repository(args.address).update(_replace_all(alts))
    emit(args, _written(result), f"pushed {len(alts)} alt(s): version {result.payload_version}")
    return EXIT_OK


def _alt_from_args(args: argparse.Namespace) -> AltAccount:
    if args.file is not None:
        return alts_from_json(f"[{read_text(args.file)}]")[0]
    if not args.uuid or not args.username:
        raise UsageError("give --uuid and --username (or --file)")
    return AltAccount(
        uuid=args.uuid,
        username=args.username,
        access_token=secret_input(ACCESS_TOKEN_ENV, "access token: "),
        type=args.type,
        last_used=int(time.time() * 1000),
        refresh_token=os.environ.get(REFRESH_TOKEN_ENV) or None,
        expires_at=args.expires_at,
        source_client=args.source_client,
        source_user=args.source_user,
    )


def cmd_add_alt(args: argparse.Namespace) -> int:
    new = _alt_from_args(args)
    with open_client(args) as client:
        repo = client.repository(args.address)
        result = repo.update(lambda alts: [*(a for a in alts if a.uuid != new.uuid), new])
        policy = repo.snapshot.share_refresh_tokens if repo.snapshot else None
    if new.refresh_token and policy is not True:
        print("note: this repository does not share refresh tokens; it was not stored", file=sys.stderr)
    emit(args, _written(result), f"added {new.username}: version {result.payload_version}")
    return EXIT_OK


def _public(alt: AltAccount, reveal: bool) -> dict[str, Any]:
    out = alt.to_dict()
    if not reveal:
        for key in SECRET_FIELDS:
            out.pop(key, None)
    return out


def cmd_list_alts(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        snapshot = client.repository(args.address).pull()
    lines = []
    for alt in snapshot.alts:
        banned = sorted(server for server, ban in (alt.bans or {}).items() if ban.banned)
        flag = f"  banned on {', '.join(banned)}" if banned else ""
        lines.append(f"{alt.username:<16} {alt.uuid:<36} {alt.type:<9}{flag}")
    emit(args, [_public(a, args.reveal) for a in snapshot.alts], "\n".join(lines) or "(no alts)")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from avp.client import Store
    from avp.client.profile import read_public_identity

    public = read_public_identity(args.home)  # no passphrase needed: addresses are not secret
    with Store(args.home) as store:
        addresses = store.addresses(public.member_id)
    emit(args, {"repositories": addresses}, "\n".join(addresses) or "(no repositories)")
    return EXIT_OK


def cmd_evidence(args: argparse.Namespace) -> int:
    from avp import federation
    from avp.client import Store, signing
    from avp.client.profile import read_public_identity

    public = read_public_identity(args.home)
    parsed = federation.parse_address(args.address)
    address = federation.format_address(parsed.host, parsed.repo_id)
    with Store(args.home) as store:
        evidence = signing.Ledger(store, public.member_id, address).evidence()
    if args.compare is None:
        emit(args, evidence, json.dumps(evidence, indent=2))
        return EXIT_OK
    forks = signing.compare(evidence, json.loads(read_text(args.compare)))
    emit(args, {"forks": forks}, f"{len(forks)} fork(s) between the two exports")
    return EXIT_FAILURES if forks else EXIT_OK


def cmd_locator(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        repo = client.repository(args.address)
        token = repo.locator_token()
    emit(args, {"token": token, "address": repo.address}, token)
    return EXIT_OK


def cmd_join(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        repo = client.join(args.locator, server=args.server)
        assert repo.snapshot is not None
    emit(args, summary(repo.snapshot), repo.address)
    print(f"joined {summary_text(repo.snapshot)}", file=sys.stderr)
    return EXIT_OK
