"""``avp id new|show|export|passwd``, and the helpers the client commands share (home, unlock, output).

Secrets never come from the command line (it is visible to other users in the process list):
the passphrase is read from ``AVP_PASSPHRASE`` or prompted for; ``AVP_RECOVERY_CODE`` unlocks with
the recovery code instead.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any, Callable

from avp.cli import EXIT_OK, EXIT_USAGE, add_json_flag, emit

if TYPE_CHECKING:
    from avp.client import Client
    from avp.identity import Identity

# The client (and its HTTP stack) is imported by the commands that use it, not here: building the
# ``avp`` parser imports this module, and ``avp --help`` should not pay for ``requests``.

PASSPHRASE_ENV = "AVP_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
RECOVERY_CODE_ENV = "AVP_RECOVERY_CODE"
NEW_PASSPHRASE_ENV = "AVP_NEW_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret


class UsageError(Exception):
    """A missing input the user must supply (exit code 2)."""


# --- helpers shared by avp.cli.repo and avp.cli.member ---------------------------------------------


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--home`` and ``--json`` for every identity-bearing command."""
    parser.add_argument(
        "--home",
        default=None,
        help="state directory holding identity.json and the client state [env AVP_HOME;"
        " default ~/.local/share/avp]",
    )
    add_json_flag(parser)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument(
        "--require-binding",
        action="store_true",
        default=None,
        help="refuse members without a verifying key binding on every host (default: only on hosts"
        " you do not operate, i.e. not loopback and not in AVP_OPERATED_HOSTS)",
    )
    parser.add_argument(
        "--no-sign",
        action="store_true",
        help="write without the signed-writes extension (as an AVP 0.4 client that does not sign)",
    )
    parser.add_argument(
        "--unsigned-policy",
        choices=("refuse", "report"),
        default="refuse",
        help="an unsigned state or roster change in a repository seen signed: refuse it (default) or"
        " accept and report it (repositories shared with clients that do not sign)",
    )


def add_action(
    subparsers: Any, name: str, func: Callable[[argparse.Namespace], int], *, address: bool, **kwargs: Any
) -> argparse.ArgumentParser:
    """A client sub-command: its parser (``kwargs``: help, description) with the client options, the
    ``avp://host/repoId`` argument first when ``address``, and ``func`` as what it runs (see guarded)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, **kwargs)
    add_client_options(parser)
    if address:
        parser.add_argument("address", help="avp://host/repoId")
    parser.set_defaults(func=guarded(func))
    return parser


def secret_input(env: str, prompt: str) -> str:
    """A secret from the environment variable ``env``, else from a prompt on the terminal."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"set {env} or run on a terminal to be prompted ({prompt.rstrip(': ')})")
    return getpass.getpass(prompt)


def new_passphrase(env: str = PASSPHRASE_ENV) -> str:
    value = os.environ.get(env)
    if value:
        return value
    first = secret_input(env, "new passphrase: ")
    if getpass.getpass("repeat the passphrase: ") != first:
        raise UsageError("the passphrases differ")
    return first


def unlock(args: argparse.Namespace) -> Identity:
    from avp.client.profile import load_identity

    code = os.environ.get(RECOVERY_CODE_ENV)
    if code:
        return load_identity(args.home, recovery_code=code)
    return load_identity(args.home, passphrase=secret_input(PASSPHRASE_ENV, "passphrase: "))


def progress(message: str) -> None:
    print(message, file=sys.stderr)


def open_client(args: argparse.Namespace) -> Client:
    """Unlock the identity of ``--home`` and open a client on the same state directory."""
    from avp.client import Client

    return Client(
        unlock(args),
        home=args.home,
        require_binding=getattr(args, "require_binding", None),
        sign_writes=not getattr(args, "no_sign", False),
        unsigned_policy=getattr(args, "unsigned_policy", "refuse"),
        progress=progress,
    )


def guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a :class:`UsageError` into a message and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE

    return run


# --- avp id ----------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "id",
        help="create, show and export your identity",
        description="Your identity is an Ed25519 + X25519 keypair sealed under a passphrase in"
        " <home>/identity.json. The passphrase comes from AVP_PASSPHRASE or a prompt, never argv.",
    )
    sub = parser.add_subparsers(dest="id_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="create an identity (prints a one-time recovery code)")
    add_common(new)
    new.add_argument("--force", action="store_true", help="replace an existing identity (it is lost)")
    new.set_defaults(func=guarded(cmd_new))

    show = sub.add_parser("show", help="print your member id and X25519 key (no passphrase needed)")
    add_common(show)
    show.add_argument("--member-id", action="store_true", help="print only the member id (for scripts)")
    show.set_defaults(func=guarded(cmd_show))

    passwd = sub.add_parser(
        "passwd",
        help="set a new passphrase (unlock with the old one, or with AVP_RECOVERY_CODE)",
        description=f"The new passphrase comes from {NEW_PASSPHRASE_ENV} or a prompt. A new recovery"
        " code is printed (the old one stops working).",
    )
    add_common(passwd)
    passwd.set_defaults(func=guarded(cmd_passwd))

    export = sub.add_parser("export", help="print your invite-request token for an inviter")
    add_common(export)
    export.add_argument(
        "--server",
        help="also ask this server's issuer to bind your keys and print the keyBindingSig"
        " (inviters on hosts they do not operate require it)",
    )
    export.set_defaults(func=guarded(cmd_export))


def cmd_new(args: argparse.Namespace) -> int:
    from avp.client.profile import save_identity
    from avp.identity import Identity

    identity = Identity.generate()
    recovery_code = Identity.new_recovery_code()
    path = save_identity(
        identity, new_passphrase(), args.home, recovery_code=recovery_code, overwrite=args.force
    )
    data = {
        "memberId": identity.member_id,
        "x25519PublicKey": identity.x25519_public_key_b64,
        "recoveryCode": recovery_code,
        "path": str(path),
    }
    print(f"identity written to {path}", file=sys.stderr)
    print("keep the recovery code somewhere safe: it is shown only once", file=sys.stderr)
    emit(args, data, f"member id:     {identity.member_id}\nrecovery code: {recovery_code}")
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    from avp.client.profile import save_identity
    from avp.identity import Identity

    identity = unlock(args)
    recovery_code = Identity.new_recovery_code()
    path = save_identity(
        identity, new_passphrase(NEW_PASSPHRASE_ENV), args.home, recovery_code=recovery_code, overwrite=True
    )
    print(
        f"identity re-sealed in {path}; the old passphrase and recovery code no longer open it",
        file=sys.stderr,
    )
    emit(
        args,
        {"memberId": identity.member_id, "recoveryCode": recovery_code},
        f"recovery code: {recovery_code}",
    )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from avp.client.profile import read_public_identity

    public = read_public_identity(args.home)
    data = {
        "memberId": public.member_id,
        "x25519PublicKey": public.x25519_public_key,
        "path": str(public.path),
    }
    text = f"member id:   {public.member_id}\nx25519 key:  {public.x25519_public_key}"
    emit(args, data, public.member_id if args.member_id else text)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    if args.server is None:
        identity = unlock(args)
        emit(args, {"inviteToken": identity.invite_token()}, identity.invite_token())
        return EXIT_OK
    with open_client(args) as client:
        binding = client.key_binding(args.server)
        token = client.invite_token()
    data = {
        "inviteToken": token,
        "keyBindingSig": binding.key_binding_sig,
        "issuerJwksUrl": binding.issuer_jwks_url,
    }
    emit(args, data, f"{token}\n{binding.key_binding_sig}")
    return EXIT_OK
