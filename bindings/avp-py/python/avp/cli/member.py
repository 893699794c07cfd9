"""``avp member invite|add|remove|list|accept-key``: who can read a repository.

Joining takes two tokens: the joiner runs ``avp id export`` and sends the invite-request token; a
member runs ``avp member invite ADDRESS TOKEN``, which adds the joiner and prints the repo-locator
token to send back; the joiner runs ``avp repo join LOCATOR``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from avp.cli import EXIT_OK, emit
from avp.cli.identity import add_action, open_client


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "member",
        help="add, remove and list the members of a repository",
        description="Removing a member rotates the data key: the removed member cannot read what follows.",
    )
    sub = parser.add_subparsers(dest="member_command", metavar="ACTION", required=True)

    for name, helptext, func in (
        ("invite", "add a joiner and print the locator token to send them", cmd_invite),
        ("add", "add a joiner from their invite-request token", cmd_add),
    ):
        p = add_action(sub, name, func, address=True, help=helptext)
        p.add_argument("invite", help="the joiner's invite-request token ('avp id export')")
        p.add_argument("--binding", help="the joiner's keyBindingSig ('avp id export --server')")

    remove = add_action(
        sub, "remove", cmd_remove, address=True, help="remove a member and rotate the data key"
    )
    remove.add_argument("member", help="member id (base64 Ed25519 key)")

    accept = add_action(
        sub,
        "accept-key",
        cmd_accept_key,
        address=True,
        help="accept a member's new X25519 key after checking it with them (clears key_changed)",
    )
    accept.add_argument("member", help="member id (base64 Ed25519 key)")
    accept.add_argument("x25519", help="the new X25519 key, as the member told you out of band")

    add_action(sub, "list", cmd_list, address=True, help="list the member ids (yours is marked)")


def cmd_add(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        members = client.repository(args.address).add_member(args.invite, args.binding)
    emit(args, {"members": list(members)}, "\n".join(members))
    return EXIT_OK


def cmd_invite(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        repo = client.repository(args.address)
        members = repo.add_member(args.invite, args.binding)
        token = repo.locator_token()
    print(f"added; {len(members)} member(s). Send this locator token to the joiner:", file=sys.stderr)
    emit(args, {"members": list(members), "locatorToken": token}, token)
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        result = client.repository(args.address).remove_member(args.member)
    data = {
        "payloadVersion": result.payload_version,
        "keyEpoch": result.key_epoch,
        "members": list(result.members),
    }
    emit(args, data, f"removed; version {result.payload_version}, epoch {result.key_epoch}")
    return EXIT_OK


def cmd_accept_key(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        client.repository(args.address).accept_key_change(args.member, args.x25519)
    print(f"pinned the new key of {args.member}", file=sys.stderr)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with open_client(args) as client:
        me = client.identity.member_id
        members = client.repository(args.address).members()
    lines = [f"{m}{'  (you)' if m == me else ''}" for m in members]
    emit(args, {"members": list(members), "you": me}, "\n".join(lines))
    return EXIT_OK
