//! The payload plaintext (AVP 0.4 §5): `VaultPayload`, `AltAccount`, `BanInfo` — the one strict
//! parser and the one serializer of the project.
//!
//! A parsed alt keeps its strings as spans of the decrypted text, shared by every alt of the
//! payload (one allocation for the whole payload instead of one per string). Rules:
//! [`crate::strict_json`] syntax (duplicate keys, depth, lone surrogates); required `uuid`,
//! `username`, `accessToken`, `type` (one of [`ALT_TYPES`]) and `lastUsed`; optional fields absent
//! or `null`; counters integer literals in `[0, 2^53-1]` (`counter_out_of_range` otherwise, any
//! other type `invalid_encoding`); a legacy single `ban` reads as `bans["unknown"]` unless the map
//! has that key; unknown alt fields are kept verbatim (written first, in input order, as before);
//! unknown fields of a ban or of the payload object are checked and dropped. With the
//! refresh-token policy off, `refreshToken` and `expiresAt` are dropped on read and on write.

use std::borrow::Cow;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::encoding::MAX_COUNTER;
use crate::error::{Error, Result};
use crate::strict_json::{
    needs_escape, write_escaped_body, write_string, write_value, Json, Kind, Reader, Span,
};

/// The alt types of §5.
pub const ALT_TYPES: [&str; 4] = ["MICROSOFT", "COOKIE", "SESSION", "OFFLINE"];
/// The key under which a legacy single `ban` is read.
pub const LEGACY_BAN_SERVER: &str = "unknown";
/// Every field name an alt knows; any other is kept in `extra`.
pub const ALT_FIELDS: [&str; 12] = [
    "uuid",
    "username",
    "accessToken",
    "type",
    "lastUsed",
    "refreshToken",
    "expiresAt",
    "lastUsedBy",
    "bans",
    "ban",
    "sourceClient",
    "sourceUser",
];

/// One ban observation (owned: bans are rare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanInfo {
    /// Whether the alt is banned on that server.
    pub banned: bool,
    /// When, in epoch ms.
    pub observed_at: u64,
    /// Who reported it (opaque).
    pub source: String,
    /// Free text.
    pub detail: String,
    /// Member id of the observer, if known.
    pub observed_by: Option<String>,
}

/// The owned fields of an alt, for building one outside a payload.
#[derive(Debug, Clone, Default)]
pub struct AltFields {
    /// Account UUID.
    pub uuid: String,
    /// Account name.
    pub username: String,
    /// Access token.
    pub access_token: String,
    /// One of [`ALT_TYPES`].
    pub alt_type: String,
    /// Last use, epoch ms.
    pub last_used: u64,
    /// Refresh token.
    pub refresh_token: Option<String>,
    /// Expiry of the access token, epoch ms (0 = unknown).
    pub expires_at: Option<u64>,
    /// Member id of the last user.
    pub last_used_by: Option<String>,
    /// Bans by game-server id.
    pub bans: Option<Vec<(String, BanInfo)>>,
    /// Provenance: client.
    pub source_client: Option<String>,
    /// Provenance: user.
    pub source_user: Option<String>,
    /// Unknown fields, kept.
    pub extra: Vec<(String, Json)>,
}

/// The plaintext an alt's strings point into: shared by the alts of one payload, zeroized when
/// the last of them is dropped (it holds access tokens).
type SharedText = Arc<Zeroizing<String>>;

/// One shared game account.
#[derive(Debug, Clone)]
pub struct AltAccount {
    text: SharedText,
    uuid: Span,
    username: Span,
    access_token: Span,
    alt_type: u8,
    last_used: u64,
    refresh_token: Option<Span>,
    expires_at: Option<u64>,
    last_used_by: Option<Span>,
    bans: Option<Box<[(String, BanInfo)]>>,
    source_client: Option<Span>,
    source_user: Option<Span>,
    extra: Box<[(String, Json)]>,
}

/// A decrypted payload. The inner `payloadVersion` is only a stamp; the envelope header rules.
#[derive(Debug, Clone)]
pub struct VaultPayload {
    /// The alts, in order.
    pub alts: Vec<AltAccount>,
    /// The stamp written inside the plaintext.
    pub payload_version: u64,
}

fn counter_value(what: &dyn Fn() -> String, value: u64) -> Result<u64> {
    if value > MAX_COUNTER {
        return Err(Error::CounterOutOfRange(format!(
            "{} is outside 0..2^53-1: {value}",
            what()
        )));
    }
    Ok(value)
}

fn alt_type_index(what: &dyn Fn() -> String, name: &str) -> Result<u8> {
    ALT_TYPES
        .iter()
        .position(|t| *t == name)
        .map(|i| i as u8)
        .ok_or_else(|| {
            Error::InvalidEncoding(format!(
                "{} must be one of {}, got {name:?}",
                what(),
                ALT_TYPES.join(", ")
            ))
        })
}

impl AltAccount {
    /// Build an alt from owned values, with the same rules as the parser (type, counters, and
    /// no `extra` key that shadows a known field).
    pub fn new(f: AltFields) -> Result<Self> {
        let what = |k: &str| format!("alt.{k}");
        let alt_type = alt_type_index(&|| what("type"), &f.alt_type)?;
        counter_value(&|| what("lastUsed"), f.last_used)?;
        if let Some(e) = f.expires_at {
            counter_value(&|| what("expiresAt"), e)?;
        }
        for (server, ban) in f.bans.iter().flatten() {
            counter_value(
                &|| format!("alt.bans[{server:?}].observedAt"),
                ban.observed_at,
            )?;
        }
        if let Some((key, _)) = f
            .extra
            .iter()
            .find(|(k, _)| ALT_FIELDS.contains(&k.as_str()))
        {
            return Err(Error::InvalidEncoding(format!(
                "alt extra field {key:?} is a known field"
            )));
        }
        for (i, (key, _)) in f.extra.iter().enumerate() {
            if f.extra[..i].iter().any(|(k, _)| k == key) {
                return Err(Error::InvalidEncoding(format!(
                    "alt extra field {key:?} given twice"
                )));
            }
        }
        // Strings that need escaping are stored escaped, so that an unescaped span can always be
        // written as it is.
        let mut text = Vec::new();
        let mut put = |s: &str| {
            let start = text.len();
            let escaped = needs_escape(s.as_bytes());
            if escaped {
                write_escaped_body(&mut text, s);
            } else {
                text.extend_from_slice(s.as_bytes());
            }
            Span {
                start: start as u32,
                len: (text.len() - start) as u32,
                escaped,
            }
        };
        let uuid = put(&f.uuid);
        let username = put(&f.username);
        let access_token = put(&f.access_token);
        let refresh_token = f.refresh_token.as_deref().map(&mut put);
        let last_used_by = f.last_used_by.as_deref().map(&mut put);
        let source_client = f.source_client.as_deref().map(&mut put);
        let source_user = f.source_user.as_deref().map(&mut put);
        if u32::try_from(text.len()).is_err() {
            return Err(Error::InvalidEncoding("alt larger than 4 GiB".into()));
        }
        Ok(AltAccount {
            text: Arc::new(Zeroizing::new(utf8(text)?)),
            uuid,
            username,
            access_token,
            alt_type,
            last_used: f.last_used,
            refresh_token,
            expires_at: f.expires_at,
            last_used_by,
            bans: f.bans.map(Vec::into_boxed_slice),
            source_client,
            source_user,
            extra: f.extra.into_boxed_slice(),
        })
    }

    fn get(&self, span: Span) -> Cow<'_, str> {
        span.value(&self.text)
    }

    fn get_opt(&self, span: Option<Span>) -> Option<Cow<'_, str>> {
        span.map(|s| self.get(s))
    }

    /// Account UUID.
    pub fn uuid(&self) -> Cow<'_, str> {
        self.get(self.uuid)
    }
    /// Account name.
    pub fn username(&self) -> Cow<'_, str> {
        self.get(self.username)
    }
    /// Access token.
    pub fn access_token(&self) -> Cow<'_, str> {
        self.get(self.access_token)
    }
    /// One of [`ALT_TYPES`].
    pub fn alt_type(&self) -> &'static str {
        ALT_TYPES[self.alt_type as usize]
    }
    /// Last use, epoch ms.
    pub fn last_used(&self) -> u64 {
        self.last_used
    }
    /// Refresh token, if kept.
    pub fn refresh_token(&self) -> Option<Cow<'_, str>> {
        self.get_opt(self.refresh_token)
    }
    /// Access-token expiry, epoch ms, if kept.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }
    /// Member id of the last user.
    pub fn last_used_by(&self) -> Option<Cow<'_, str>> {
        self.get_opt(self.last_used_by)
    }
    /// Bans by game-server id (`None`: absent or null).
    pub fn bans(&self) -> Option<&[(String, BanInfo)]> {
        self.bans.as_deref()
    }
    /// Provenance: client.
    pub fn source_client(&self) -> Option<Cow<'_, str>> {
        self.get_opt(self.source_client)
    }
    /// Provenance: user.
    pub fn source_user(&self) -> Option<Cow<'_, str>> {
        self.get_opt(self.source_user)
    }
    /// Unknown fields, in input order.
    pub fn extra(&self) -> &[(String, Json)] {
        &self.extra
    }

    /// Whether the alt carries refresh credentials (the policy would strip something).
    pub fn has_refresh_credentials(&self) -> bool {
        self.refresh_token.is_some() || self.expires_at.is_some()
    }

    /// This alt without `refreshToken` and `expiresAt` (refresh-token policy off).
    pub fn without_refresh_credentials(&self) -> Self {
        AltAccount {
            refresh_token: None,
            expires_at: None,
            ..self.clone()
        }
    }

    /// About the serialized size (unknown fields and bans not counted): sizes the output
    /// buffer, and tells the binding when a write is worth releasing the GIL for.
    pub fn size_hint(&self) -> usize {
        let spans = [
            Some(self.uuid),
            Some(self.username),
            Some(self.access_token),
            self.refresh_token,
            self.last_used_by,
            self.source_client,
            self.source_user,
        ];
        160 + spans
            .iter()
            .flatten()
            .map(|s| s.len as usize)
            .sum::<usize>()
    }

    /// Append the alt as minified JSON: unknown fields first (input order), then the known
    /// ones in the spec's order, absent optional fields omitted, `bans` for any legacy `ban`.
    pub fn write(&self, out: &mut Vec<u8>, share_refresh_tokens: bool) {
        out.push(b'{');
        for (key, value) in self.extra.iter() {
            write_string(out, key);
            out.push(b':');
            write_value(out, value);
            out.push(b',');
        }
        let text = |out: &mut Vec<u8>, key: &str, span: Span| {
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            if span.escaped {
                write_string(out, &self.get(span)); // canonical escapes
            } else {
                // An unescaped span holds nothing JSON escapes (the reader or `new` checked).
                let raw =
                    &self.text.as_bytes()[span.start as usize..(span.start + span.len) as usize];
                out.push(b'"');
                out.extend_from_slice(raw);
                out.push(b'"');
            }
        };
        let number = |out: &mut Vec<u8>, key: &str, n: u64| {
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(n.to_string().as_bytes());
        };
        text(out, "uuid", self.uuid);
        out.push(b',');
        text(out, "username", self.username);
        out.push(b',');
        text(out, "accessToken", self.access_token);
        out.extend_from_slice(b",\"type\":\"");
        out.extend_from_slice(self.alt_type().as_bytes());
        out.extend_from_slice(b"\",");
        number(out, "lastUsed", self.last_used);
        if share_refresh_tokens {
            if let Some(s) = self.refresh_token {
                out.push(b',');
                text(out, "refreshToken", s);
            }
            if let Some(n) = self.expires_at {
                out.push(b',');
                number(out, "expiresAt", n);
            }
        }
        for (key, span) in [
            ("lastUsedBy", self.last_used_by),
            ("sourceClient", self.source_client),
            ("sourceUser", self.source_user),
        ] {
            if let Some(s) = span {
                out.push(b',');
                text(out, key, s);
            }
        }
        if let Some(bans) = &self.bans {
            out.extend_from_slice(b",\"bans\":{");
            for (i, (server, ban)) in bans.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, server);
                out.extend_from_slice(b":{\"banned\":");
                out.extend_from_slice(if ban.banned { b"true" } else { b"false" });
                out.extend_from_slice(b",\"observedAt\":");
                out.extend_from_slice(ban.observed_at.to_string().as_bytes());
                out.extend_from_slice(b",\"source\":");
                write_string(out, &ban.source);
                out.extend_from_slice(b",\"detail\":");
                write_string(out, &ban.detail);
                if let Some(by) = &ban.observed_by {
                    out.extend_from_slice(b",\"observedBy\":");
                    write_string(out, by);
                }
                out.push(b'}');
            }
            out.push(b'}');
        }
        out.push(b'}');
    }
}

impl PartialEq for AltAccount {
    fn eq(&self, other: &Self) -> bool {
        self.uuid() == other.uuid()
            && self.username() == other.username()
            && self.access_token() == other.access_token()
            && self.alt_type == other.alt_type
            && self.last_used == other.last_used
            && self.refresh_token() == other.refresh_token()
            && self.expires_at == other.expires_at
            && self.last_used_by() == other.last_used_by()
            && self.bans == other.bans
            && self.source_client() == other.source_client()
            && self.source_user() == other.source_user()
            && self.extra == other.extra
    }
}

impl Eq for AltAccount {}

/// Serialize a payload: `{"alts":[...],"payloadVersion":n}`, minified UTF-8.
pub fn write_payload<'a>(
    alts: impl IntoIterator<Item = &'a AltAccount> + Clone,
    payload_version: u64,
    share_refresh_tokens: bool,
) -> Vec<u8> {
    let size = alts
        .clone()
        .into_iter()
        .map(AltAccount::size_hint)
        .sum::<usize>();
    let mut out = Vec::with_capacity(size + 40);
    out.extend_from_slice(b"{\"alts\":[");
    for (i, alt) in alts.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        alt.write(&mut out, share_refresh_tokens);
    }
    out.extend_from_slice(b"],\"payloadVersion\":");
    out.extend_from_slice(payload_version.to_string().as_bytes());
    out.push(b'}');
    out
}

/// Where a value sits, for error messages (built only when an error is raised).
#[derive(Clone, Copy)]
struct At<'p> {
    parent: &'p str,
    index: Option<usize>,
}

impl At<'_> {
    fn field(&self, key: &str) -> String {
        match self.index {
            Some(i) => format!("{}[{i}].{key}", self.parent),
            None => format!("{}.{key}", self.parent),
        }
    }
}

fn wrong_type(path: String, want: &str) -> Error {
    Error::InvalidEncoding(format!("{path} must be {want}"))
}

fn read_counter(r: &mut Reader<'_>, path: &dyn Fn() -> String) -> Result<u64> {
    if r.peek()? != Kind::Number {
        return Err(wrong_type(path(), "an integer counter"));
    }
    let n = r.number()?;
    let out_of_range =
        || Error::CounterOutOfRange(format!("{} is outside 0..2^53-1: {}", path(), n.text));
    if !n.integer {
        return Err(Error::CounterOutOfRange(format!(
            "{} must be an integer, got {}",
            path(),
            n.text
        )));
    }
    if let Some(magnitude) = n.text.strip_prefix('-') {
        return if magnitude == "0" {
            Ok(0)
        } else {
            Err(out_of_range())
        };
    }
    match n.text.parse::<u64>() {
        Ok(v) if v <= MAX_COUNTER => Ok(v),
        _ => Err(out_of_range()),
    }
}

fn read_opt_counter(r: &mut Reader<'_>, path: &dyn Fn() -> String) -> Result<Option<u64>> {
    if r.null() {
        return Ok(None);
    }
    read_counter(r, path).map(Some)
}

fn read_text(r: &mut Reader<'_>, path: &dyn Fn() -> String) -> Result<Span> {
    if r.peek()? != Kind::String {
        return Err(wrong_type(path(), "a string"));
    }
    r.string()
}

fn read_opt_text(r: &mut Reader<'_>, path: &dyn Fn() -> String) -> Result<Option<Span>> {
    if r.null() {
        return Ok(None);
    }
    if r.peek()? != Kind::String {
        return Err(wrong_type(path(), "a string or null"));
    }
    r.string().map(Some)
}

fn read_ban(r: &mut Reader<'_>, text: &str, path: &dyn Fn() -> String) -> Result<BanInfo> {
    if r.peek()? != Kind::Object {
        return Err(wrong_type(path(), "an object"));
    }
    let (mut banned, mut observed_at, mut source, mut detail, mut observed_by) =
        (None, None, None, None, None);
    r.object(|r, key| {
        let field = || format!("{}.{key}", path());
        match key {
            "banned" => {
                if r.peek()? != Kind::Bool {
                    return Err(wrong_type(field(), "true or false"));
                }
                banned = Some(r.boolean()?);
            }
            "observedAt" => observed_at = Some(read_counter(r, &field)?),
            "source" => source = Some(read_text(r, &field)?.value(text).into_owned()),
            "detail" => detail = Some(read_text(r, &field)?.value(text).into_owned()),
            "observedBy" => {
                observed_by = read_opt_text(r, &field)?.map(|s| s.value(text).into_owned())
            }
            _ => {
                r.value()?;
            }
        }
        Ok(())
    })?;
    let missing = |key: &str, want: &str| wrong_type(format!("{}.{key}", path()), want);
    Ok(BanInfo {
        banned: banned.ok_or_else(|| missing("banned", "true or false"))?,
        observed_at: observed_at.ok_or_else(|| missing("observedAt", "an integer counter"))?,
        source: source.ok_or_else(|| missing("source", "a string"))?,
        detail: detail.ok_or_else(|| missing("detail", "a string"))?,
        observed_by,
    })
}

fn read_alt(
    r: &mut Reader<'_>,
    text: &SharedText,
    at: At<'_>,
    share_refresh_tokens: bool,
) -> Result<AltAccount> {
    let here = || match at.index {
        Some(i) => format!("{}[{i}]", at.parent),
        None => at.parent.to_owned(),
    };
    if r.peek()? != Kind::Object {
        return Err(wrong_type(here(), "an object"));
    }
    let s: &str = text;
    let (mut uuid, mut username, mut access_token, mut alt_type, mut last_used) =
        (None, None, None, None, None);
    let (mut refresh_token, mut expires_at, mut last_used_by) = (None, None, None);
    let (mut bans, mut legacy_ban, mut source_client, mut source_user) = (None, None, None, None);
    let mut extra = Vec::new();
    r.object(|r, key| {
        let field = || at.field(key);
        match key {
            "uuid" => uuid = Some(read_text(r, &field)?),
            "username" => username = Some(read_text(r, &field)?),
            "accessToken" => access_token = Some(read_text(r, &field)?),
            "type" => {
                let span = read_text(r, &field)?;
                alt_type = Some(alt_type_index(&field, &span.value(s))?);
            }
            "lastUsed" => last_used = Some(read_counter(r, &field)?),
            "refreshToken" => refresh_token = read_opt_text(r, &field)?,
            "expiresAt" => expires_at = read_opt_counter(r, &field)?,
            "lastUsedBy" => last_used_by = read_opt_text(r, &field)?,
            "sourceClient" => source_client = read_opt_text(r, &field)?,
            "sourceUser" => source_user = read_opt_text(r, &field)?,
            "bans" => {
                if r.null() {
                    return Ok(());
                }
                if r.peek()? != Kind::Object {
                    return Err(wrong_type(field(), "an object or null"));
                }
                let mut map = Vec::new();
                r.object(|r, server| {
                    let ban = read_ban(r, s, &|| format!("{}[{server:?}]", field()))?;
                    map.push((server.to_owned(), ban));
                    Ok(())
                })?;
                bans = Some(map);
            }
            "ban" => {
                if !r.null() {
                    legacy_ban = Some(read_ban(r, s, &field)?);
                }
            }
            _ => extra.push((key.to_owned(), r.value()?)),
        }
        Ok(())
    })?;
    if let Some(ban) = legacy_ban {
        let map = bans.get_or_insert_with(Vec::new);
        // An explicit "unknown" entry in the new map wins over the legacy field.
        if !map.iter().any(|(k, _)| k == LEGACY_BAN_SERVER) {
            map.push((LEGACY_BAN_SERVER.to_owned(), ban));
        }
    }
    let text_missing = |key: &str| wrong_type(at.field(key), "a string");
    if !share_refresh_tokens {
        refresh_token = None;
        expires_at = None;
    }
    Ok(AltAccount {
        text: Arc::clone(text),
        uuid: uuid.ok_or_else(|| text_missing("uuid"))?,
        username: username.ok_or_else(|| text_missing("username"))?,
        access_token: access_token.ok_or_else(|| text_missing("accessToken"))?,
        alt_type: alt_type.ok_or_else(|| text_missing("type"))?,
        last_used: last_used
            .ok_or_else(|| wrong_type(at.field("lastUsed"), "an integer counter"))?,
        refresh_token,
        expires_at,
        last_used_by,
        bans: bans.map(Vec::into_boxed_slice),
        source_client,
        source_user,
        extra: extra.into_boxed_slice(),
    })
}

fn read_alt_array(
    r: &mut Reader<'_>,
    text: &SharedText,
    parent: &str,
    share_refresh_tokens: bool,
) -> Result<Vec<AltAccount>> {
    if r.peek()? != Kind::Array {
        return Err(wrong_type(parent.to_owned(), "an array"));
    }
    let mut alts = Vec::new();
    r.array(|r, i| {
        let at = At {
            parent,
            index: Some(i),
        };
        alts.push(read_alt(r, text, at, share_refresh_tokens)?);
        Ok(())
    })?;
    Ok(alts)
}

fn utf8(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        Error::InvalidEncoding(format!(
            "payload is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Parse a payload plaintext (UTF-8 JSON object). The buffer becomes the alts' shared text.
pub fn parse_payload(plaintext: Vec<u8>, share_refresh_tokens: bool) -> Result<VaultPayload> {
    let text = Arc::new(Zeroizing::new(utf8(plaintext)?));
    let mut r = Reader::new(&text)?;
    if r.peek()? != Kind::Object {
        return Err(wrong_type("payload".into(), "a JSON object"));
    }
    let (mut alts, mut version) = (None, None);
    r.object(|r, key| {
        match key {
            "alts" => {
                alts = Some(read_alt_array(
                    r,
                    &text,
                    "payload.alts",
                    share_refresh_tokens,
                )?)
            }
            "payloadVersion" => {
                version = Some(read_counter(r, &|| "payload.payloadVersion".into())?)
            }
            _ => {
                r.value()?;
            }
        }
        Ok(())
    })?;
    r.end()?;
    Ok(VaultPayload {
        alts: alts.ok_or_else(|| wrong_type("payload.alts".into(), "an array"))?,
        payload_version: version
            .ok_or_else(|| wrong_type("payload.payloadVersion".into(), "an integer counter"))?,
    })
}

/// Parse a JSON array of alts (a user's file); `where_` names it in errors.
pub fn parse_alts(json: Vec<u8>, where_: &str) -> Result<Vec<AltAccount>> {
    let text = Arc::new(Zeroizing::new(utf8(json)?));
    let mut r = Reader::new(&text)?;
    let alts = read_alt_array(&mut r, &text, where_, true)?;
    r.end()?;
    Ok(alts)
}

/// Parse one alt object; `where_` names it in errors.
pub fn parse_alt(json: Vec<u8>, where_: &str) -> Result<AltAccount> {
    let text = Arc::new(Zeroizing::new(utf8(json)?));
    let mut r = Reader::new(&text)?;
    let at = At {
        parent: where_,
        index: None,
    };
    let alt = read_alt(&mut r, &text, at, true)?;
    r.end()?;
    Ok(alt)
}

/// Parse one ban object; `where_` names it in errors.
pub fn parse_ban(json: Vec<u8>, where_: &str) -> Result<BanInfo> {
    let text = Zeroizing::new(utf8(json)?);
    let mut r = Reader::new(&text)?;
    let ban = read_ban(&mut r, &text, &|| where_.to_owned())?;
    r.end()?;
    Ok(ban)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{"future":{"x":[1,2.50]},"uuid":"u-1","username":"Notch","accessToken":"tok\u00e9","type":"MICROSOFT","lastUsed":1700000000000,"refreshToken":"r","expiresAt":0,"lastUsedBy":null,"sourceClient":"c","ban":{"banned":true,"observedAt":5,"source":"s","detail":"d"}}"#;

    fn payload(alts: &str) -> Vec<u8> {
        format!(r#"{{"alts":[{alts}],"payloadVersion":3}}"#).into_bytes()
    }

    fn code(r: Result<impl std::fmt::Debug>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn full_alt_reads_and_writes_canonically() {
        let p = parse_payload(payload(FULL), true).unwrap();
        assert_eq!(p.payload_version, 3);
        let alt = &p.alts[0];
        assert_eq!(alt.access_token(), "toké");
        assert_eq!(alt.alt_type(), "MICROSOFT");
        assert_eq!(alt.expires_at(), Some(0));
        assert_eq!(alt.last_used_by(), None);
        assert_eq!(alt.bans().unwrap()[0].0, LEGACY_BAN_SERVER);
        let out = String::from_utf8(write_payload(&p.alts, 3, true)).unwrap();
        assert_eq!(
            out,
            r#"{"alts":[{"future":{"x":[1,2.50]},"uuid":"u-1","username":"Notch","accessToken":"toké","type":"MICROSOFT","lastUsed":1700000000000,"refreshToken":"r","expiresAt":0,"sourceClient":"c","bans":{"unknown":{"banned":true,"observedAt":5,"source":"s","detail":"d"}}}],"payloadVersion":3}"#
        );
        // Independent check of the written JSON: serde_json reads the same values back.
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["alts"][0]["accessToken"], "toké");
        // Policy off: dropped on read and on write.
        let off = parse_payload(payload(FULL), false).unwrap();
        assert_eq!(off.alts[0].refresh_token(), None);
        assert_eq!(off.alts[0].expires_at(), None);
        let written = String::from_utf8(write_payload(&p.alts, 3, false)).unwrap();
        assert!(!written.contains("refreshToken") && !written.contains("expiresAt"));
        assert_eq!(off.alts[0], p.alts[0].without_refresh_credentials());
    }

    #[test]
    fn built_alts_equal_parsed_ones() {
        let built = AltAccount::new(AltFields {
            uuid: "u".into(),
            username: "n\"q".into(),
            access_token: "t".into(),
            alt_type: "OFFLINE".into(),
            last_used: 0,
            ..AltFields::default()
        })
        .unwrap();
        let text = String::from_utf8(write_payload([&built], 1, true)).unwrap();
        assert_eq!(
            text,
            r#"{"alts":[{"uuid":"u","username":"n\"q","accessToken":"t","type":"OFFLINE","lastUsed":0}],"payloadVersion":1}"#
        );
        assert_eq!(
            parse_payload(text.into_bytes(), true).unwrap().alts[0],
            built
        );
        let shadow = AltFields {
            alt_type: "OFFLINE".into(),
            extra: vec![("uuid".into(), Json::Null)],
            ..AltFields::default()
        };
        assert_eq!(code(AltAccount::new(shadow)), "invalid_encoding");
        let bad_type = AltFields {
            alt_type: "microsoft".into(),
            ..AltFields::default()
        };
        assert_eq!(code(AltAccount::new(bad_type)), "invalid_encoding");
    }

    #[test]
    fn explicit_unknown_ban_wins_over_legacy_ban() {
        let alt = r#"{"uuid":"u","username":"n","accessToken":"t","type":"COOKIE","lastUsed":1,"bans":{"unknown":{"banned":false,"observedAt":1,"source":"new","detail":""}},"ban":{"banned":true,"observedAt":2,"source":"old","detail":""}}"#;
        let p = parse_payload(payload(alt), true).unwrap();
        let bans = p.alts[0].bans().unwrap();
        assert_eq!(bans.len(), 1);
        assert_eq!(bans[0].1.source, "new");
    }

    #[test]
    fn faults_have_the_project_codes() {
        let alt = |field: &str| {
            format!(r#"{{"uuid":"u","username":"n","accessToken":"t","type":"SESSION",{field}}}"#)
        };
        let cases: &[(Vec<u8>, &str)] = &[
            (payload(&alt(r#""lastUsed":-1"#)), "counter_out_of_range"),
            (
                payload(&alt(r#""lastUsed":9007199254740992"#)),
                "counter_out_of_range",
            ),
            (payload(&alt(r#""lastUsed":1.0"#)), "counter_out_of_range"),
            (payload(&alt(r#""lastUsed":1e3"#)), "counter_out_of_range"),
            (
                payload(&alt(r#""lastUsed":18446744073709551616"#)),
                "counter_out_of_range",
            ),
            (payload(&alt(r#""lastUsed":"1""#)), "invalid_encoding"),
            (payload(&alt(r#""lastUsed":true"#)), "invalid_encoding"),
            (
                payload(&alt(r#""lastUsed":1,"lastUsed":1"#)),
                "invalid_encoding",
            ),
            (
                payload(&alt(r#""lastUsed":1,"x":{"a":1,"a":2}"#)),
                "invalid_encoding",
            ),
            (
                payload(&alt(r#""lastUsed":1,"refreshToken":5"#)),
                "invalid_encoding",
            ),
            (
                payload(&alt(r#""lastUsed":1,"bans":[]"#)),
                "invalid_encoding",
            ),
            (
                payload(&alt(
                    r#""lastUsed":1,"ban":{"banned":1,"observedAt":1,"source":"","detail":""}"#,
                )),
                "invalid_encoding",
            ),
            (
                payload(r#"{"uuid":"u","username":"n","type":"SESSION","lastUsed":1}"#),
                "invalid_encoding",
            ),
            (payload("[]"), "invalid_encoding"),
            (
                br#"{"alts":[],"payloadVersion":1,"alts":[]}"#.to_vec(),
                "invalid_encoding",
            ),
            (br#"{"alts":[]}"#.to_vec(), "invalid_encoding"),
            (
                br#"{"alts":[],"payloadVersion":-2}"#.to_vec(),
                "counter_out_of_range",
            ),
            (br#"[]"#.to_vec(), "invalid_encoding"),
            (
                b"{\"alts\":[],\"payloadVersion\":1,\"x\":\"\xff\"}".to_vec(),
                "invalid_encoding",
            ),
            (
                b"\xef\xbb\xbf{\"alts\":[],\"payloadVersion\":1}".to_vec(),
                "invalid_encoding",
            ),
        ];
        for (input, want) in cases {
            let got = parse_payload(input.clone(), true);
            assert_eq!(code(got), *want, "{}", String::from_utf8_lossy(input));
        }
        let deep = format!(
            r#"{{"alts":[{}],"payloadVersion":1}}"#,
            alt(&format!(
                r#""lastUsed":1,"x":{}{}"#,
                "[".repeat(30),
                "]".repeat(30)
            ))
        );
        assert_eq!(
            code(parse_payload(deep.into_bytes(), true)),
            "invalid_encoding"
        );
        let ok_deep = format!(
            r#"{{"alts":[{}],"payloadVersion":1}}"#,
            alt(&format!(
                r#""lastUsed":1,"x":{}{}"#,
                "[".repeat(29),
                "]".repeat(29)
            ))
        );
        assert!(parse_payload(ok_deep.into_bytes(), true).is_ok());
    }

    #[test]
    fn alt_lists_and_single_alts_parse() {
        let list = parse_alts(format!("[{FULL}]").into_bytes(), "alts").unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(parse_alt(FULL.as_bytes().to_vec(), "alt").unwrap(), list[0]);
        let err = parse_alts(b"{}".to_vec(), "alts").unwrap_err();
        assert_eq!(err.to_string(), "alts must be an array");
    }
}
