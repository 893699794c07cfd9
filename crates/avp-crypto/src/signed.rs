//! The signed-writes extension (`docs/extensions/signed-writes.md`): every write's payload
//! plaintext carries the writer's Ed25519 signature over a length-prefixed transcript, and each
//! signed state names the hash of the one before it, so a server can neither forge contents nor
//! slip a member into the roster, and a forked history leaves evidence.
//!
//! The record travels *inside* the encrypted payload, as its first JSON member, because no other
//! field of a push, add or remove survives every AVP 0.4 server (requests are closed objects and
//! a manifest's unknown fields are only written at createRepo).

use sha2::{Digest, Sha256};

use crate::ed25519;
use crate::encoding::{b64decode_strict, b64encode, check_counter};
use crate::error::{Error, Result};
use crate::secret::Secret32;
use crate::strict_json::Json;

/// Domain-separation label of the write transcript.
pub const TRANSCRIPT_LABEL: &[u8] = b"avp/signed-write/v1";
/// Domain-separation label of the roster hash.
pub const ROSTER_LABEL: &[u8] = b"avp/signed-write/roster/v1";
/// `prev` of the first signed state of a chain.
pub const GENESIS: [u8; 32] = [0; 32];

const OPEN: &[u8] = b"{\"signedWrite\":{\"v\":1,\"writer\":\"";
const AFTER_WRITER: &[u8] = b"\",\"roster\":\"";
const AFTER_ROSTER: &[u8] = b"\",\"prev\":\"";
const AFTER_PREV: &[u8] = b"\",\"signature\":\"";
const CLOSE: &[u8] = b"\"},";
/// Length of the record prefix: fixed, because every value in it has a fixed length.
pub const PREFIX_LEN: usize = OPEN.len()
    + 44
    + AFTER_WRITER.len()
    + 44
    + AFTER_ROSTER.len()
    + 44
    + AFTER_PREV.len()
    + 88
    + CLOSE.len();

/// One member of a roster: raw Ed25519 key (the member id) and raw X25519 key.
pub type RosterEntry = ([u8; 32], [u8; 32]);

/// The signature record carried at the start of a signed payload plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The writer's Ed25519 public key (its member id, raw).
    pub writer: [u8; 32],
    /// [`roster_hash`] of the roster the writer signed.
    pub roster: [u8; 32],
    /// The state hash of the signed state this one follows ([`GENESIS`] for the first).
    pub prev: [u8; 32],
    /// Ed25519 over the [`transcript`].
    pub signature: [u8; 64],
}

/// What a verified signed state is made of: enough to re-check it without the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedState {
    /// The record as carried in the plaintext.
    pub record: Record,
    /// SHA-256 of the body (the plaintext without the record).
    pub content_hash: [u8; 32],
    /// [`state_hash`] of the transcript: what the next state names as `prev`.
    pub state_hash: [u8; 32],
}

fn length_prefixed(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
}

/// SHA-256 over the label, the member count and each `ed25519 ‖ x25519`, sorted by member id.
/// A member id listed twice is `InvalidEncoding` (a roster is a set).
pub fn roster_hash(members: &[RosterEntry]) -> Result<[u8; 32]> {
    let mut sorted = members.to_vec();
    sorted.sort_unstable_by_key(|m| m.0);
    if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Error::InvalidEncoding(
            "the roster lists a member twice".into(),
        ));
    }
    let mut out = Vec::with_capacity(ROSTER_LABEL.len() + 8 + 64 * sorted.len());
    length_prefixed(&mut out, ROSTER_LABEL);
    out.extend_from_slice(&(sorted.len() as u32).to_be_bytes());
    for (ed, x) in &sorted {
        out.extend_from_slice(ed);
        out.extend_from_slice(x);
    }
    Ok(Sha256::digest(&out).into())
}

/// The bytes a writer signs. Every field is `u32BE(length) ‖ bytes`; counters are `u64BE`.
#[allow(clippy::too_many_arguments)]
pub fn transcript(
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    content_hash: &[u8; 32],
    roster_hash: &[u8; 32],
    prev: &[u8; 32],
    writer: &[u8; 32],
) -> Result<Vec<u8>> {
    check_counter("payloadVersion", payload_version.into())?;
    check_counter("keyEpoch", key_epoch.into())?;
    let mut out = Vec::with_capacity(TRANSCRIPT_LABEL.len() + repo_id.len() + 8 * 4 + 16 + 128);
    length_prefixed(&mut out, TRANSCRIPT_LABEL);
    length_prefixed(&mut out, repo_id.as_bytes());
    length_prefixed(&mut out, &payload_version.to_be_bytes());
    length_prefixed(&mut out, &key_epoch.to_be_bytes());
    length_prefixed(&mut out, content_hash);
    length_prefixed(&mut out, roster_hash);
    length_prefixed(&mut out, prev);
    length_prefixed(&mut out, writer);
    Ok(out)
}

/// The hash a later state names as its `prev`: SHA-256 of the transcript.
pub fn state_hash(transcript: &[u8]) -> [u8; 32] {
    Sha256::digest(transcript).into()
}

/// `body` (a compact JSON object with at least one member, starting `{"`) with the record
/// inserted as its first member.
pub fn embed(record: &Record, body: &[u8]) -> Result<Vec<u8>> {
    if !body.starts_with(b"{\"") {
        return Err(Error::InvalidEncoding(
            "a signed payload body must be a JSON object starting with '{\"'".into(),
        ));
    }
    let mut out = Vec::with_capacity(PREFIX_LEN + body.len() - 1);
    out.extend_from_slice(OPEN);
    out.extend_from_slice(b64encode(&record.writer).as_bytes());
    out.extend_from_slice(AFTER_WRITER);
    out.extend_from_slice(b64encode(&record.roster).as_bytes());
    out.extend_from_slice(AFTER_ROSTER);
    out.extend_from_slice(b64encode(&record.prev).as_bytes());
    out.extend_from_slice(AFTER_PREV);
    out.extend_from_slice(b64encode(&record.signature).as_bytes());
    out.extend_from_slice(CLOSE);
    out.extend_from_slice(&body[1..]);
    Ok(out)
}

fn field<const N: usize>(text: &[u8], what: &str) -> Result<[u8; N]> {
    let text = std::str::from_utf8(text).map_err(|_| unauthenticated(what))?;
    b64decode_strict(text, Some(N))
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| unauthenticated(what))
}

fn unauthenticated(what: &str) -> Error {
    Error::WriteUnauthenticated(format!("the signed-write record is malformed ({what})"))
}

/// The record at the start of a payload plaintext: `None` when there is none (an unsigned
/// write). A plaintext that starts like a record but does not follow the exact layout, or whose
/// body does not start with a member (`"`), is `WriteUnauthenticated`.
pub fn read_record(plaintext: &[u8]) -> Result<Option<Record>> {
    const MARK: &[u8] = b"{\"signedWrite\":";
    if !plaintext.starts_with(MARK) {
        return Ok(None);
    }
    if plaintext.len() < PREFIX_LEN + 2 || !plaintext.starts_with(OPEN) {
        return Err(unauthenticated("layout"));
    }
    let mut at = OPEN.len();
    let mut take = |len: usize, then: &[u8]| -> Result<&[u8]> {
        let value = &plaintext[at..at + len];
        if &plaintext[at + len..at + len + then.len()] != then {
            return Err(unauthenticated("layout"));
        }
        at += len + then.len();
        Ok(value)
    };
    let writer = field::<32>(take(44, AFTER_WRITER)?, "writer")?;
    let roster = field::<32>(take(44, AFTER_ROSTER)?, "roster")?;
    let prev = field::<32>(take(44, AFTER_PREV)?, "prev")?;
    let signature = field::<64>(take(88, CLOSE)?, "signature")?;
    if plaintext[PREFIX_LEN] != b'"' {
        return Err(unauthenticated("body"));
    }
    Ok(Some(Record {
        writer,
        roster,
        prev,
        signature,
    }))
}

/// [`read_record`], then turn `plaintext` into the body the record signs, in place (the record
/// prefix is removed and the body gets its opening brace back).
pub fn strip_record(plaintext: &mut Vec<u8>) -> Result<Option<Record>> {
    let record = read_record(plaintext)?;
    if record.is_some() {
        plaintext.drain(..PREFIX_LEN - 1);
        plaintext[0] = b'{';
    }
    Ok(record)
}

/// Split a payload plaintext into its record and a copy of the body it signs (see
/// [`read_record`]).
pub fn split(plaintext: &[u8]) -> Result<Option<(Record, Vec<u8>)>> {
    let Some(record) = read_record(plaintext)? else {
        return Ok(None);
    };
    let mut body = Vec::with_capacity(plaintext.len() - PREFIX_LEN + 1);
    body.push(b'{');
    body.extend_from_slice(&plaintext[PREFIX_LEN..]);
    Ok(Some((record, body)))
}

/// Sign `body` as the state `(repo_id, payload_version, key_epoch)` with `roster`, chained to
/// `prev`: the plaintext to encrypt and the new state.
pub fn sign(
    writer_seed: &Secret32,
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    body: &[u8],
    roster: &[RosterEntry],
    prev: &[u8; 32],
) -> Result<(Vec<u8>, SignedState)> {
    let writer = ed25519::public_key(writer_seed);
    let content_hash: [u8; 32] = Sha256::digest(body).into();
    let roster_hash = roster_hash(roster)?;
    let t = transcript(
        repo_id,
        payload_version,
        key_epoch,
        &content_hash,
        &roster_hash,
        prev,
        &writer,
    )?;
    let record = Record {
        writer,
        roster: roster_hash,
        prev: *prev,
        signature: ed25519::sign(writer_seed, &t),
    };
    let plaintext = embed(&record, body)?;
    let state = SignedState {
        record,
        content_hash,
        state_hash: state_hash(&t),
    };
    Ok((plaintext, state))
}

/// Verify a decrypted payload plaintext as the state `(repo_id, payload_version, key_epoch)`:
/// `None` for an unsigned write; the state and the body when the signature verifies;
/// `WriteUnauthenticated` otherwise. Whether the served roster is the signed one is
/// [`check_roster`]'s question, who may sign [`authorize`]'s, and whether `prev` links to the
/// state a client holds [`check_link`]'s.
pub fn verify(
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    plaintext: &[u8],
) -> Result<Option<(SignedState, Vec<u8>)>> {
    let Some((record, body)) = split(plaintext)? else {
        return Ok(None);
    };
    let content_hash: [u8; 32] = Sha256::digest(&body).into();
    let state = check_signature(repo_id, payload_version, key_epoch, record, content_hash)?;
    Ok(Some((state, body)))
}

/// The signed state of `record` over a body hashing to `content_hash`, as the state
/// `(repo_id, payload_version, key_epoch)`, when its signature verifies (strict Ed25519 policy);
/// `WriteUnauthenticated` otherwise.
pub fn check_signature(
    repo_id: &str,
    payload_version: u64,
    key_epoch: u64,
    record: Record,
    content_hash: [u8; 32],
) -> Result<SignedState> {
    let t = transcript(
        repo_id,
        payload_version,
        key_epoch,
        &content_hash,
        &record.roster,
        &record.prev,
        &record.writer,
    )?;
    if !ed25519::verify(&record.writer, &t, &record.signature) {
        return Err(Error::WriteUnauthenticated(
            "the write's signature does not verify for these contents, counters and roster".into(),
        ));
    }
    Ok(SignedState {
        record,
        content_hash,
        state_hash: state_hash(&t),
    })
}

/// The served roster must be the one the state was signed with: a member added or dropped
/// after the signed write (by the server, or by a client that does not sign) is
/// `RosterUnauthenticated`.
pub fn check_roster(signed_roster_hash: &[u8; 32], roster: &[RosterEntry]) -> Result<()> {
    if &roster_hash(roster)? == signed_roster_hash {
        Ok(())
    } else {
        Err(Error::RosterUnauthenticated(
            "the served roster is not the one the last write was signed with".into(),
        ))
    }
}

/// Who may have signed a state. With the roster of the last state the client accepted
/// (`previous`), the writer must be in it: a new member cannot admit itself, and the server
/// cannot add one — `RosterUnauthenticated` when the roster changed, `WriteUnauthenticated` when
/// it did not. Without one (first contact), the writer must be in the served roster.
pub fn authorize(
    writer: &[u8; 32],
    previous: Option<&[[u8; 32]]>,
    roster: &[[u8; 32]],
) -> Result<()> {
    let allowed = previous.unwrap_or(roster);
    if allowed.contains(writer) {
        return Ok(());
    }
    let changed = previous.is_some_and(|p| {
        let (mut a, mut b) = (p.to_vec(), roster.to_vec());
        a.sort_unstable();
        b.sort_unstable();
        a != b
    });
    if changed {
        Err(Error::RosterUnauthenticated(
            "the roster changed in a write not signed by a member of the previous roster".into(),
        ))
    } else {
        Err(Error::WriteUnauthenticated(
            "the write is signed by a key that is not a member".into(),
        ))
    }
}

/// A signed state at version `v` must name, as `prev`, the hash of the state at `v - 1` the
/// client accepted (`held_prev`, when it holds that one): else the server forked the history.
pub fn check_link(held_prev: &[u8; 32], prev: &[u8; 32]) -> Result<()> {
    if prev == held_prev {
        Ok(())
    } else {
        Err(Error::ForkDetected(
            "the state does not chain to the previous signed state this client accepted".into(),
        ))
    }
}

fn member<'j>(object: &'j Json, key: &str) -> Option<&'j Json> {
    match object {
        Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text<'j>(object: &'j Json, key: &str) -> Option<&'j str> {
    match member(object, key)? {
        Json::String(s) => Some(s),
        _ => None,
    }
}

fn key32(object: &Json, key: &str) -> Option<[u8; 32]> {
    b64decode_strict(text(object, key)?, Some(32))
        .ok()?
        .try_into()
        .ok()
}

fn number(object: &Json, key: &str) -> Option<u64> {
    match member(object, key)? {
        Json::Number(n) => n.parse().ok(),
        _ => None,
    }
}

/// Whether `admission` (a payload body's `signedWriteAdmission`: `{"state": <evidence>,
/// "members": [{"ed25519PublicKey", "x25519PublicKey"}, ...]}`) proves that `writer` was admitted
/// by a member of `previous`: the state names `repo_id`, its writer (the admitter) is in
/// `previous`, its `rosterHash` is the hash of `members`, which list `writer`, its `stateHash` is
/// the SHA-256 of the transcript rebuilt from the evidence, and its signature verifies under the
/// admitter's key. Anything malformed is no admission.
pub fn admitted(repo_id: &str, writer: &[u8; 32], previous: &[[u8; 32]], admission: &Json) -> bool {
    let check = || -> Option<bool> {
        let state = member(admission, "state")?;
        let Json::Array(listed) = member(admission, "members")? else {
            return None;
        };
        let roster = listed
            .iter()
            .map(|m| Some((key32(m, "ed25519PublicKey")?, key32(m, "x25519PublicKey")?)))
            .collect::<Option<Vec<RosterEntry>>>()?;
        let admitter = key32(state, "writer")?;
        let signature: [u8; 64] = b64decode_strict(text(state, "signature")?, Some(64))
            .ok()?
            .try_into()
            .ok()?;
        let t = transcript(
            text(state, "repoId")?,
            number(state, "payloadVersion")?,
            number(state, "keyEpoch")?,
            &key32(state, "contentHash")?,
            &key32(state, "rosterHash")?,
            &key32(state, "prev")?,
            &admitter,
        )
        .ok()?;
        Some(
            text(state, "repoId")? == repo_id
                && previous.contains(&admitter)
                && roster.iter().any(|m| &m.0 == writer)
                && roster_hash(&roster).ok()? == key32(state, "rosterHash")?
                && state_hash(&t) == key32(state, "stateHash")?
                && ed25519::verify(&admitter, &t, &signature),
        )
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"alts":[],"payloadVersion":2}"#;

    fn member(n: u8) -> RosterEntry {
        ([n; 32], [n + 100; 32])
    }

    #[test]
    fn sign_verify_and_every_field_is_bound() {
        let (seed, public) = ed25519::generate();
        let roster = [(public, [7; 32]), member(1)];
        let (plaintext, state) = sign(&seed, "r", 2, 0, BODY, &roster, &GENESIS).unwrap();
        assert_eq!(PREFIX_LEN, 292); // docs/extensions/signed-writes.md
        assert_eq!(plaintext.len(), PREFIX_LEN + BODY.len() - 1);
        let (verified, body) = verify("r", 2, 0, &plaintext).unwrap().unwrap();
        assert!(check_link(&GENESIS, &verified.record.prev).is_ok());
        let fork = check_link(&[1; 32], &verified.record.prev).unwrap_err();
        assert_eq!(fork.code(), "fork_detected");
        assert_eq!((&verified, body.as_slice()), (&state, BODY));
        let reordered = [member(1), (public, [7; 32])];
        assert!(check_roster(&verified.record.roster, &reordered).is_ok());
        let shrunk = check_roster(&verified.record.roster, &roster[..1]).unwrap_err();
        assert_eq!(shrunk.code(), "roster_unauthenticated");
        for (repo, v, e) in [("s", 2, 0), ("r", 3, 0), ("r", 2, 1)] {
            let err = verify(repo, v, e, &plaintext).unwrap_err();
            assert_eq!(err.code(), "write_unauthenticated");
        }
        let mut tampered = plaintext.clone();
        *tampered.last_mut().unwrap() = b' ';
        assert!(verify("r", 2, 0, &tampered).is_err());
    }

    #[test]
    fn unsigned_and_malformed_records() {
        assert_eq!(verify("r", 1, 0, BODY).unwrap(), None);
        let (seed, _) = ed25519::generate();
        let (plaintext, _) = sign(&seed, "r", 1, 0, BODY, &[member(1)], &GENESIS).unwrap();
        let mut bad = plaintext.clone();
        bad[OPEN.len()] = b'-'; // not standard base64
        assert_eq!(split(&bad).unwrap_err().code(), "write_unauthenticated");
        assert!(split(&plaintext[..PREFIX_LEN]).is_err());
        assert!(embed(&split(&plaintext).unwrap().unwrap().0, b"{}").is_err());
    }

    #[test]
    fn roster_hash_is_a_set_hash() {
        let a = roster_hash(&[member(1), member(2)]).unwrap();
        assert_eq!(a, roster_hash(&[member(2), member(1)]).unwrap());
        assert_ne!(a, roster_hash(&[member(1)]).unwrap());
        assert!(roster_hash(&[member(1), member(1)]).is_err());
    }

    #[test]
    fn authorize_rules() {
        let (a, b, m) = ([1; 32], [2; 32], [9; 32]);
        assert!(authorize(&a, None, &[a, b]).is_ok());
        assert_eq!(
            authorize(&m, None, &[a]).unwrap_err().code(),
            "write_unauthenticated"
        );
        assert!(authorize(&a, Some(&[a, b]), &[b]).is_ok()); // a removed itself
        let injected = authorize(&m, Some(&[a]), &[a, m]).unwrap_err();
        assert_eq!(injected.code(), "roster_unauthenticated");
        let outsider = authorize(&m, Some(&[a]), &[a]).unwrap_err();
        assert_eq!(outsider.code(), "write_unauthenticated");
    }

    #[test]
    fn an_admission_is_checked_whole() {
        let (seed, admitter) = ed25519::generate();
        let joiner = [4u8; 32];
        let roster = [(admitter, [1; 32]), (joiner, [2; 32])];
        let (_, state) = sign(&seed, "r", 3, 0, BODY, &roster, &GENESIS).unwrap();
        let b64 = |b: &[u8]| Json::String(b64encode(b));
        let entry = |m: &RosterEntry| {
            Json::Object(vec![
                ("ed25519PublicKey".into(), b64(&m.0)),
                ("x25519PublicKey".into(), b64(&m.1)),
            ])
        };
        let evidence = |repo: &str| {
            Json::Object(vec![
                ("repoId".into(), Json::String(repo.into())),
                ("payloadVersion".into(), Json::Number("3".into())),
                ("keyEpoch".into(), Json::Number("0".into())),
                ("writer".into(), b64(&admitter)),
                ("rosterHash".into(), b64(&state.record.roster)),
                ("prev".into(), b64(&GENESIS)),
                ("signature".into(), b64(&state.record.signature)),
                ("contentHash".into(), b64(&state.content_hash)),
                ("stateHash".into(), b64(&state.state_hash)),
            ])
        };
        let admission = |repo: &str, members: &[RosterEntry]| {
            Json::Object(vec![
                ("state".into(), evidence(repo)),
                (
                    "members".into(),
                    Json::Array(members.iter().map(entry).collect()),
                ),
            ])
        };
        assert!(admitted(
            "r",
            &joiner,
            &[admitter],
            &admission("r", &roster)
        ));
        assert!(!admitted(
            "r",
            &joiner,
            &[[9; 32]],
            &admission("r", &roster)
        )); // admitter unknown
        assert!(!admitted(
            "s",
            &joiner,
            &[admitter],
            &admission("s", &roster)
        )); // another repo
        assert!(!admitted(
            "r",
            &[5; 32],
            &[admitter],
            &admission("r", &roster)
        )); // not listed
        let other = [(admitter, [1; 32]), ([5; 32], [2; 32])];
        assert!(!admitted(
            "r",
            &[5; 32],
            &[admitter],
            &admission("r", &other)
        )); // not the signed roster
        assert!(!admitted("r", &joiner, &[admitter], &Json::Null));
    }
}
