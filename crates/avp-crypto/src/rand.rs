//! The one source of randomness: the operating system's CSPRNG (through ring).

use ring::rand::{SecureRandom, SystemRandom};

/// Fill `buf` with random bytes. The OS generator failing is not recoverable: panic.
pub fn fill(buf: &mut [u8]) {
    SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random generator failed");
}

/// A fresh random array.
pub fn array<const N: usize>() -> [u8; N] {
    let mut a = [0u8; N];
    fill(&mut a);
    a
}
