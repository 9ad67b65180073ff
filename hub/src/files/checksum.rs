//! The checksums uploads are verified with (Koji's `get_verify_class`): Adler-32, MD5 and
//! SHA-256.

use common::checksum::Adler32;
use md5::Digest as _;

use crate::error::{Error, Result};

/// A running checksum of one of the supported kinds.
#[derive(Debug, Clone)]
pub enum Checksum {
    /// Adler-32 (Koji's `fileverify=adler32`).
    Adler32(Adler32),
    /// MD5.
    Md5(md5::Md5),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

impl Checksum {
    /// A fresh checksum of the named kind; empty or nil means none.
    pub fn named(name: &str) -> Result<Option<Checksum>> {
        match name.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "adler32" => Ok(Some(Checksum::Adler32(Adler32::new()))),
            "md5" => Ok(Some(Checksum::Md5(md5::Md5::new()))),
            "sha256" => Ok(Some(Checksum::Sha256(sha2::Sha256::new()))),
            other => Err(Error::InvalidValue(format!("Unsupported verify type: {other}"))),
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Adler32(sum) => sum.update(data),
            Checksum::Md5(sum) => sum.update(data),
            Checksum::Sha256(sum) => sum.update(data),
        }
    }

    /// The checksum as lowercase hex (eight digits for Adler-32).
    pub fn hexdigest(self) -> String {
        match self {
            Checksum::Adler32(sum) => sum.hexdigest(),
            Checksum::Md5(sum) => hex(&sum.finalize()),
            Checksum::Sha256(sum) => hex(&sum.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The checksum of `data` of the named kind.
pub fn digest_of(name: &str, data: &[u8]) -> Result<String> {
    let mut sum =
        Checksum::named(name)?.ok_or_else(|| Error::InvalidValue("a checksum type is required".into()))?;
    sum.update(data);
    Ok(sum.hexdigest())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &str, data: &[u8], expected: &str) {
        assert_eq!(digest_of(kind, data).unwrap(), expected, "{kind}");
    }

    #[test]
    fn digests_match_the_usual_tools() {
        check("adler32", b"", "00000001");
        check("adler32", b"Wikipedia", "11e60398");
        check("md5", b"abc", "900150983cd24fb0d6963f7d28e17f72");
        check(
            "sha256",
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
        assert!(Checksum::named("crc32").is_err());
        assert!(Checksum::named("").unwrap().is_none());
    }
}
