//! The one source of randomness: AWS-LC's CSPRNG, seeded from the operating system.

/// Fill `buf` with random bytes. The generator failing is not recoverable: panic.
pub fn fill(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random generator failed");
}

/// A fresh random array.
pub fn array<const N: usize>() -> [u8; N] {
    let mut a = [0u8; N];
    fill(&mut a);
    a
}
