//! The Rust verifier of `vectors/`: every case of every file listed in `index.json`, through the
//! crate's public API. A file, op or check it does not know is a failure, never a skip. The
//! per-file counts go straight to stderr (libtest captures only the print macros), so they show in
//! every `cargo test` run, CI included.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use avp_crypto::encoding::{b64decode_strict, b64encode, b64url_decode_strict, b64url_encode};
use avp_crypto::federation::{self, InviteRequest, RepoLocator};
use avp_crypto::identity::{Identity, Unlock};
use avp_crypto::payload::{self, Header};
use avp_crypto::vault_payload::{parse_payload, write_payload};
use avp_crypto::wrap::{self, WrappedKey};
use avp_crypto::{aad, aead, binding, ed25519, hkdf, x25519, Error, Secret32};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const WRAP_INFO: &[u8] = b"avp/rdk-wrap/v1";

/// Why a case failed: a refused input (with its error code) or a value that differs.
type Outcome = Result<(), String>;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors")
}

fn expect(condition: bool, what: &str) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(format!("mismatch: {what}"))
    }
}

fn refused(err: Error) -> String {
    format!("refused: {}: {err}", err.code())
}

fn s<'a>(c: &'a Value, key: &str) -> Result<&'a str, String> {
    c[key]
        .as_str()
        .ok_or_else(|| format!("field {key} is not a string"))
}

fn hx(c: &Value, key: &str) -> Result<Vec<u8>, String> {
    hex::decode(s(c, key)?).map_err(|e| format!("{key}: {e}"))
}

fn b64(c: &Value, key: &str) -> Result<Vec<u8>, String> {
    b64decode_strict(s(c, key)?, None).map_err(refused)
}

fn arr<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("{what} is {} bytes, not {N}", bytes.len()))
}

fn secret(bytes: &[u8], what: &str) -> Result<Secret32, String> {
    Secret32::from_slice(what, bytes).map_err(refused)
}

/// A JSON counter as the crate's `i128`; a number JSON cannot hold as an integer (e.g. 2^64 parsed
/// as a float) is mapped far out of range, which is what it is.
fn counter(c: &Value, key: &str) -> Result<i128, String> {
    let v = &c[key];
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .or_else(|| v.as_f64().map(|_| i128::MAX))
        .ok_or_else(|| format!("field {key} is not a number"))
}

fn header<'a>(c: &'a Value, epoch_key: &str) -> Result<Header<'a>, String> {
    Ok(Header {
        repo_id: s(c, "repoId")?,
        payload_version: counter(c, "payloadVersion")?,
        key_epoch: counter(c, epoch_key)?,
    })
}

fn strict_verify(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match (
        <&[u8; 32]>::try_from(public),
        <&[u8; 64]>::try_from(signature),
    ) {
        (Ok(p), Ok(sig)) => ed25519::verify(p, message, sig),
        _ => false,
    }
}

/// The documented plaintext derivation: SHA-256(seed || uint32BE(i)) blocks, truncated.
fn expand(seed: &[u8], length: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(length + 32);
    let mut i: u32 = 0;
    while out.len() < length {
        out.extend_from_slice(
            &Sha256::new()
                .chain_update(seed)
                .chain_update(i.to_be_bytes())
                .finalize(),
        );
        i += 1;
    }
    out.truncate(length);
    out
}

fn must_fail(result: Result<(), Error>, code: &str) -> Outcome {
    match result {
        Ok(()) => Err(format!("succeeded where it must fail with {code}")),
        Err(e) => expect(
            e.code() == code,
            &format!("failed with {}, expected {code}", e.code()),
        ),
    }
}

fn check_aad(c: &Value, _: &Value) -> Outcome {
    let h = header(c, "keyEpoch")?;
    let out = aad::aad(h.repo_id, h.payload_version, h.key_epoch).map_err(refused)?;
    expect(hex::encode(out) == s(c, "expectedAadHex")?, "AAD")
}

fn check_binding_message(c: &Value, _: &Value) -> Outcome {
    let message = binding::key_binding_message(s(c, "ed25519PublicKey")?, s(c, "x25519PublicKey")?)
        .map_err(refused)?;
    expect(
        message == s(c, "expectedMessageUtf8")?.as_bytes(),
        "message",
    )
}

fn check_hkdf(c: &Value, _: &Value) -> Outcome {
    let (ikm, salt, info) = (hx(c, "ikmHex")?, hx(c, "saltHex")?, hx(c, "infoHex")?);
    let length = c["length"].as_u64().ok_or("length")? as usize;
    expect(
        hex::encode(hkdf::hkdf_sha256_extract(&ikm, &salt)) == s(c, "prkHex")?,
        "PRK",
    )?;
    let okm = hkdf::hkdf_sha256(&ikm, &salt, &info, length).map_err(refused)?;
    expect(hex::encode(okm) == s(c, "okmHex")?, "OKM")
}

fn check_x25519(c: &Value, _: &Value) -> Outcome {
    let scalar = secret(&hx(c, "scalarHex")?, "scalar")?;
    let shared =
        x25519::diffie_hellman(&scalar, &arr(&hx(c, "uCoordinateHex")?, "u")?).map_err(refused)?;
    expect(
        hex::encode(shared.expose()) == s(c, "outputHex")?,
        "shared secret",
    )
}

fn check_ed25519(c: &Value, _: &Value) -> Outcome {
    let seed = secret(&hx(c, "seedHex")?, "seed")?;
    let message = hx(c, "messageHex")?;
    expect(
        hex::encode(ed25519::public_key(&seed)) == s(c, "publicKeyHex")?,
        "public key",
    )?;
    expect(
        hex::encode(ed25519::sign(&seed, &message)) == s(c, "signatureHex")?,
        "signature",
    )?;
    expect(
        strict_verify(&hx(c, "publicKeyHex")?, &message, &hx(c, "signatureHex")?),
        "verify",
    )
}

fn check_policy(c: &Value, _: &Value) -> Outcome {
    let accepted = strict_verify(
        &hx(c, "publicKeyHex")?,
        &hx(c, "messageHex")?,
        &hx(c, "signatureHex")?,
    );
    expect(
        accepted == (s(c, "verdict")? == "accept"),
        &format!("strict policy accepted = {accepted}"),
    )
}

fn check_key_binding(c: &Value, _: &Value) -> Outcome {
    let (ed, x) = (s(c, "ed25519PublicKey")?, s(c, "x25519PublicKey")?);
    let message = binding::key_binding_message(ed, x).map_err(refused)?;
    expect(message == s(c, "messageUtf8")?.as_bytes(), "message")?;
    let issuer: [u8; 32] = arr(&b64(c, "issuerPublicKey")?, "issuer")?;
    let valid = match c["keyBindingSig"].as_str() {
        None => false,
        Some(sig) => {
            let sig = arr(
                &b64decode_strict(sig, Some(64)).map_err(refused)?,
                "signature",
            )?;
            binding::key_binding_verify(&issuer, ed, x, &sig).map_err(refused)?
        }
    };
    expect(
        valid == (s(c, "verdict")? == "accept"),
        &format!("binding verifies = {valid}"),
    )?;
    expect(
        valid || c["expectedError"] == "binding_invalid",
        "expectedError",
    )
}

fn check_challenge(c: &Value, _: &Value) -> Outcome {
    let decoded = (|| {
        Ok::<_, Error>((
            b64decode_strict(s(c, "ed25519PublicKey").unwrap_or(""), Some(32))?,
            b64decode_strict(s(c, "nonce").unwrap_or(""), Some(32))?,
            b64decode_strict(s(c, "signature").unwrap_or(""), Some(64))?,
        ))
    })();
    let outcome = match decoded {
        Err(_) => Some("bad_request"),
        Ok((public, nonce, sig)) => {
            (!strict_verify(&public, &nonce, &sig)).then_some("unauthorized")
        }
    };
    expect(
        outcome == c["expectedError"].as_str(),
        &format!("server outcome {outcome:?}"),
    )?;
    expect(
        outcome.is_none() == (s(c, "verdict")? == "accept"),
        "verdict",
    )
}

/// The key, IV and header every payload-AEAD case starts with, after checking its `aadHex`.
fn aead_inputs(c: &Value) -> Result<(Secret32, [u8; 12], Header<'_>), String> {
    let key = secret(&b64(c, "keyB64")?, "key")?;
    let iv: [u8; 12] = arr(&b64(c, "ivB64")?, "iv")?;
    let h = header(c, "keyEpoch")?;
    expect(
        hex::encode(h.aad().map_err(refused)?) == s(c, "aadHex")?,
        "AAD",
    )?;
    Ok((key, iv, h))
}

/// `ct` opens to `plaintext` under the case's header and fails under its `tamperEpoch`.
fn opens_only_under_its_header(
    c: &Value,
    (key, iv, h): &(Secret32, [u8; 12], Header<'_>),
    ct: &[u8],
    plaintext: &[u8],
) -> Outcome {
    expect(
        payload::open_payload(key, h, iv, ct).map_err(refused)? == plaintext,
        "open",
    )?;
    must_fail(
        payload::open_payload(key, &header(c, "tamperEpoch")?, iv, ct).map(drop),
        "invalid_tag",
    )
}

fn check_payload(c: &Value, _: &Value) -> Outcome {
    let inputs = aead_inputs(c)?;
    let (key, iv, h) = &inputs;
    let plaintext = s(c, "plaintextUtf8")?.as_bytes();
    let ct = payload::seal_payload_with_iv(key, h, plaintext, iv).map_err(refused)?;
    expect(b64encode(&ct) == s(c, "ciphertextB64")?, "ciphertext")?;
    opens_only_under_its_header(c, &inputs, &ct, plaintext)
}

fn check_sizes(c: &Value, _: &Value) -> Outcome {
    let inputs = aead_inputs(c)?;
    let (key, iv, h) = &inputs;
    let spec = &c["plaintext"];
    let plaintext = expand(
        &hx(spec, "seedHex")?,
        spec["length"].as_u64().ok_or("length")? as usize,
    );
    let ct = payload::seal_payload_with_iv(key, h, &plaintext, iv).map_err(refused)?;
    match c["ciphertextB64"].as_str() {
        Some(inline) => expect(b64encode(&ct) == inline, "ciphertext")?,
        None => expect(
            hex::encode(Sha256::digest(&ct)) == s(c, "ciphertextSha256Hex")?,
            "ciphertext digest",
        )?,
    }
    expect(hex::encode(&ct[ct.len() - 16..]) == s(c, "tagHex")?, "tag")?;
    opens_only_under_its_header(c, &inputs, &ct, &plaintext)?;
    for offset in c["tamperBitFlipOffsets"].as_array().ok_or("offsets")? {
        let mut flipped = ct.clone();
        flipped[offset.as_u64().ok_or("offset")? as usize] ^= 1;
        must_fail(
            payload::open_payload(key, h, iv, &flipped).map(drop),
            "invalid_tag",
        )?;
    }
    Ok(())
}

fn wrapped_from(w: &Value) -> Result<WrappedKey, String> {
    WrappedKey::from_wire(
        s(w, "schemeId")?,
        s(w, "ephemeralPublicKey")?,
        s(w, "iv")?,
        s(w, "ciphertext")?,
    )
    .map_err(refused)
}

fn check_key_wrap(c: &Value, _: &Value) -> Outcome {
    let recipient = secret(&b64(c, "recipientPrivateKeyB64")?, "recipient")?;
    let ephemeral = secret(&b64(c, "ephemeralPrivateKeyB64")?, "ephemeral")?;
    let data_key = secret(&b64(c, "dataKeyB64")?, "data key")?;
    let recipient_public = x25519::public_key(&recipient);
    expect(
        b64encode(&recipient_public) == s(c, "recipientPublicKeyB64")?,
        "recipient public key",
    )?;
    let ephemeral_public = x25519::public_key(&ephemeral);
    let shared = x25519::diffie_hellman(&ephemeral, &recipient_public).map_err(refused)?;
    expect(
        hex::encode(shared.expose()) == s(c, "sharedSecretHex")?,
        "shared secret",
    )?;
    let kek =
        hkdf::hkdf_sha256(shared.expose(), &ephemeral_public, WRAP_INFO, 32).map_err(refused)?;
    expect(hex::encode(kek) == s(c, "kekHex")?, "KEK")?;
    expect(s(c, "info")?.as_bytes() == WRAP_INFO, "info")?;
    let w = &c["wrappedKey"];
    let iv: [u8; 12] = arr(&b64(w, "iv")?, "iv")?;
    let rewrapped = wrap::wrap_key_deterministic(&data_key, &recipient_public, &ephemeral, &iv)
        .map_err(refused)?;
    let [scheme, eph, iv_b64, ct] = rewrapped.to_wire();
    let ours =
        json!({"schemeId": scheme, "ephemeralPublicKey": eph, "iv": iv_b64, "ciphertext": ct});
    expect(&ours == w, "wrappedKey")?;
    let unwrapped = wrap::unwrap_key(&wrapped_from(w)?, &recipient).map_err(refused)?;
    expect(unwrapped.expose() == data_key.expose(), "unwrap")
}

fn invite_json(i: &InviteRequest) -> Value {
    json!({"v": 1, "ed25519PublicKey": i.ed25519_public_key, "x25519PublicKey": i.x25519_public_key})
}

fn locator_json(l: &RepoLocator) -> Value {
    let mut v = json!({"v": 1, "host": l.host, "repoId": l.repo_id});
    if let Some(x) = &l.scheme_id {
        v["schemeId"] = json!(x);
    }
    if let Some(x) = l.key_epoch {
        v["keyEpoch"] = json!(x);
    }
    if let Some(x) = &l.issuer_jwks_url {
        v["issuerJwksUrl"] = json!(x);
    }
    v
}

/// Decode a token and re-encode it canonically: (decoded object, canonical token).
fn decode(schema: &str, token: &str) -> Result<(Value, String), Error> {
    if schema == "InviteRequest" {
        let invite = federation::decode_invite(token)?;
        Ok((invite_json(&invite), federation::encode_invite(&invite)?))
    } else {
        let locator = federation::decode_locator(token)?;
        Ok((
            locator_json(&locator),
            federation::encode_locator(&locator)?,
        ))
    }
}

fn check_token(c: &Value, _: &Value) -> Outcome {
    let (decoded, canonical) = decode(s(c, "schema")?, s(c, "base64url")?).map_err(refused)?;
    expect(decoded == c["decoded"], "decoded")?;
    expect(canonical == s(c, "base64url")?, "canonical encoding")?;
    let text = b64url_decode_strict(&canonical).map_err(refused)?;
    expect(text == s(c, "canonicalJson")?.as_bytes(), "canonical JSON")
}

fn check_oracle(c: &Value, _: &Value) -> Outcome {
    expect(
        b64url_encode(s(c, "json")?.as_bytes()) == s(c, "base64url")?,
        "base64url of json",
    )?;
    let (decoded, _) = decode(s(c, "schema")?, s(c, "base64url")?).map_err(refused)?;
    expect(decoded == c["decoded"], "decoded")
}

fn check_uri(c: &Value, _: &Value) -> Outcome {
    let address = federation::parse_address(s(c, "uri")?).map_err(refused)?;
    expect(
        address.host == s(c, "host")? && address.repo_id == s(c, "repoId")?,
        "parse",
    )?;
    let formatted = federation::format_address(s(c, "host")?, s(c, "repoId")?).map_err(refused)?;
    expect(formatted == s(c, "uri")?, "format")
}

/// Sealed identities: the crate re-derives the Argon2id key itself (the checker aid is unused).
fn check_identity(c: &Value, _: &Value) -> Outcome {
    let blob = serde_json::to_string(&c["sealed"]).map_err(|e| e.to_string())?;
    let secret = s(c, "secret")?;
    let unlock = match s(c, "unlockWith")? {
        "passphrase" => Unlock::Passphrase(secret),
        "recoveryCode" => Unlock::RecoveryCode(secret),
        other => return Err(format!("unknown unlockWith {other:?}")),
    };
    match (Identity::open(&blob, unlock), s(c, "verdict")?) {
        (Ok(identity), "accept") => {
            expect(
                b64encode(&identity.ed25519_public_key()) == s(c, "ed25519PublicKey")?,
                "Ed25519 key",
            )?;
            expect(
                b64encode(&identity.x25519_public_key()) == s(c, "x25519PublicKey")?,
                "X25519 key",
            )
        }
        (Ok(_), _) => Err("opened where it must fail".into()),
        (Err(e), _) => must_fail(Err(e), c["expectedError"].as_str().unwrap_or("(accept)")),
    }
}

/// A block whose `?` stops at its own end: the error a negative op raised.
fn attempt(op: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    op()
}

/// Run one negative op: `Ok(Err(code))` is the error the crate raised. Inputs are read leniently
/// (a missing field is empty, a counter out of `i128` is `i128::MAX`): refusing them is the op's job.
fn negative_op(c: &Value) -> Result<Result<(), Error>, String> {
    let text = |key: &str| c[key].as_str().unwrap_or("");
    let b64_of = |key: &str| b64decode_strict(text(key), None);
    let secret_of = |what: &str, key: &str| Secret32::from_slice(what, &b64_of(key)?);
    let iv_of = |key: &str| aead::iv_from_slice(&b64_of(key)?);
    let header = || Header {
        repo_id: text("repoId"),
        payload_version: counter(c, "payloadVersion").unwrap_or(i128::MAX),
        key_epoch: counter(c, "keyEpoch").unwrap_or(i128::MAX),
    };
    let outcome = match text("op") {
        "payload-decrypt" => attempt(|| {
            let key = secret_of("key", "keyB64")?;
            let (iv, ct) = (iv_of("ivB64")?, b64_of("ciphertextB64")?);
            payload::open_payload(&key, &header(), &iv, &ct).map(drop)
        }),
        "key-unwrap" => attempt(|| {
            let w = WrappedKey::from_wire(
                c["schemeId"].as_str().unwrap_or(wrap::SCHEME_ID),
                text("ephemeralPublicKeyB64"),
                text("ivB64"),
                text("ciphertextB64"),
            )?;
            let private = secret_of("recipient", "recipientPrivateKeyB64")?;
            wrap::unwrap_key(&w, &private).map(drop)
        }),
        "key-wrap" => attempt(|| {
            let data_key = secret_of("data key", "dataKeyB64")?;
            let recipient = b64decode_strict(text("recipientPublicKeyB64"), Some(32))?;
            let ephemeral = secret_of("ephemeral", "ephemeralPrivateKeyB64")?;
            let iv = iv_of("ivB64")?;
            let recipient: [u8; 32] = recipient.try_into().expect("length checked");
            wrap::wrap_key_deterministic(&data_key, &recipient, &ephemeral, &iv).map(drop)
        }),
        "x25519" => attempt(|| {
            let scalar = Secret32::from_slice(
                "scalar",
                &hex::decode(text("scalarHex")).unwrap_or_default(),
            )?;
            let u: [u8; 32] = hex::decode(text("uCoordinateHex"))
                .unwrap_or_default()
                .try_into()
                .unwrap_or([0; 32]);
            x25519::diffie_hellman(&scalar, &u).map(drop)
        }),
        "aad" => header().aad().map(drop),
        "base64-decode" => {
            b64decode_strict(text("input"), c["length"].as_u64().map(|n| n as usize)).map(drop)
        }
        "invite-decode" => federation::decode_invite(text("token")).map(drop),
        "locator-decode" => federation::decode_locator(text("token")).map(drop),
        "address-parse" => federation::parse_address(text("uri")).map(drop),
        _ => return Err(format!("unknown op {}", c["op"])),
    };
    Ok(outcome)
}

fn check_negative(c: &Value, _: &Value) -> Outcome {
    expect(c["expect"] == "reject", "expect")?;
    if c["op"] == "ed25519-verify" {
        let verified = strict_verify(
            &hx(c, "publicKeyHex")?,
            &hx(c, "messageHex")?,
            &hx(c, "signatureHex")?,
        );
        return expect(!verified, "the signature verifies");
    }
    must_fail(negative_op(c)?, s(c, "expectedError")?)
}

fn pointer<'a>(root: &'a Value, at: &str) -> Result<&'a Value, String> {
    root.pointer(at).ok_or_else(|| format!("no value at {at}"))
}

fn jwk_thumbprint(public: &[u8]) -> String {
    let jwk = format!(
        "{{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"{}\"}}",
        b64url_encode(public)
    );
    b64url_encode(&Sha256::digest(jwk.as_bytes()))
}

fn open_at(target: &Value, key: &Secret32) -> Result<Result<Vec<u8>, Error>, String> {
    let iv: [u8; 12] = arr(&b64(target, "iv")?, "iv")?;
    let ct = b64(target, "ciphertext")?;
    Ok(payload::open_payload(
        key,
        &header(target, "keyEpoch")?,
        &iv,
        &ct,
    ))
}

fn check_step(c: &Value, doc: &Value) -> Outcome {
    let server = b64(&doc["server"], "ed25519PublicKey")?;
    let kid = s(&doc["server"], "kid")?;
    expect(jwk_thumbprint(&server) == kid, "server kid")?;
    let secrets = &doc["secrets"];
    if let Some(auth) = c["request"]["headers"]["Authorization"].as_str() {
        let token_step = doc["cases"].as_array().ok_or("cases")?.iter().find(|step| {
            step["actor"] == c["actor"]
                && step["name"].as_str().is_some_and(|n| n.ends_with("-token"))
        });
        let token = token_step
            .and_then(|step| step["response"]["body"]["token"].as_str())
            .unwrap_or("");
        expect(
            auth == format!("Bearer {token}"),
            "bearer token of the acting actor",
        )?;
    }
    for check in c["checks"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let target = pointer(c, s(check, "at")?)?;
        let data_key = || {
            secret(
                &b64(&secrets["dataKeys"], s(check, "dataKey")?)?,
                "data key",
            )
        };
        match s(check, "check")? {
            "nonce-signature" => {
                let ok = strict_verify(
                    &b64(target, "ed25519PublicKey")?,
                    &b64(target, "nonce")?,
                    &b64(target, "signature")?,
                );
                expect(ok, "nonce signature")?;
            }
            "jwt" => {
                let token = target.as_str().ok_or("token")?;
                let parts: Vec<&str> = token.split('.').collect();
                let [head, claims, sig] = parts[..] else {
                    return Err("JWT parts".into());
                };
                let sig = b64url_decode_strict(sig).map_err(refused)?;
                expect(
                    strict_verify(&server, format!("{head}.{claims}").as_bytes(), &sig),
                    "JWT signature",
                )?;
                let parse = |part: &str| -> Result<Value, String> {
                    let bytes = b64url_decode_strict(part).map_err(refused)?;
                    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
                };
                expect(
                    parse(head)? == json!({"alg": "EdDSA", "typ": "JWT", "kid": kid}),
                    "JWT header",
                )?;
                let body = parse(claims)?;
                expect(
                    body["sub"] == format!("key:{}", s(check, "subject")?)
                        && body["kind"] == "keypair",
                    "JWT claims",
                )?;
                let audience = body["aud"] == doc["base"] && body["iss"] == doc["base"];
                expect(
                    audience && body["exp"].as_u64() > body["iat"].as_u64(),
                    "JWT audience",
                )?;
            }
            "jwks" => {
                let jwk_ok = target["kty"] == "OKP"
                    && target["crv"] == "Ed25519"
                    && target["alg"] == "EdDSA";
                expect(jwk_ok, "JWK")?;
                let x = b64url_decode_strict(s(target, "x")?).map_err(refused)?;
                expect(x == server && s(target, "kid")? == kid, "JWK key")?;
            }
            "key-binding" => {
                let sig = arr(&b64(target, "keyBindingSig")?, "keyBindingSig")?;
                let issuer = arr(&server, "server key")?;
                let (ed, x) = (
                    s(target, "ed25519PublicKey")?,
                    s(target, "x25519PublicKey")?,
                );
                expect(
                    binding::key_binding_verify(&issuer, ed, x, &sig).map_err(refused)?,
                    "key binding",
                )?;
            }
            "unwrap" => {
                let actor = &doc["actors"][s(check, "actor")?];
                let private = secret(&b64(actor, "x25519PrivateB64")?, "x25519 private key")?;
                let key = wrap::unwrap_key(&wrapped_from(target)?, &private).map_err(refused)?;
                expect(
                    b64encode(key.expose()) == s(&secrets["dataKeys"], s(check, "dataKey")?)?,
                    "unwrap",
                )?;
            }
            "decrypt" => {
                let plaintext = open_at(target, &data_key()?)?.map_err(refused)?;
                expect(
                    plaintext == s(&secrets["plaintexts"], s(check, "plaintext")?)?.as_bytes(),
                    "decrypt",
                )?;
            }
            "decrypt-fails" => {
                must_fail(
                    open_at(target, &data_key()?)?.map(drop),
                    s(check, "expectedError")?,
                )?;
            }
            other => return Err(format!("unknown check {other:?}")),
        }
    }
    Ok(())
}

fn plaintext_of(c: &Value) -> Result<Vec<u8>, String> {
    match (c.get("plaintextUtf8"), c.get("plaintextHex")) {
        (Some(_), None) => Ok(s(c, "plaintextUtf8")?.as_bytes().to_vec()),
        (None, Some(_)) => hx(c, "plaintextHex"),
        _ => Err("exactly one of plaintextUtf8 and plaintextHex".into()),
    }
}

fn check_payload_parse(c: &Value, _: &Value) -> Outcome {
    let plaintext = plaintext_of(c)?;
    match s(c, "verdict")? {
        "accept" => {
            let on = parse_payload(plaintext.clone(), true).map_err(refused)?;
            let off = parse_payload(plaintext, false).map_err(refused)?;
            let version = on.payload_version;
            expect(
                c["payloadVersion"].as_u64() == Some(version),
                "payloadVersion",
            )?;
            expect(
                c["altCount"].as_u64() == Some(on.alts.len() as u64),
                "altCount",
            )?;
            expect(
                write_payload(&on.alts, version, true) == s(c, "canonicalUtf8")?.as_bytes(),
                "canonicalUtf8",
            )?;
            expect(
                write_payload(&off.alts, version, false) == s(c, "strippedUtf8")?.as_bytes(),
                "strippedUtf8",
            )
        }
        "reject" => must_fail(
            parse_payload(plaintext, true).map(drop),
            s(c, "expectedError")?,
        ),
        other => Err(format!("unknown verdict {other:?}")),
    }
}

type Checker = fn(&Value, &Value) -> Outcome;

fn checkers(id: &str) -> Option<Vec<(&'static str, Checker)>> {
    let one = |f: Checker| Some(vec![("cases", f)]);
    match id {
        "aad" => one(check_aad),
        "key-binding-message" => one(check_binding_message),
        "hkdf" => one(check_hkdf),
        "x25519" => one(check_x25519),
        "ed25519" => one(check_ed25519),
        "ed25519-policy" => one(check_policy),
        "key-binding" => one(check_key_binding),
        "challenge" => one(check_challenge),
        "payload-aead" => one(check_payload),
        "payload-aead-sizes" => one(check_sizes),
        "payload-parse" => one(check_payload_parse),
        "key-wrap" => one(check_key_wrap),
        "federation" => Some(vec![
            ("tokens", check_token as Checker),
            ("uris", check_uri),
            ("decodeOracles", check_oracle),
        ]),
        "negative" | "negative-extended" => one(check_negative),
        "identity" => one(check_identity),
        "transcript" => one(check_step),
        _ => None,
    }
}

#[test]
fn every_case_of_every_vector_file_verifies() {
    let dir = vectors_dir();
    let index: Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).expect("vectors/index.json"))
            .unwrap();
    let mut failures = Vec::new();
    let mut report = String::from("vectors: Rust verifier (avp-crypto public API)\n");
    for entry in index["vectors"].as_array().expect("vectors list") {
        let (id, file) = (
            entry["id"].as_str().unwrap(),
            entry["file"].as_str().unwrap(),
        );
        let Some(lists) = checkers(id) else {
            failures.push(format!("{file}: unknown file {id:?}"));
            continue;
        };
        let doc: Value = serde_json::from_slice(&fs::read(dir.join(file)).unwrap()).unwrap();
        let (mut checked, before) = (0u64, failures.len());
        for (key, checker) in lists {
            for case in doc[key].as_array().map(Vec::as_slice).unwrap_or_default() {
                checked += 1;
                if let Err(why) = checker(case, &doc) {
                    failures.push(format!("{file}: {}: {why}", case["name"]));
                }
            }
        }
        if Some(checked) != entry["cases"].as_u64() {
            failures.push(format!(
                "{file}: index.json announces {} cases, {checked} checked",
                entry["cases"]
            ));
        }
        let failed = failures.len() - before;
        report.push_str(&format!(
            "{file:28} checked {checked:5}  failed {failed:3}\n"
        ));
    }
    std::io::stderr()
        .write_all(report.as_bytes())
        .expect("stderr");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn load(file: &str) -> Value {
    serde_json::from_slice(&fs::read(vectors_dir().join(file)).unwrap()).unwrap()
}

fn find<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    let cases = doc["cases"].as_array_mut().unwrap();
    cases.iter_mut().find(|c| c["name"] == name).unwrap()
}

#[test]
fn tampered_cases_are_caught() {
    let mut policy = load("ed25519-policy.json");
    let universal = find(&mut policy, "universal/identity-key");
    universal["verdict"] = json!("accept");
    assert!(check_policy(universal, &Value::Null).is_err());

    let mut negative = load("negative.json");
    let flipped = find(&mut negative, "payload/flipped-tag");
    flipped["expectedError"] = json!("invalid_key");
    assert!(check_negative(flipped, &Value::Null).is_err());
    let unknown_op = find(&mut negative, "payload/bit-flipped-body");
    unknown_op["op"] = json!("payload-encrypt");
    assert!(check_negative(unknown_op, &Value::Null).is_err());

    let mut parse = load("payload-parse.json");
    let every = find(&mut parse, "accept/every-field");
    every["strippedUtf8"] = every["canonicalUtf8"].clone();
    assert!(check_payload_parse(every, &Value::Null).is_err());
    let duplicate = find(&mut parse, "reject/duplicate/alt-uuid");
    duplicate["verdict"] = json!("accept");
    assert!(check_payload_parse(duplicate, &Value::Null).is_err());

    let mut transcript = load("transcript.json");
    transcript["secrets"]["plaintexts"]["v3"] = json!("{}");
    let removal = transcript["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().ends_with("alice-remove-bob"))
        .unwrap();
    assert!(check_step(removal, &transcript).is_err());
}
