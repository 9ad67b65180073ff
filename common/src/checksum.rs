//! Adler-32, the checksum Koji's uploads carry (`fileverify=adler32`).

/// A running Adler-32 (zlib's, initial value 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adler32 {
    a: u32,
    b: u32,
}

impl Default for Adler32 {
    fn default() -> Self {
        Adler32 { a: 1, b: 0 }
    }
}

/// The largest number of bytes that can be summed before the sums must be reduced.
const NMAX: usize = 5552;
const MOD: u32 = 65521;

impl Adler32 {
    /// A fresh checksum.
    pub fn new() -> Adler32 {
        Adler32::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        for chunk in data.chunks(NMAX) {
            for &byte in chunk {
                self.a += u32::from(byte);
                self.b += self.a;
            }
            self.a %= MOD;
            self.b %= MOD;
        }
    }

    /// The checksum value.
    pub fn value(&self) -> u32 {
        (self.b << 16) | self.a
    }

    /// The checksum as Koji writes it: eight lowercase hex digits.
    pub fn hexdigest(&self) -> String {
        format!("{:08x}", self.value())
    }
}

/// The Adler-32 of `data` as eight lowercase hex digits.
pub fn adler32_hex(data: &[u8]) -> String {
    let mut sum = Adler32::new();
    sum.update(data);
    sum.hexdigest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_zlib() {
        assert_eq!(adler32_hex(b""), "00000001");
        assert_eq!(adler32_hex(b"Wikipedia"), "11e60398");
        let big = vec![0xff_u8; 100_000];
        let mut split = Adler32::new();
        split.update(&big[..33_333]);
        split.update(&big[33_333..]);
        assert_eq!(split.hexdigest(), adler32_hex(&big));
    }
}
