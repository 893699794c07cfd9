"""The client: one identity, its local state, one HTTP session, and the repositories it reaches."""

from __future__ import annotations

import os
import random
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

import requests

from avp import crypto, federation
from avp.client import defences, signing
from avp.client.repository import UNCERTAIN, Repository, Snapshot
from avp.client.signing import UNSIGNED_POLICIES, UnsignedPolicy
from avp.client.store import Store
from avp.client.transport import Token, Transport, host_of, normalize_base_url
from avp.errors import AvpError, DuplicateRepo, InvalidAddress, KeyChanged, ProtocolError, TransportError
from avp.identity import Identity
from avp.models import AltAccount, MemberEntry, VaultManifest, apply_refresh_policy

#: The repository ids this client creates (spec §6: unreserved URI characters, at most 255).
REPO_ID = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._~-]{1,255}")
#: Hosts the user operates (comma-separated), for which key bindings are not required by default.
OPERATED_HOSTS_ENV = "AVP_OPERATED_HOSTS"


@dataclass(frozen=True)
class KeyBinding:
    """An issuer's signature over this identity's two public keys (spec §9), checked on receipt."""

    key_binding_sig: str
    issuer_jwks_url: str


class Client:
    """Everything one identity does against AVP servers.

    ``home`` is the local state directory (default ``$AVP_HOME`` or ``~/.local/share/avp``).

    ``require_binding``: ``True`` refuses to wrap a data key to a member without a verifying key
    binding on every host, ``False`` never requires one (a binding that is present is still
    checked), ``None`` (default) requires one on every host the user does not operate — any host
    that is not loopback and not listed in ``operated_hosts`` or ``$AVP_OPERATED_HOSTS``.

    ``sign_writes`` (default True) signs every write (signed-writes extension); ``unsigned_policy``
    is what an unsigned state or roster change gets in a repository seen signed: ``"refuse"``
    (default; ``downgrade_detected`` / ``roster_unauthenticated``) or ``"report"`` (accepted and
    reported through ``progress``), for repositories shared with clients that do not sign.

    ``progress`` receives one-line messages during long operations. ``sleep`` and ``rng`` drive the
    conflict backoff and ``Retry-After`` waits (tests replace them).
    """

    def __init__(
        self,
        identity: Identity,
        *,
        home: Optional[os.PathLike[str] | str] = None,
        require_binding: Optional[bool] = None,
        operated_hosts: Iterable[str] = (),
        session: Optional[requests.Session] = None,
        timeout: float = 30.0,
        max_retry_after: float = 10.0,
        max_attempts: int = 5,
        sign_writes: bool = True,
        unsigned_policy: UnsignedPolicy = "refuse",
        progress: Optional[Callable[[str], None]] = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.identity = identity
        self.store = Store(home)
        self.transport = Transport(
            identity.member_id,
            identity.sign,
            session=session,
            timeout=timeout,
            max_retry_after=max_retry_after,
            sleep=sleep,
            clock=clock,
        )
        self.issuers = defences.IssuerKeys(self.transport, self.store)
        self.require_binding = require_binding
        env_hosts = [h.strip() for h in os.environ.get(OPERATED_HOSTS_ENV, "").split(",") if h.strip()]
        self.operated_hosts = {h.lower() for h in [*operated_hosts, *env_hosts]}
        self.max_attempts = max_attempts
        if unsigned_policy not in UNSIGNED_POLICIES:
            raise ValueError(f"unsigned_policy must be one of {UNSIGNED_POLICIES}")
        self.sign_writes = sign_writes
        self.unsigned_policy: UnsignedPolicy = unsigned_policy
        self.progress = progress
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._discovery: dict[str, Optional[dict[str, Any]]] = {}

    def close(self) -> None:
        self.transport.close()
        self.store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- hosts and policy ---------------------------------------------------------------------------
    @staticmethod
    def host_of(server: str) -> str:
        return host_of(normalize_base_url(server))

    def server_for(self, host: str) -> str:
        """The base URL to dial for an ``avp://`` host: the one used before, else HTTPS (HTTP on loopback)."""
        known = self.store.base_url(host.lower())
        if known is not None:
            return known
        scheme = "http" if defences.is_loopback(host) else "https"
        return normalize_base_url(f"{scheme}://{host}")

    def binding_required(self, host: str) -> bool:
        if self.require_binding is not None:
            return self.require_binding
        return not (defences.is_loopback(host) or host.lower() in self.operated_hosts)

    def backoff(self, attempt: int) -> None:
        """Full-jitter exponential backoff between conflict retries (at most 2 s)."""
        self._sleep(min(2.0, 0.05 * 2 ** (attempt - 1)) * self._rng.random())

    def _register(self, server: str) -> str:
        base = normalize_base_url(server)
        self.store.remember_base_url(host_of(base), base)
        return base

    # --- server-level operations --------------------------------------------------------------------
    def authenticate(self, server: str) -> Token:
        """Challenge → token now (vault calls do this on demand; tokens are cached per server)."""
        return self.transport.authenticate(self._register(server))

    def discovery(self, server: str) -> Optional[dict[str, Any]]:
        """The server's ``/.well-known/avp`` document, or None when it publishes none.

        Discovery is optional (spec §8.2): any HTTP error or a body that is not a JSON object means
        "none" (the reference servers answer 401); only an unreachable server raises.
        """
        base = normalize_base_url(server)
        if base not in self._discovery:
            try:
                doc = self.transport.get_json(f"{base}/.well-known/avp")
            except TransportError:
                raise
            except AvpError:
                doc = None
            self._discovery[base] = doc if isinstance(doc, dict) else None
        return self._discovery[base]

    def issuer_jwks_url(self, server: str) -> Optional[str]:
        doc = self.discovery(server)
        url = doc.get("issuerJwksUrl") if doc else None
        return url if isinstance(url, str) else None

    def key_binding(self, server: str) -> KeyBinding:
        """Ask the server's issuer to bind this identity's X25519 key (``POST /v1/key-binding``).

        The answer is verified against the issuer key (pinned on first use) before it is returned.
        """
        base = self._register(server)
        answer = self.transport.call(
            base, "POST", "/v1/key-binding", {"x25519PublicKey": self.identity.x25519_public_key_b64}
        )
        if not isinstance(answer, dict):
            raise ProtocolError("the key-binding answer is not a JSON object")
        sig, jwks_url = answer.get("keyBindingSig"), answer.get("issuerJwksUrl")
        if not isinstance(sig, str) or not isinstance(jwks_url, str):
            raise ProtocolError("the key-binding answer lacks keyBindingSig or issuerJwksUrl")
        me = self.identity
        defences.check_binding(self.issuers, jwks_url, me.member_id, me.x25519_public_key_b64, sig, True)
        return KeyBinding(sig, jwks_url)

    def invite_token(self) -> str:
        """This identity's invite-request token (public keys only), for an inviter."""
        return self.identity.invite_token()

    # --- repositories -------------------------------------------------------------------------------
    def repository(self, address_or_server: str, repo_id: Optional[str] = None) -> Repository:
        """A handle on a repository: ``repository("avp://host/id")`` or ``repository(server_url, id)``."""
        if repo_id is None:
            address = federation.parse_address(address_or_server)
            return Repository(self, self.server_for(address.host), address.repo_id)
        return Repository(self, self._register(address_or_server), repo_id)

    def repositories(self) -> list[str]:
        """The ``avp://`` addresses this identity has local state for."""
        return self.store.addresses(self.identity.member_id)

    def join(self, locator_token: str, *, server: Optional[str] = None) -> Repository:
        """Join from a repo-locator token: connect to its host (or ``server``), pull, return the handle.

        The joiner must have been added by a member first (give them :meth:`invite_token`).
        """
        locator = federation.decode_locator(locator_token)
        base = self._register(server) if server is not None else self.server_for(locator.host)
        if host_of(base) != locator.host.lower():
            raise InvalidAddress("the server given is not the locator's host", detail=locator.host)
        repo = Repository(self, base, locator.repo_id)
        repo.remember_locator(locator.issuer_jwks_url, locator.key_epoch)
        repo.pull()
        return repo

    def create_repo(
        self,
        server: str,
        alts: Sequence[AltAccount] = (),
        *,
        repo_id: Optional[str] = None,
        share_refresh_tokens: Optional[bool] = None,
        key_binding_sig: Optional[str] = None,
        bind: bool = True,
    ) -> Repository:
        """Create a repository with this identity as its sole member (version 1, epoch 0).

        ``share_refresh_tokens`` None omits the field (policy off). ``key_binding_sig`` goes into the
        creator's member entry; without it and with ``bind``, a binding is requested from the server
        when its discovery document offers one.
        """
        base = self._register(server)
        repo_id = repo_id or str(uuid.uuid4())
        if not REPO_ID.fullmatch(repo_id):
            raise InvalidAddress("a repository id is 1-255 of A-Z a-z 0-9 - . _ ~ (and not . or ..)")
        repo = Repository(self, base, repo_id)
        if self.store.repo_state(self.identity.member_id, repo.address) is not None:
            raise DuplicateRepo("this client already knows a repository at that address", detail=repo.address)
        if key_binding_sig is None and bind and (self.discovery(base) or {}).get("keyBindingUrl"):
            try:
                key_binding_sig = self.key_binding(base).key_binding_sig
            except (TransportError, KeyChanged):
                raise
            except AvpError as err:  # asked for on our own initiative: report it, create anyway
                self.notify(
                    f"no key binding for this identity ({err.code}); members requiring one will refuse it"
                )
        me = self.identity
        data_key = crypto.generate_data_key()
        kept = apply_refresh_policy(alts, share_refresh_tokens)
        entry = MemberEntry(
            me.member_id,
            me.x25519_public_key_b64,
            crypto.wrap_key(data_key, me.x25519_public_key).to_dict(),
            0,
            key_binding_sig,
        )
        envelope, signed = repo.seal_write(data_key, 1, 0, alts, (entry,), share_refresh_tokens is True)
        mark = {signing.MANIFEST_MARK: signing.MANIFEST_MARK_VALUE} if signed is not None else {}
        manifest = VaultManifest(repo_id, crypto.SCHEME_ID, 0, 1, (entry,), share_refresh_tokens, mark)
        body = {"manifest": manifest.to_dict(), "initialEnvelope": envelope.to_dict()}
        try:
            answer = self._create_once(base, body)
        except UNCERTAIN:
            # Uncertain outcome: send the same request once more; a 409 then means our first one landed.
            try:
                answer = self._create_once(base, body)
            except DuplicateRepo:
                return self._confirm_created(repo, data_key)
        served = VaultManifest.from_dict(answer)
        if (served.repo_id, served.payload_version, served.key_epoch) != (repo_id, 1, 0):
            raise ProtocolError("the created repository's manifest does not match the request")
        if served.member_ids != [me.member_id]:
            raise ProtocolError("the created repository's roster is not this identity alone")
        repo.record_write(signed)
        repo.adopt(served, envelope, data_key, kept, self.issuer_jwks_url(base))
        return repo

    def _create_once(self, base: str, body: dict[str, Any]) -> Any:
        return self.transport.call(base, "POST", "/v1/repos", body)

    def _confirm_created(self, repo: Repository, data_key: bytes) -> Repository:
        self.notify("the first create may have landed; pulling to confirm")
        try:
            snapshot: Snapshot = repo.pull()
        except AvpError:
            raise DuplicateRepo("a repository with that id already exists", detail=repo.address) from None
        if repo.held_data_keys().get(snapshot.key_epoch) != data_key:
            raise DuplicateRepo("a repository with that id already exists", detail=repo.address)
        return repo

    def notify(self, message: str) -> None:
        """Pass a one-line progress message to ``progress`` (if set)."""
        if self.progress is not None:
            self.progress(message)
