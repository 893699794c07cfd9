"""identity.json: sealed identities (the ``avp-identity`` v1 format of ``avp.Identity.seal``).

The vectors use CHEAP Argon2id parameters (64-128 KiB, 1-2 passes) so every verifier runs them in
milliseconds; real seals use the defaults (64 MiB, 3 passes). Everything comes from the Rust core:
blobs from the deterministic seal (``avp.crypto.hazmat.seal_identity``, fixed salts and IVs), the
stated slot keys from ``hazmat.identity_slot_key``, and the one blob the seal cannot make
(secrets sealed under another identity's public keys) from that slot key and the raw AES-GCM. Every
case is then opened by the Rust core (``avp.Identity.open``) at generation time, which must agree on
the verdict and keys.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any, Optional

from avp import Identity
from avp.vectors import core
from avp.vectors.fixed_identities import Actor, actor
from avp.vectors.seeds import derive

RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: The passphrase of every case but the Unicode one.
PASSPHRASE = "correct horse battery staple"  # noqa: S105 (a test vector, not a secret)


#: Argon2id (memoryKib, iterations, parallelism).
Params = tuple[int, int, int]


def _nonces(label: str, kind: str) -> tuple[bytes, bytes]:
    """The fixed salt and IV of one slot."""
    return derive(f"identity/{label}/{kind}/salt", 16), derive(f"identity/{label}/{kind}/iv", 12)


def _key(kind: str, secret: str, params: Params, label: str) -> bytes:
    """The slot key ``secret`` derives under the salt of ``label``'s ``kind`` slot (Rust core)."""
    salt, _ = _nonces(label, kind)
    return core.identity_slot_key(kind, secret, salt, params)


def _sealed(
    who: Actor, passphrase: str, params: Params, label: str, recovery_code: Optional[str] = None
) -> dict[str, Any]:
    """A blob from the Rust core's deterministic seal: a passphrase slot and optionally a
    recovery-code slot, each with the fixed salt and IV of ``label``."""
    salt, iv = _nonces(label, "passphrase")
    recovery: Optional[tuple[str, bytes, bytes]] = None
    if recovery_code is not None:
        recovery = (recovery_code, *_nonces(label, "recoveryCode"))
    text = core.seal_identity(who.ed25519_seed, who.x25519_private, passphrase, salt, iv, recovery, params)
    sealed: dict[str, Any] = json.loads(text)
    return sealed


def _sealed_under(who: Actor, stated: Actor, passphrase: str, params: Params, label: str) -> dict[str, Any]:
    """An attack the seal cannot express: ``who``'s secrets under ``stated``'s public keys (the
    AAD and header name ``stated``). The slot key and AES-GCM still come from the Rust core."""
    memory, iterations, parallelism = params
    salt, iv = _nonces(label, "passphrase")
    key = _key("passphrase", passphrase, params, label)
    aad = f"avp-identity/v1\x1fpassphrase\x1f{stated.member_id}\x1f{stated.x25519_b64}".encode()
    ciphertext = core.aes_gcm_seal(key, iv, aad, who.ed25519_seed + who.x25519_private)
    slot = {
        "kind": "passphrase",
        "kdf": {
            "name": "argon2id",
            "version": 19,
            "memoryKib": memory,
            "iterations": iterations,
            "parallelism": parallelism,
            "salt": core.b64(salt),
        },
        "cipher": "AES-256-GCM",
        "iv": core.b64(iv),
        "ciphertext": core.b64(ciphertext),
    }
    return {
        "format": "avp-identity",
        "version": 1,
        "ed25519PublicKey": stated.member_id,
        "x25519PublicKey": stated.x25519_b64,
        "slots": [slot],
    }


def _case(
    name: str,
    note: str,
    sealed: dict[str, Any],
    *,
    kind: str = "passphrase",
    secret: str = PASSPHRASE,
    slot: Optional[tuple[str, Params]] = None,
    owner: Optional[Actor] = None,
    expected_error: Optional[str] = None,
) -> dict[str, Any]:
    """A case opened with ``secret`` in the ``kind`` slot, after asserting the Rust core opens it as
    ``owner`` (accept) or refuses it with ``expected_error`` (reject). With ``slot`` = (label,
    params) the case states ``derivedKeyHex``: the key ``secret`` derives under that slot's salt."""
    assert (owner is None) != (expected_error is None), name
    text = json.dumps(sealed)
    unlock = {"passphrase": secret} if kind == "passphrase" else {"recovery_code": secret}
    opened: list[Identity] = []
    code = core.error_code(lambda: opened.append(Identity.open(text, **unlock)))
    assert code == expected_error, f"{name}: the Rust core gives {code}, expected {expected_error}"
    case: dict[str, Any] = {
        "name": name,
        "note": note,
        "sealed": sealed,
        "unlockWith": kind,
        "secret": secret,
    }
    if slot is not None:
        label, params = slot
        case["derivedKeyHex"] = _key(kind, secret, params, label).hex()
    if owner is not None:
        assert opened[0].member_id == owner.member_id
        case |= {
            "verdict": "accept",
            "ed25519PublicKey": owner.member_id,
            "x25519PublicKey": owner.x25519_b64,
        }
    else:
        case |= {"verdict": "reject", "expectedError": expected_error}
    return case


def identity_cases() -> list[dict[str, Any]]:
    alice, bob = actor("alice"), actor("bob")
    cheap, two_lanes = (64, 2, 1), (128, 1, 2)
    nfc = "Cr\u00e8me br\u00fbl\u00e9e \u00fcn\u00efcode \U0001f510"
    nfd = unicodedata.normalize("NFD", nfc)
    code = "".join(RECOVERY_ALPHABET[b % 32] for b in derive("identity/recovery-code", 32))
    typed = " ".join("-".join(code[i : i + 4] for i in range(j, j + 16, 4)) for j in (0, 16)).lower()
    wrong_code = RECOVERY_ALPHABET[(RECOVERY_ALPHABET.index(code[0]) + 1) % 32] + code[1:]

    single = _sealed(alice, PASSPHRASE, cheap, "alice")
    both = _sealed(alice, PASSPHRASE, cheap, "alice", recovery_code=code)
    assert both["slots"][0] == single["slots"][0]
    alice_slot = ("alice", cheap)

    def changed(blob: dict[str, Any], edit: Any) -> dict[str, Any]:
        out = copy.deepcopy(blob)
        edit(out)
        return out

    flipped = changed(
        single, lambda b: b["slots"][0].update(ciphertext=_flip_b64(b["slots"][0]["ciphertext"]))
    )
    return [
        _case("accept/passphrase", "one passphrase slot", single, slot=alice_slot, owner=alice),
        _case(
            "accept/two-slots-passphrase",
            "passphrase and recovery-code slots",
            both,
            slot=alice_slot,
            owner=alice,
        ),
        _case(
            "accept/recovery-code-as-typed",
            "the recovery code typed in lower case with '-' and ' ' separators",
            both,
            kind="recoveryCode",
            secret=typed,
            slot=alice_slot,
            owner=alice,
        ),
        _case(
            "accept/passphrase-nfd-input",
            "sealed from the NFC spelling, opened with the NFD one (2 lanes)",
            _sealed(bob, nfc, two_lanes, "bob"),
            secret=nfd,
            slot=("bob", two_lanes),
            owner=bob,
        ),
        _case(
            "reject/wrong-passphrase",
            "the passphrase in upper case",
            single,
            secret=PASSPHRASE.upper(),
            slot=alice_slot,
            expected_error="invalid_passphrase",
        ),
        _case(
            "reject/wrong-recovery-code",
            "one character of the code changed",
            both,
            kind="recoveryCode",
            secret=wrong_code,
            slot=alice_slot,
            expected_error="invalid_passphrase",
        ),
        _case(
            "reject/no-recovery-slot",
            "a recovery code for a blob without a recovery slot",
            single,
            kind="recoveryCode",
            secret=code,
            expected_error="invalid_passphrase",
        ),
        _case(
            "reject/tampered-ciphertext",
            "one bit of the slot ciphertext flipped",
            flipped,
            slot=alice_slot,
            expected_error="invalid_passphrase",
        ),
        _case(
            "reject/substituted-public-key",
            "the stated Ed25519 key replaced by bob's (it is in the AAD)",
            changed(single, lambda b: b.update(ed25519PublicKey=bob.member_id)),
            slot=alice_slot,
            expected_error="invalid_passphrase",
        ),
        _case(
            "reject/keys-do-not-match",
            "alice's secrets sealed under bob's stated public keys",
            _sealed_under(alice, bob, PASSPHRASE, cheap, "liar"),
            slot=("liar", cheap),
            expected_error="invalid_encoding",
        ),
        _case(
            "reject/unknown-version",
            "format version 2",
            changed(single, lambda b: b.update(version=2)),
            expected_error="unsupported_scheme",
        ),
        _case(
            "reject/unknown-kdf",
            "kdf name scrypt",
            changed(single, lambda b: b["slots"][0]["kdf"].update(name="scrypt")),
            expected_error="unsupported_scheme",
        ),
        _case(
            "reject/memory-over-limit",
            "memoryKib above 1 GiB: refused before any work",
            changed(single, lambda b: b["slots"][0]["kdf"].update(memoryKib=2**20 + 1)),
            expected_error="invalid_encoding",
        ),
        _case(
            "reject/empty-passphrase", "the empty passphrase", single, secret="", expected_error="invalid_key"
        ),
        _case(
            "reject/recovery-code-31-chars",
            "a recovery code one character short",
            both,
            kind="recoveryCode",
            secret=code[:31],
            expected_error="invalid_encoding",
        ),
    ]


def _flip_b64(text: str) -> str:
    data = bytearray(core.b64decode_strict(text))
    data[0] ^= 1
    return core.b64(bytes(data))
