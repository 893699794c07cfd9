"""Transport behaviour against the real server behind the proxy: tokens, errors, 429, uncertain outcomes."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from avp import Identity
from avp.client.transport import Transport, error_from_response
from avp.errors import (
    AvpError,
    BindingInvalid,
    Forbidden,
    NotFound,
    ProtocolError,
    QuotaExceeded,
    ServerError,
    TransportError,
    Unauthorized,
    VersionConflict,
)

from .conftest import ClientFactory, Sleeps, alice_adds_bob, alt
from .hostile import DROP, HostileProxy, Reply, Request


def once(route: str, reply: Any) -> Any:
    """A ``before`` hook that answers ``reply`` to the first request on ``route`` only."""
    fired: list[bool] = []

    def hook(request: Request) -> Optional[Any]:
        if request.route == route and not fired:
            fired.append(True)
            return reply
        return None

    return hook


def bearer(request: Request) -> Optional[str]:
    return request.headers.get("Authorization")


def test_tokens_are_cached_per_server_and_never_cross(
    make_client: ClientFactory, server_url: str, proxy: HostileProxy
) -> None:
    alice = make_client("alice")
    direct = alice.authenticate(server_url)
    repo = alice.create_repo(proxy.url, [alt(1)])  # a different origin: its own challenge/token
    assert "token" in proxy.routes()
    via_proxy = alice.transport.cached_token(proxy.url)
    assert via_proxy is not None and via_proxy.token != direct.token
    presented = {bearer(r) for r in proxy.seen if r.route in ("create", "pull", "key-binding")}
    assert presented == {f"Bearer {via_proxy.token}"}
    proxy.seen.clear()
    repo.pull()
    assert [r.route for r in proxy.seen] == ["pull"]  # the cached token is reused: no new challenge


def test_expired_token_is_renewed_before_the_request(make_client: ClientFactory, proxy: HostileProxy) -> None:
    now = [1_000.0]
    alice = make_client("alice", clock=lambda: now[0])
    repo = alice.create_repo(proxy.url, [alt(1)])
    token = alice.transport.cached_token(proxy.url)
    assert token is not None
    now[0] = token.expires_at / 1000  # at expiry (inside the safety margin)
    proxy.seen.clear()
    repo.pull()
    assert proxy.routes() == ["challenge", "token", "pull"]


def test_a_refused_cached_token_is_renewed_once(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.seen.clear()
    proxy.before.append(once("pull", Reply.of(401, {"error": "expired", "code": "unauthorized"})))
    repo.pull()
    assert proxy.routes() == ["pull", "challenge", "token", "pull"]


def test_a_401_that_persists_is_terminal(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.seen.clear()
    proxy.before.append(
        lambda r: Reply.of(401, {"error": "no", "code": "unauthorized"}) if r.route == "pull" else None
    )
    with pytest.raises(Unauthorized) as info:
        repo.pull()
    assert info.value.status == 401
    assert proxy.routes() == ["pull", "challenge", "token", "pull"]


def test_short_retry_after_is_honoured(make_client: ClientFactory, proxy: HostileProxy) -> None:
    sleeps = Sleeps()
    alice = make_client("alice", sleep=sleeps)
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.seen.clear()
    busy = Reply.of(429, {"error": "busy", "code": "quota_exceeded"}, {"Retry-After": "2"})
    proxy.before.append(once("push", busy))
    assert repo.update(lambda alts: [*alts, alt(2)]).payload_version == 2
    assert sleeps == [2.0]
    assert proxy.routes() == ["pull", "push", "push"]


def test_long_retry_after_is_surfaced_not_waited(make_client: ClientFactory, proxy: HostileProxy) -> None:
    sleeps = Sleeps()
    alice = make_client("alice", sleep=sleeps)
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.seen.clear()
    quota = Reply.of(429, {"error": "quota", "code": "quota_exceeded"}, {"Retry-After": "60"})
    proxy.before.append(lambda r: quota if r.route == "push" else None)
    with pytest.raises(QuotaExceeded) as info:
        repo.push([alt(2)])
    assert info.value.retry_after == 60 and sleeps == []
    assert proxy.routes().count("push") == 1


def test_terminal_errors_are_not_retried(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, mallory = make_client("alice"), make_client("mallory")
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.seen.clear()
    with pytest.raises(Forbidden) as info:
        mallory.repository(repo.address).pull()
    assert info.value.status == 403
    assert proxy.routes() == ["challenge", "token", "pull"]


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (409, b'{"error": "stale", "code": "version_conflict"}', VersionConflict, "version_conflict"),
        (404, b'{"error": "gone"}', NotFound, "not_found"),  # a reference server sends no code
        (403, b"not json", Forbidden, "forbidden"),
        (502, b"<html>", ServerError, "server_error"),
        (418, b"{}", AvpError, "protocol_error"),
        (400, b'{"error": "x", "code": "brand_new_code"}', AvpError, "brand_new_code"),
    ],
)
def test_error_mapping(status: int, body: bytes, expected: type[AvpError], code: str) -> None:
    err = error_from_response(status, body)
    assert type(err) is expected or (expected is AvpError and err.code == code)
    assert (err.code, err.status) == (code, status)


def test_unreachable_server_is_a_transport_error(make_client: ClientFactory) -> None:
    from .conftest import free_port

    alice = make_client("alice", timeout=2.0)
    with pytest.raises(TransportError):
        alice.authenticate(f"http://127.0.0.1:{free_port()}")


# --- uncertain outcomes -----------------------------------------------------------------------------


def test_removal_whose_answer_is_lost_is_confirmed_by_pulling(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob, repo = alice_adds_bob(make_client, proxy.url)
    proxy.after.append(lambda r, reply: DROP if r.route == "remove-member" else None)
    result = repo.remove_member(bob.identity.member_id)
    assert (result.key_epoch, result.members) == (1, (alice.identity.member_id,))
    assert proxy.routes()[-2:] == ["remove-member", "pull"]


def test_removal_that_never_landed_raises_the_transport_error(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    _alice, bob, repo = alice_adds_bob(make_client, proxy.url)
    proxy.before.append(lambda r: DROP if r.route == "remove-member" else None)
    with pytest.raises(TransportError):
        repo.remove_member(bob.identity.member_id)
    proxy.clear()
    assert repo.pull().key_epoch == 0  # nothing changed, and the client still reads the repository


def test_stale_removal_is_recomputed(make_client: ClientFactory, proxy: HostileProxy) -> None:
    _alice, bob, repo = alice_adds_bob(make_client, proxy.url)
    stale = Reply.of(409, {"error": "stale", "code": "version_conflict"})
    proxy.before.append(once("remove-member", stale))
    result = repo.remove_member(bob.identity.member_id)
    assert result.key_epoch == 1
    assert proxy.routes().count("remove-member") == 2


def test_create_whose_answer_is_lost_is_retried_and_confirmed(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice = make_client("alice")
    dropped: list[bool] = []

    def drop_first(request: Request, reply: Reply) -> Any:
        if request.route == "create" and not dropped:
            dropped.append(True)
            return DROP
        return None

    proxy.after.append(drop_first)
    repo = alice.create_repo(proxy.url, [alt(1)])
    assert proxy.routes().count("create") == 2  # the retry got 409: our first create had landed
    assert repo.pull().alts[0].uuid == "uuid-1"


def test_server_text_is_made_safe_to_print() -> None:
    err = error_from_response(
        400, b'{"error": "bad \\u001b[31mred\\u001b[0m", "detail": "x\\ny", "code": "a b"}'
    )
    assert "\x1b" not in str(err) and err.detail == "x?y"
    assert err.code == "bad_request"  # a code that is not an identifier is ignored: the status decides
    long = error_from_response(404, ('{"error": "' + "z" * 5000 + '"}').encode())
    assert len(str(long)) <= 300


def test_oversized_answers_are_refused(proxy: HostileProxy) -> None:
    identity = Identity.generate()
    transport = Transport(identity.member_id, identity.sign, max_response_bytes=1024)
    try:
        proxy.before.append(lambda r: Reply.of(200, {"nonce": "A" * 4096}))
        with pytest.raises(ProtocolError):
            transport.authenticate(proxy.url)
    finally:
        transport.close()


def test_add_member_racing_a_rotation_wraps_the_new_key(
    make_client: ClientFactory, server_url: str, proxy: HostileProxy
) -> None:
    # addMember itself (a signing client adds by a push, which a rotation turns into a conflict)
    alice, bob, carol, dave = (make_client(n, sign_writes=False) for n in ("alice", "bob", "carol", "dave"))
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    repo.add_member(dave.invite_token())
    bob_direct = bob.repository(server_url, repo.repo_id)  # Bob talks to the server, not the proxy
    fired: list[bool] = []

    def rotate_first(request: Request) -> None:
        if request.route == "add-member" and not fired:
            fired.append(True)
            bob_direct.remove_member(dave.identity.member_id)  # lands between Alice's pull and add

    proxy.before.append(rotate_first)
    proxy.seen.clear()
    members = repo.add_member(carol.invite_token())
    assert carol.identity.member_id in members and dave.identity.member_id not in members
    assert proxy.routes().count("add-member") == 2  # the stale wrap was refused (400), then redone
    carol_repo = carol.join(repo.locator_token())
    assert carol_repo.snapshot is not None and carol_repo.snapshot.key_epoch == 1


def test_a_server_without_discovery_is_usable(make_client: ClientFactory, proxy: HostileProxy) -> None:
    """The reference servers answer 401 on discovery: no binding, no issuer, everything else works."""
    proxy.before.append(lambda r: Reply.of(401, {"error": "no"}) if r.route == "discovery" else None)
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    assert "key-binding" not in proxy.routes()
    repo.add_member(bob.invite_token())
    assert bob.join(repo.locator_token()).snapshot is not None


def test_a_failing_binding_endpoint_does_not_block_create(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    messages: list[str] = []
    proxy.before.append(lambda r: Reply.of(500, {"error": "down"}) if r.route == "key-binding" else None)
    alice = make_client("alice", progress=messages.append)
    repo = alice.create_repo(proxy.url, [alt(1)])
    assert repo.snapshot is not None and repo.snapshot.manifest.members[0].key_binding_sig is None
    assert any("server_error" in m for m in messages)


def test_an_unreachable_issuer_key_fails_a_required_binding(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob = make_client("alice", require_binding=True), make_client("bob")
    sig = bob.key_binding(proxy.url).key_binding_sig
    repo = alice.create_repo(proxy.url, [alt(1)], bind=False)
    proxy.before.append(
        lambda r: Reply.of(404, {"error": "gone", "code": "not_found"}) if r.route == "jwks" else None
    )
    with pytest.raises(BindingInvalid):
        repo.add_member(bob.invite_token(), sig)
    optional = make_client("carol")  # not required: a binding that cannot be checked is not held against bob
    other = optional.create_repo(proxy.url, [alt(1)], bind=False)
    assert bob.identity.member_id in other.add_member(bob.invite_token(), sig)
