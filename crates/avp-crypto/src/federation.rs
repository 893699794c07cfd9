//! Federation (SPEC §8): `avp://host/repoId` addresses and the two join-handshake tokens.
//!
//! Tokens are base64url (no padding) of JSON. Encoders write minified JSON with the members in
//! the spec's order; decoders accept any member order and whitespace, and ignore unknown members
//! (forward compatibility). `v` must be 1.

use serde_json::{Map, Value};

use crate::encoding::{b64decode_32, b64url_decode_strict, b64url_encode, check_counter};
use crate::error::{Error, Result};

/// Token format version this crate reads and writes.
const TOKEN_VERSION: u64 = 1;
const SCHEME: &str = "avp://";

/// Invite request (joiner → inviter): the joiner's two public keys, base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRequest {
    /// Ed25519 public key (member id), standard base64 of 32 bytes.
    pub ed25519_public_key: String,
    /// X25519 public key, standard base64 of 32 bytes.
    pub x25519_public_key: String,
}

/// Repository locator (inviter → joiner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLocator {
    /// Server authority: `host` or `host:port`.
    pub host: String,
    /// The opaque repository id.
    pub repo_id: String,
    /// Wrap scheme of the repository, when given.
    pub scheme_id: Option<String>,
    /// Current key epoch, when given.
    pub key_epoch: Option<u64>,
    /// Where the identity provider publishes its keys, when given.
    pub issuer_jwks_url: Option<String>,
}

/// A parsed `avp://host/repoId` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Authority: `host` or `host:port`.
    pub host: String,
    /// Everything after the first `/`.
    pub repo_id: String,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidEncoding(msg.into())
}

fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

fn decode_object(token: &str) -> Result<Map<String, Value>> {
    let raw = b64url_decode_strict(token)?;
    let value: Value =
        serde_json::from_slice(&raw).map_err(|e| bad(format!("token is not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad("token JSON must be an object"));
    };
    match map.get("v") {
        Some(v) if v.as_u64() == Some(TOKEN_VERSION) => Ok(map),
        Some(v) if v.is_u64() => Err(Error::UnsupportedScheme(format!(
            "unknown token version {v}"
        ))),
        _ => Err(bad("token member \"v\" must be the integer 1")),
    }
}

fn required_str<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(bad(format!(
            "token member {key:?} must be a non-empty string"
        ))),
        None => Err(bad(format!("token member {key:?} is missing"))),
    }
}

fn optional_str(map: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("token member {key:?} must be a string"))),
    }
}

/// Encode an invite request after checking both keys.
pub fn encode_invite(invite: &InviteRequest) -> Result<String> {
    b64decode_32("ed25519PublicKey", &invite.ed25519_public_key)?;
    b64decode_32("x25519PublicKey", &invite.x25519_public_key)?;
    let json = format!(
        "{{\"v\":1,\"ed25519PublicKey\":{},\"x25519PublicKey\":{}}}",
        json_str(&invite.ed25519_public_key),
        json_str(&invite.x25519_public_key)
    );
    Ok(b64url_encode(json.as_bytes()))
}

/// Decode an invite request token.
pub fn decode_invite(token: &str) -> Result<InviteRequest> {
    let map = decode_object(token)?;
    let invite = InviteRequest {
        ed25519_public_key: required_str(&map, "ed25519PublicKey")?.to_owned(),
        x25519_public_key: required_str(&map, "x25519PublicKey")?.to_owned(),
    };
    b64decode_32("ed25519PublicKey", &invite.ed25519_public_key)?;
    b64decode_32("x25519PublicKey", &invite.x25519_public_key)?;
    Ok(invite)
}

/// Encode a repository locator (optional members only when present).
pub fn encode_locator(locator: &RepoLocator) -> Result<String> {
    check_authority(&locator.host)?;
    check_repo_id(&locator.repo_id)?;
    let mut json = format!(
        "{{\"v\":1,\"host\":{},\"repoId\":{}",
        json_str(&locator.host),
        json_str(&locator.repo_id)
    );
    if let Some(s) = &locator.scheme_id {
        json.push_str(&format!(",\"schemeId\":{}", json_str(s)));
    }
    if let Some(e) = locator.key_epoch {
        json.push_str(&format!(
            ",\"keyEpoch\":{}",
            check_counter("keyEpoch", e.into())?
        ));
    }
    if let Some(u) = &locator.issuer_jwks_url {
        json.push_str(&format!(",\"issuerJwksUrl\":{}", json_str(u)));
    }
    json.push('}');
    Ok(b64url_encode(json.as_bytes()))
}

/// Decode a repository locator token.
pub fn decode_locator(token: &str) -> Result<RepoLocator> {
    let map = decode_object(token)?;
    let key_epoch = match map.get("keyEpoch") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(v), _) => Some(check_counter("keyEpoch", v.into())?),
            (None, Some(v)) => Some(check_counter("keyEpoch", v.into())?),
            _ => {
                return Err(Error::CounterOutOfRange(format!(
                    "keyEpoch must be an integer, got {n}"
                )))
            }
        },
        Some(_) => return Err(bad("token member \"keyEpoch\" must be a number")),
    };
    let locator = RepoLocator {
        host: required_str(&map, "host")?.to_owned(),
        repo_id: required_str(&map, "repoId")?.to_owned(),
        scheme_id: optional_str(&map, "schemeId")?,
        key_epoch,
        issuer_jwks_url: optional_str(&map, "issuerJwksUrl")?,
    };
    check_authority(&locator.host)?;
    check_repo_id(&locator.repo_id)?;
    Ok(locator)
}

/// A host or `host:port` authority: DNS-name/IPv4 characters or a bracketed IPv6 literal, and a
/// port in 1..=65535 when present. No userinfo, path, query or fragment.
fn check_authority(host: &str) -> Result<()> {
    let invalid = |why: &str| Error::InvalidAddress(format!("invalid host {host:?}: {why}"));
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid("unclosed IPv6 literal"))?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(invalid("bad IPv6 literal"));
        }
        match after {
            "" => (inside, None),
            _ => (
                inside,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("junk after IPv6 literal"))?,
                ),
            ),
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    if name.is_empty() {
        return Err(invalid("empty host"));
    }
    if !host.starts_with('[')
        && !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(invalid("only letters, digits, '-', '.', '_' are allowed"));
    }
    if let Some(p) = port {
        let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
        if !ok || !(1..=65535).contains(&p.parse::<u32>().unwrap_or(0)) {
            return Err(invalid("port must be 1..65535"));
        }
    }
    Ok(())
}

/// A repoId: non-empty, no whitespace or control characters, no URI query/fragment delimiters.
fn check_repo_id(repo_id: &str) -> Result<()> {
    if repo_id.is_empty() {
        return Err(Error::InvalidAddress("empty repoId".into()));
    }
    if repo_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(Error::InvalidAddress(format!(
            "repoId {repo_id:?} contains whitespace, a control character, '?' or '#'"
        )));
    }
    Ok(())
}

/// Parse `avp://<host[:port]>/<repoId>`; the repoId is everything after the first `/`.
pub fn parse_address(uri: &str) -> Result<Address> {
    let rest = uri
        .strip_prefix(SCHEME)
        .ok_or_else(|| Error::InvalidAddress(format!("{uri:?} does not start with {SCHEME}")))?;
    let (host, repo_id) = rest
        .split_once('/')
        .ok_or_else(|| Error::InvalidAddress(format!("{uri:?} has no /repoId")))?;
    check_authority(host)?;
    check_repo_id(repo_id)?;
    Ok(Address {
        host: host.to_owned(),
        repo_id: repo_id.to_owned(),
    })
}

/// Format an address after the same checks as [`parse_address`].
pub fn format_address(host: &str, repo_id: &str) -> Result<String> {
    check_authority(host)?;
    check_repo_id(repo_id)?;
    Ok(format!("{SCHEME}{host}/{repo_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_invite_round_trip() {
        let invite = InviteRequest {
            ed25519_public_key: "ERERERERERERERERERERERERERERERERERERERERERE=".into(),
            x25519_public_key: "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=".into(),
        };
        let token = encode_invite(&invite).unwrap();
        assert_eq!(token, "eyJ2IjoxLCJlZDI1NTE5UHVibGljS2V5IjoiRVJFUkVSRVJFUkVSRVJFUkVSRVJFUkVSRVJFUkVSRVJFUkVSRVJFUkVSRT0iLCJ4MjU1MTlQdWJsaWNLZXkiOiJJaUlpSWlJaUlpSWlJaUlpSWlJaUlpSWlJaUlpSWlJaUlpSWlJaUlpSWlJPSJ9");
        assert_eq!(decode_invite(&token).unwrap(), invite);
    }

    #[test]
    fn locator_any_order_and_whitespace() {
        let json = br#"{ "repoId": "r-1", "keyEpoch": 3, "host": "h.example:8443", "v": 1, "extra": true }"#;
        let loc = decode_locator(&b64url_encode(json)).unwrap();
        assert_eq!(loc.host, "h.example:8443");
        assert_eq!(loc.key_epoch, Some(3));
        assert_eq!(decode_locator(&encode_locator(&loc).unwrap()).unwrap(), loc);
        for bad in [
            &br#"{"v":2,"host":"h","repoId":"r"}"#[..],
            br#"{"v":1,"host":"h"}"#,
            br#"{"v":1,"host":"h","repoId":"r","keyEpoch":-1}"#,
            br#"{"v":1,"host":"h","repoId":"r","keyEpoch":1.5}"#,
            br#"[1]"#,
        ] {
            assert!(decode_locator(&b64url_encode(bad)).is_err());
        }
    }

    #[test]
    fn addresses() {
        let a = parse_address("avp://vault.example:8443/3b1f9c64-0b2a").unwrap();
        assert_eq!(
            (a.host.as_str(), a.repo_id.as_str()),
            ("vault.example:8443", "3b1f9c64-0b2a")
        );
        assert_eq!(
            format_address(&a.host, &a.repo_id).unwrap(),
            "avp://vault.example:8443/3b1f9c64-0b2a"
        );
        assert_eq!(parse_address("avp://[::1]:80/a/b").unwrap().repo_id, "a/b");
        for bad in [
            "http://h/r",
            "avp://h",
            "avp:///r",
            "avp://h/",
            "avp://h:0/r",
            "avp://u@h/r",
            "avp://h/r x",
        ] {
            assert!(
                matches!(parse_address(bad), Err(Error::InvalidAddress(_))),
                "{bad}"
            );
        }
    }
}
