//! The one error type of the crate.

use std::fmt;

/// Every failure of the crate. Authentication failures are deliberately opaque (no detail on
/// which byte or which step failed); shape errors carry what was wrong.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Authenticated decryption failed: wrong key, tampered data or wrong AAD.
    InvalidTag,
    /// A sealed identity did not open with the given passphrase or recovery code.
    InvalidPassphrase,
    /// A key has the wrong length, is a low-order point or gives an all-zero shared secret.
    InvalidKey(String),
    /// A wrapped key or sealed identity names a scheme or version this crate does not know.
    UnsupportedScheme(String),
    /// Non-canonical base64, malformed token JSON or a wrong-length field.
    InvalidEncoding(String),
    /// A counter outside `0 ..= 2^53 - 1`.
    CounterOutOfRange(String),
    /// An `avp://host/repoId` address that does not parse.
    InvalidAddress(String),
    /// Signed writes: a write whose signature does not verify, or signed by a non-member.
    WriteUnauthenticated(String),
    /// Signed writes: a roster change not signed by a member of the previous roster.
    RosterUnauthenticated(String),
    /// Signed writes: an unsigned state in a repository that was signed before.
    DowngradeDetected(String),
    /// Signed writes: two signed states for one version, or a state not chained to the one held.
    ForkDetected(String),
}

impl Error {
    /// The stable snake_case code shared with the Python exceptions and the servers.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidTag => "invalid_tag",
            Error::InvalidPassphrase => "invalid_passphrase",
            Error::InvalidKey(_) => "invalid_key",
            Error::UnsupportedScheme(_) => "unsupported_scheme",
            Error::InvalidEncoding(_) => "invalid_encoding",
            Error::CounterOutOfRange(_) => "counter_out_of_range",
            Error::InvalidAddress(_) => "invalid_address",
            Error::WriteUnauthenticated(_) => "write_unauthenticated",
            Error::RosterUnauthenticated(_) => "roster_unauthenticated",
            Error::DowngradeDetected(_) => "downgrade_detected",
            Error::ForkDetected(_) => "fork_detected",
        }
    }

    /// A wrong-length key.
    pub(crate) fn key_length(what: &str, expected: usize, actual: usize) -> Self {
        Error::InvalidKey(format!("{what} must be {expected} bytes, got {actual}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidTag => f.write_str("authentication failed"),
            Error::InvalidPassphrase => f.write_str("wrong passphrase or recovery code"),
            Error::InvalidKey(m)
            | Error::UnsupportedScheme(m)
            | Error::InvalidEncoding(m)
            | Error::CounterOutOfRange(m)
            | Error::InvalidAddress(m)
            | Error::WriteUnauthenticated(m)
            | Error::RosterUnauthenticated(m)
            | Error::DowngradeDetected(m)
            | Error::ForkDetected(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
