"""identity.json: sealed identities (the ``avp-identity`` v1 format of ``avp.Identity.seal``).

The vectors use CHEAP Argon2id parameters (64-128 KiB, 1-2 passes) so every verifier runs them in
milliseconds; real seals use the defaults (64 MiB, 3 passes). The binding has no deterministic seal
(salt and IV are always random), so the slot key is derived here with pyca ``cryptography``'s
Argon2id (a dev dependency) and sealed with the binding's raw AES-GCM; every case is then opened by
the Rust core (``avp.Identity.open``) at generation time, which must agree on the verdict and keys.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any, Optional

from avp import Identity
from avp.vectors import core
from avp.vectors.actors import Actor, actor
from avp.vectors.seeds import derive

RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: What a recovery code may contain besides its characters: '-' and ASCII whitespace.
ASCII_SEPARATORS = "- \t\n\r\x0c"


def _argon2id(secret: bytes, salt: bytes, memory_kib: int, iterations: int, parallelism: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(salt=salt, length=32, iterations=iterations, lanes=parallelism, memory_cost=memory_kib)
    return kdf.derive(secret)


def normalized_secret(kind: str, text: str) -> bytes:
    """The bytes the KDF sees: a passphrase in NFC; a recovery code without '-' and whitespace,
    upper-cased (it stays text: the 32 base32 characters, not the decoded bits)."""
    if kind == "passphrase":
        return unicodedata.normalize("NFC", text).encode()
    return "".join(ch for ch in text if ch not in ASCII_SEPARATORS).upper().encode()


def _slot(
    who: Actor,
    kind: str,
    secret: str,
    params: tuple[int, int, int],
    label: str,
    stated: Optional[Actor] = None,
) -> tuple[dict[str, Any], bytes]:
    """One slot and its key; ``stated`` seals under another identity's public keys (an attack)."""
    memory, iterations, parallelism = params
    salt, iv = derive(f"identity/{label}/{kind}/salt", 16), derive(f"identity/{label}/{kind}/iv", 12)
    key = _argon2id(normalized_secret(kind, secret), salt, memory, iterations, parallelism)
    shown = stated or who
    aad = f"avp-identity/v1\x1f{kind}\x1f{shown.member_id}\x1f{shown.x25519_b64}".encode()
    ciphertext = core.aes_gcm_seal(key, iv, aad, who.ed25519_seed + who.x25519_private)
    kdf = {
        "name": "argon2id",
        "version": 19,
        "memoryKib": memory,
        "iterations": iterations,
        "parallelism": parallelism,
        "salt": core.b64(salt),
    }
    return {
        "kind": kind,
        "kdf": kdf,
        "cipher": "AES-256-GCM",
        "iv": core.b64(iv),
        "ciphertext": core.b64(ciphertext),
    }, key


def _blob(who: Actor, slots: list[dict[str, Any]], stated: Optional[Actor] = None) -> dict[str, Any]:
    shown = stated or who
    return {
        "format": "avp-identity",
        "version": 1,
        "ed25519PublicKey": shown.member_id,
        "x25519PublicKey": shown.x25519_b64,
        "slots": slots,
    }


def _case(
    name: str,
    note: str,
    sealed: dict[str, Any],
    kind: str,
    secret: str,
    key: Optional[bytes],
    owner: Optional[Actor],
    expected_error: Optional[str],
) -> dict[str, Any]:
    """A case, after asserting the Rust core opens (or refuses) it as stated."""
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
    if key is not None:
        case["derivedKeyHex"] = key.hex()
    if expected_error is None:
        assert owner is not None and opened[0].member_id == owner.member_id
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
    passphrase = "correct horse battery staple"  # noqa: S105 (a test vector, not a secret)
    nfc = "Cr\u00e8me br\u00fbl\u00e9e \u00fcn\u00efcode \U0001f510"
    nfd = unicodedata.normalize("NFD", nfc)
    code = "".join(RECOVERY_ALPHABET[b % 32] for b in derive("identity/recovery-code", 32))
    typed = " ".join("-".join(code[i : i + 4] for i in range(j, j + 16, 4)) for j in (0, 16)).lower()

    p_slot, p_key = _slot(alice, "passphrase", passphrase, cheap, "alice")
    r_slot, r_key = _slot(alice, "recoveryCode", code, cheap, "alice")
    single, both = _blob(alice, [p_slot]), _blob(alice, [p_slot, r_slot])
    u_slot, u_key = _slot(bob, "passphrase", nfc, two_lanes, "bob")
    unicode_blob = _blob(bob, [u_slot])
    wrong_key = _argon2id(passphrase.upper().encode(), derive("identity/alice/passphrase/salt", 16), *cheap)
    wrong_code = RECOVERY_ALPHABET[(RECOVERY_ALPHABET.index(code[0]) + 1) % 32] + code[1:]
    wrong_code_key = _argon2id(wrong_code.encode(), derive("identity/alice/recoveryCode/salt", 16), *cheap)

    def changed(blob: dict[str, Any], edit: Any) -> dict[str, Any]:
        out = copy.deepcopy(blob)
        edit(out)
        return out

    flipped = changed(
        single, lambda b: b["slots"][0].update(ciphertext=_flip_b64(b["slots"][0]["ciphertext"]))
    )
    liar_slot, liar_key = _slot(alice, "passphrase", passphrase, cheap, "liar", stated=bob)
    return [
        _case(
            "accept/passphrase", "one passphrase slot", single, "passphrase", passphrase, p_key, alice, None
        ),
        _case(
            "accept/two-slots-passphrase",
            "passphrase and recovery-code slots",
            both,
            "passphrase",
            passphrase,
            p_key,
            alice,
            None,
        ),
        _case(
            "accept/recovery-code-as-typed",
            "the recovery code typed in lower case with '-' and ' ' separators",
            both,
            "recoveryCode",
            typed,
            r_key,
            alice,
            None,
        ),
        _case(
            "accept/passphrase-nfd-input",
            "sealed from the NFC spelling, opened with the NFD one (2 lanes)",
            unicode_blob,
            "passphrase",
            nfd,
            u_key,
            bob,
            None,
        ),
        _case(
            "reject/wrong-passphrase",
            "the passphrase in upper case",
            single,
            "passphrase",
            passphrase.upper(),
            wrong_key,
            None,
            "invalid_passphrase",
        ),
        _case(
            "reject/wrong-recovery-code",
            "one character of the code changed",
            both,
            "recoveryCode",
            wrong_code,
            wrong_code_key,
            None,
            "invalid_passphrase",
        ),
        _case(
            "reject/no-recovery-slot",
            "a recovery code for a blob without a recovery slot",
            single,
            "recoveryCode",
            code,
            None,
            None,
            "invalid_passphrase",
        ),
        _case(
            "reject/tampered-ciphertext",
            "one bit of the slot ciphertext flipped",
            flipped,
            "passphrase",
            passphrase,
            p_key,
            None,
            "invalid_passphrase",
        ),
        _case(
            "reject/substituted-public-key",
            "the stated Ed25519 key replaced by bob's (it is in the AAD)",
            changed(single, lambda b: b.update(ed25519PublicKey=bob.member_id)),
            "passphrase",
            passphrase,
            p_key,
            None,
            "invalid_passphrase",
        ),
        _case(
            "reject/keys-do-not-match",
            "alice's secrets sealed under bob's stated public keys",
            _blob(alice, [liar_slot], stated=bob),
            "passphrase",
            passphrase,
            liar_key,
            None,
            "invalid_encoding",
        ),
        _case(
            "reject/unknown-version",
            "format version 2",
            changed(single, lambda b: b.update(version=2)),
            "passphrase",
            passphrase,
            None,
            None,
            "unsupported_scheme",
        ),
        _case(
            "reject/unknown-kdf",
            "kdf name scrypt",
            changed(single, lambda b: b["slots"][0]["kdf"].update(name="scrypt")),
            "passphrase",
            passphrase,
            None,
            None,
            "unsupported_scheme",
        ),
        _case(
            "reject/memory-over-limit",
            "memoryKib above 1 GiB: refused before any work",
            changed(single, lambda b: b["slots"][0]["kdf"].update(memoryKib=2**20 + 1)),
            "passphrase",
            passphrase,
            None,
            None,
            "invalid_encoding",
        ),
        _case(
            "reject/empty-passphrase",
            "the empty passphrase",
            single,
            "passphrase",
            "",
            None,
            None,
            "invalid_key",
        ),
        _case(
            "reject/recovery-code-31-chars",
            "a recovery code one character short",
            both,
            "recoveryCode",
            code[:31],
            None,
            None,
            "invalid_encoding",
        ),
    ]


def _flip_b64(text: str) -> str:
    data = bytearray(core.b64decode_strict(text))
    data[0] ^= 1
    return core.b64(bytes(data))
