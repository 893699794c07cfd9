# Hand-written stubs for the Rust extension (bindings/avp-py/src); checked by tests/crypto/test_stubs.py.
from typing import Any, Final, Iterable, Mapping, Optional, final

from typing_extensions import Buffer, Self

__all__ = [
    "SCHEME_ID",
    "Identity",
    "WrappedKey",
    "aad",
    "b64decode_strict",
    "b64encode",
    "b64url_decode_strict",
    "b64url_encode",
    "decode_invite",
    "decode_locator",
    "ed25519_generate",
    "ed25519_public_key",
    "ed25519_sign",
    "ed25519_verify",
    "encode_invite",
    "encode_locator",
    "format_address",
    "generate_data_key",
    "hazmat_aes256gcm_open",
    "hazmat_aes256gcm_seal",
    "hazmat_hkdf_expand",
    "hazmat_hkdf_extract",
    "hazmat_identity_slot_key",
    "hazmat_seal_identity",
    "hazmat_seal_payload",
    "hazmat_wrap_key",
    "hkdf_sha256",
    "is_low_order_x25519",
    "key_binding_message",
    "key_binding_sign",
    "key_binding_verify",
    "open_payload",
    "parse_address",
    "seal_payload",
    "signed_write_admitted",
    "signed_write_authorize",
    "signed_write_check_link",
    "signed_write_check_roster",
    "signed_write_roster_hash",
    "signed_write_sign",
    "signed_write_transcript",
    "signed_write_verify",
    "unwrap_key",
    "wrap_key",
    "wrap_key_many",
    "x25519",
    "x25519_generate",
    "x25519_public_key",
]

SCHEME_ID: Final[str]

def aad(repo_id: str, payload_version: int, key_epoch: int) -> bytes: ...
def seal_payload(
    key: Buffer, repo_id: str, payload_version: int, key_epoch: int, plaintext: Buffer
) -> tuple[bytes, bytes]: ...
def hazmat_seal_payload(
    key: Buffer, repo_id: str, payload_version: int, key_epoch: int, plaintext: Buffer, *, iv: Buffer
) -> tuple[bytes, bytes]: ...
def open_payload(
    key: Buffer, repo_id: str, payload_version: int, key_epoch: int, iv: Buffer, ciphertext: Buffer
) -> bytes: ...
def hazmat_aes256gcm_seal(key: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer) -> bytes: ...
def hazmat_aes256gcm_open(key: Buffer, iv: Buffer, aad: Buffer, ciphertext: Buffer) -> bytes: ...
def hkdf_sha256(ikm: Buffer, salt: Buffer, info: Buffer, length: int) -> bytes: ...
def hazmat_hkdf_extract(ikm: Buffer, salt: Buffer) -> bytes: ...
def hazmat_hkdf_expand(prk: Buffer, info: Buffer, length: int) -> bytes: ...
def x25519(private: Buffer, public: Buffer) -> bytes: ...
def x25519_public_key(private: Buffer) -> bytes: ...
def x25519_generate() -> tuple[bytes, bytes]: ...
def is_low_order_x25519(public: Buffer) -> bool: ...
def ed25519_public_key(seed: Buffer) -> bytes: ...
def ed25519_generate() -> tuple[bytes, bytes]: ...
def ed25519_sign(seed: Buffer, message: Buffer) -> bytes: ...
def ed25519_verify(public: Buffer, message: Buffer, signature: Buffer) -> bool: ...
def key_binding_message(ed25519_b64: str, x25519_b64: str) -> bytes: ...
def key_binding_sign(issuer_seed: Buffer, ed25519_b64: str, x25519_b64: str) -> bytes: ...
def key_binding_verify(
    issuer_public: Buffer, ed25519_b64: str, x25519_b64: str, signature: Buffer
) -> bool: ...
def generate_data_key() -> bytes: ...
def b64decode_strict(text: str, length: Optional[int] = None) -> bytes: ...
def b64encode(data: Buffer) -> str: ...
def b64url_decode_strict(text: str) -> bytes: ...
def b64url_encode(data: Buffer) -> str: ...

@final
class WrappedKey:
    def __new__(
        cls, scheme_id: str, ephemeral_public_key: Buffer, iv: Buffer, ciphertext: Buffer
    ) -> Self: ...
    @property
    def scheme_id(self) -> str: ...
    @property
    def ephemeral_public_key(self) -> bytes: ...
    @property
    def iv(self) -> bytes: ...
    @property
    def ciphertext(self) -> bytes: ...
    def to_dict(self) -> dict[str, str]: ...
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WrappedKey: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

def wrap_key(data_key: Buffer, recipient_x25519_public: Buffer) -> WrappedKey: ...
def hazmat_wrap_key(
    data_key: Buffer, recipient_x25519_public: Buffer, *, ephemeral_private: Buffer, iv: Buffer
) -> WrappedKey: ...
def wrap_key_many(data_key: Buffer, recipient_x25519_publics: Iterable[Buffer]) -> list[WrappedKey]: ...
def unwrap_key(wrapped: WrappedKey | Mapping[str, Any], recipient_x25519_private: Buffer) -> bytes: ...
def encode_invite(ed25519_public_key: str, x25519_public_key: str) -> str: ...
def decode_invite(token: str) -> tuple[str, str]: ...
def encode_locator(
    host: str,
    repo_id: str,
    scheme_id: Optional[str] = None,
    key_epoch: Optional[int] = None,
    issuer_jwks_url: Optional[str] = None,
) -> str: ...
def decode_locator(token: str) -> tuple[str, str, Optional[str], Optional[int], Optional[str]]: ...
def parse_address(uri: str) -> tuple[str, str]: ...

# (writer, roster_hash, prev, signature, content_hash, state_hash)
_State = tuple[bytes, bytes, bytes, bytes, bytes, bytes]

def signed_write_roster_hash(members: Iterable[tuple[Buffer, Buffer]]) -> bytes: ...
def signed_write_transcript(
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    content_hash: Buffer,
    roster_hash: Buffer,
    prev: Buffer,
    writer: Buffer,
) -> bytes: ...
def signed_write_sign(
    identity: Identity,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    body: Buffer,
    members: Iterable[tuple[Buffer, Buffer]],
    prev: Buffer,
) -> tuple[bytes, _State]: ...
def signed_write_verify(
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    plaintext: Buffer,
) -> Optional[tuple[_State, bytes]]: ...
def signed_write_authorize(
    writer: Buffer, previous: Optional[Iterable[Buffer]], members: Iterable[Buffer]
) -> None: ...
def signed_write_check_link(held_prev: Buffer, prev: Buffer) -> None: ...
def signed_write_admitted(
    repo_id: str, writer: Buffer, previous: Iterable[Buffer], admission: Any
) -> bool: ...
def signed_write_check_roster(roster_hash: Buffer, members: Iterable[tuple[Buffer, Buffer]]) -> None: ...
def format_address(host: str, repo_id: str) -> str: ...

@final
class Identity:
    @classmethod
    def generate(cls) -> Identity: ...
    @classmethod
    def from_seeds(cls, ed25519_seed: Buffer, x25519_private: Buffer) -> Identity: ...
    @classmethod
    def open(
        cls, sealed: str, passphrase: Optional[str] = None, *, recovery_code: Optional[str] = None
    ) -> Identity: ...
    @staticmethod
    def new_recovery_code() -> str: ...
    def seal(
        self,
        passphrase: str,
        *,
        recovery_code: Optional[str] = None,
        memory_kib: int = 65536,
        iterations: int = 3,
        parallelism: int = 1,
    ) -> str: ...
    @property
    def ed25519_public_key(self) -> bytes: ...
    @property
    def x25519_public_key(self) -> bytes: ...
    @property
    def member_id(self) -> str: ...
    @property
    def x25519_public_key_b64(self) -> str: ...
    def sign(self, message: Buffer) -> bytes: ...
    def verify(self, message: Buffer, signature: Buffer) -> bool: ...
    def unwrap_key(self, wrapped: WrappedKey | Mapping[str, Any]) -> bytes: ...
    def invite_token(self) -> str: ...
    def export_ed25519_seed(self) -> bytes: ...
    def export_x25519_private(self) -> bytes: ...

def hazmat_seal_identity(
    identity: Identity,
    passphrase: str,
    *,
    salt: Buffer,
    iv: Buffer,
    recovery_code: Optional[str] = None,
    recovery_salt: Optional[Buffer] = None,
    recovery_iv: Optional[Buffer] = None,
    memory_kib: int = 65536,
    iterations: int = 3,
    parallelism: int = 1,
) -> str: ...
def hazmat_identity_slot_key(
    salt: Buffer,
    passphrase: Optional[str] = None,
    *,
    recovery_code: Optional[str] = None,
    memory_kib: int = 65536,
    iterations: int = 3,
    parallelism: int = 1,
) -> bytes: ...

# --- the payload model and the envelope (src/envelope.rs) ---------------------------------------------
__all__ += [
    "ALT_TYPES",
    "LEGACY_BAN_SERVER",
    "AltAccount",
    "BanInfo",
    "hazmat_seal_envelope",
    "open_envelope",
    "parse_alts",
    "parse_payload",
    "payload_json",
    "seal_envelope",
    "seal_signed_envelope",
]

ALT_TYPES: Final[list[str]]
LEGACY_BAN_SERVER: Final[str]

@final
class BanInfo:
    def __new__(
        cls, banned: bool, observed_at: int, source: str, detail: str, observed_by: Optional[str] = None
    ) -> Self: ...
    @staticmethod
    def from_dict(obj: Any, where: str = "ban") -> BanInfo: ...
    @property
    def banned(self) -> bool: ...
    @property
    def observed_at(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def observed_by(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class AltAccount:
    def __new__(
        cls,
        uuid: str,
        username: str,
        access_token: str,
        type: str,
        last_used: int,
        refresh_token: Optional[str] = None,
        expires_at: Optional[int] = None,
        last_used_by: Optional[str] = None,
        bans: Optional[Mapping[str, BanInfo]] = None,
        source_client: Optional[str] = None,
        source_user: Optional[str] = None,
        extra: Optional[Mapping[str, Any]] = None,
    ) -> Self: ...
    @staticmethod
    def from_dict(obj: Any, where: str = "alt") -> AltAccount: ...
    @property
    def uuid(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def access_token(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def last_used(self) -> int: ...
    @property
    def refresh_token(self) -> Optional[str]: ...
    @property
    def expires_at(self) -> Optional[int]: ...
    @property
    def last_used_by(self) -> Optional[str]: ...
    @property
    def bans(self) -> Optional[dict[str, BanInfo]]: ...
    @property
    def source_client(self) -> Optional[str]: ...
    @property
    def source_user(self) -> Optional[str]: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def without_refresh_credentials(self) -> AltAccount: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

def parse_alts(data: Buffer | str, where: str = "alts") -> list[AltAccount]: ...
def parse_payload(plaintext: Buffer, share_refresh_tokens: bool = True) -> tuple[list[AltAccount], int]: ...
def payload_json(
    alts: Iterable[AltAccount], payload_version: int, share_refresh_tokens: bool = True
) -> bytes: ...
def seal_envelope(
    data_key: Buffer,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    alts: Iterable[AltAccount],
    share_refresh_tokens: bool,
) -> tuple[str, str]: ...
def seal_signed_envelope(
    data_key: Buffer,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    alts: Iterable[AltAccount],
    share_refresh_tokens: bool,
    identity: Identity,
    members: Iterable[tuple[Buffer, Buffer]],
    prev: Buffer,
    admission: Any = None,
) -> tuple[str, str, _State]: ...
def hazmat_seal_envelope(
    data_key: Buffer,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    alts: Iterable[AltAccount],
    share_refresh_tokens: bool,
    *,
    iv: Buffer,
) -> tuple[str, str]: ...
def open_envelope(
    data_key: Buffer,
    repo_id: str,
    payload_version: int,
    key_epoch: int,
    iv: str,
    ciphertext: str,
    share_refresh_tokens: bool,
) -> tuple[list[AltAccount], int, Optional[tuple[_State, Any]]]: ...
