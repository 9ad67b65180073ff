//! Packages in the file store: reading rpm headers (with the `rpm` crate, never by parsing
//! command output), and where imported builds, their logs and scratch results live under
//! `topdir` (Koji's `pathinfo`).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use md5::Digest as _;

use crate::error::{Error, Result};

/// What an import needs from an rpm's headers and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmHeader {
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The release.
    pub release: String,
    /// The epoch, if the header has one.
    pub epoch: Option<i32>,
    /// The arch; `src` for source packages (their header says the build arch).
    pub arch: String,
    /// A source package.
    pub source: bool,
    /// The header's BUILDTIME.
    pub buildtime: i64,
    /// The source rpm's file name, for binary packages.
    pub sourcerpm: Option<String>,
    /// Hex of the signature header's MD5 digest (Koji's `payloadhash`, from SIGMD5).
    pub payloadhash: String,
    /// The file size.
    pub size: i64,
    /// Hex md5 of the raw signature header (`rpmsigs.sighash`).
    pub sighash: String,
    /// The signing key's short id (last 8 hex digits, lower case), `""` when unsigned.
    pub sigkey: String,
}

impl RpmHeader {
    /// The file name Koji expects: `name-version-release.arch.rpm`.
    pub fn expected_filename(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }

    /// `name-version-release`.
    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }
}

fn bad_rpm(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::Generic(format!("Error reading rpm header {}: {detail}", path.display()))
}

/// The lead is 96 bytes; the signature header follows it.
const LEAD_SIZE: usize = 96;

/// Reads the raw signature header (Koji's `rip_rpm_sighdr`): its 16-byte intro, index and data.
fn signature_header_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut start = [0_u8; LEAD_SIZE + 16];
    file.read_exact(&mut start).map_err(|e| bad_rpm(path, e))?;
    let intro = start.get(LEAD_SIZE..).unwrap_or_default();
    let word = |at: usize| -> usize {
        intro
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u32::from_be_bytes(b) as usize)
    };
    let (n_index, data_size) = (word(8), word(12));
    let rest_len = n_index.saturating_mul(16).saturating_add(data_size);
    if rest_len > 64 << 20 {
        return Err(bad_rpm(path, "signature header too large"));
    }
    let mut header = intro.to_vec();
    let mut rest = vec![0_u8; rest_len];
    file.read_exact(&mut rest).map_err(|e| bad_rpm(path, e))?;
    header.extend_from_slice(&rest);
    Ok(header)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an rpm's header fields and digests. Blocking: call it from `spawn_blocking`.
pub fn read_header(path: &Path) -> Result<RpmHeader> {
    let metadata = rpm::PackageMetadata::open(path).map_err(|e| bad_rpm(path, e))?;
    let text = |r: std::result::Result<&str, rpm::Error>| r.map(str::to_owned).map_err(|e| bad_rpm(path, e));
    let source = metadata.is_source_package();
    let epoch = match metadata.get_epoch() {
        Ok(epoch) => Some(i32::try_from(epoch).map_err(|e| bad_rpm(path, e))?),
        Err(rpm::Error::TagNotFound(_)) => None,
        Err(e) => return Err(bad_rpm(path, e)),
    };
    let sourcerpm = if source {
        None
    } else {
        Some(text(metadata.get_source_rpm())?)
    };
    let sigmd5 = metadata
        .signature
        .get_entry_data_as_binary(rpm::IndexSignatureTag::RPMSIGTAG_MD5)
        .map_err(|e| bad_rpm(path, e))?;
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    let sighash = hex(&md5::Md5::digest(signature_header_bytes(path)?));
    // Koji's get_sighdr_key: the first signature found among GPG, PGP, DSA and RSA.
    let sigkey = [
        rpm::IndexSignatureTag::RPMSIGTAG_GPG,
        rpm::IndexSignatureTag::RPMSIGTAG_PGP,
        rpm::IndexSignatureTag::RPMSIGTAG_DSA,
        rpm::IndexSignatureTag::RPMSIGTAG_RSA,
    ]
    .into_iter()
    .find_map(|tag| metadata.signature.get_entry_data_as_binary(tag).ok())
    .map_or(Ok(String::new()), |packet| {
        signature_key_id(packet).ok_or_else(|| bad_rpm(path, "unreadable signature packet"))
    })?;
    Ok(RpmHeader {
        name: text(metadata.get_name())?,
        version: text(metadata.get_version())?,
        release: text(metadata.get_release())?,
        epoch,
        arch: if source {
            "src".to_owned()
        } else {
            text(metadata.get_arch())?
        },
        source,
        buildtime: i64::try_from(metadata.get_build_time().map_err(|e| bad_rpm(path, e))?)
            .unwrap_or(i64::MAX),
        sourcerpm,
        payloadhash: hex(sigmd5),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        sighash,
        sigkey,
    })
}

/// The short key id (last 4 bytes as lower-case hex, as Koji's `get_sigpacket_key_id`) of an
/// OpenPGP signature packet: from a v3 packet's key id, or a v4 packet's issuer (or issuer
/// fingerprint) subpacket.
pub fn signature_key_id(packet: &[u8]) -> Option<String> {
    let first = *packet.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if first & 0x40 != 0 {
        let len0 = usize::from(*packet.get(1)?);
        let (len, start): (usize, usize) = match len0 {
            0..=191 => (len0, 2),
            192..=223 => (((len0 - 192) << 8) + usize::from(*packet.get(2)?) + 192, 3),
            255 => (be(packet.get(2..6)?), 6),
            _ => return None,
        };
        (first & 0x3f, packet.get(start..start.checked_add(len)?)?)
    } else {
        let (len, start): (usize, usize) = match first & 3 {
            0 => (usize::from(*packet.get(1)?), 2),
            1 => (be(packet.get(1..3)?), 3),
            2 => (be(packet.get(1..5)?), 5),
            _ => (packet.len().checked_sub(1)?, 1),
        };
        ((first >> 2) & 0x0f, packet.get(start..start.checked_add(len)?)?)
    };
    if tag != 2 {
        return None;
    }
    let key_id: &[u8] = match *body.first()? {
        3 => body.get(7..15)?,
        4 => {
            let hashed_len = be(body.get(4..6)?);
            let hashed = body.get(6..6 + hashed_len)?;
            let rest = body.get(6 + hashed_len..)?;
            let unhashed_len = be(rest.get(0..2)?);
            let unhashed = rest.get(2..2 + unhashed_len)?;
            issuer(hashed).or_else(|| issuer(unhashed))?
        }
        _ => return None,
    };
    Some(hex(key_id.get(key_id.len().checked_sub(4)?..)?))
}

/// A big-endian number of 2 or 4 bytes.
fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0, |n, b| (n << 8) | usize::from(*b))
}

/// The issuer key id (subpacket 16) or fingerprint (subpacket 33) among v4 subpackets.
fn issuer(mut subpackets: &[u8]) -> Option<&[u8]> {
    let mut fingerprint = None;
    while let Some(&len0) = subpackets.first() {
        let len0 = usize::from(len0);
        let (len, start) = match len0 {
            0..=191 => (len0, 1),
            192..=254 => (((len0 - 192) << 8) + usize::from(*subpackets.get(1)?) + 192, 2),
            _ => (be(subpackets.get(1..5)?), 5),
        };
        let sub = subpackets.get(start..start + len)?;
        match sub.first().map(|t| t & 0x7f) {
            Some(16) => return sub.get(1..9),
            Some(33) => fingerprint = sub.get(2..),
            _ => {}
        }
        subpackets = subpackets.get(start + len..)?;
    }
    fingerprint
}

/// Reads a header off the runtime's threads.
pub async fn read_header_async(path: PathBuf) -> Result<RpmHeader> {
    tokio::task::spawn_blocking(move || read_header(&path))
        .await
        .map_err(|e| Error::Internal(format!("rpm header reader died: {e}")))?
}

/// A changelog entry of an rpm header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogEntry {
    /// Seconds since the epoch.
    pub date_ts: i64,
    /// The author line.
    pub author: String,
    /// The text.
    pub text: String,
}

/// Reads an rpm's changelog. Blocking.
pub fn read_changelog(path: &Path) -> Result<Vec<ChangelogEntry>> {
    let metadata = rpm::PackageMetadata::open(path).map_err(|e| bad_rpm(path, e))?;
    let entries = metadata.get_changelog_entries().map_err(|e| bad_rpm(path, e))?;
    Ok(entries
        .into_iter()
        .map(|e| ChangelogEntry {
            date_ts: i64::try_from(e.timestamp).unwrap_or(i64::MAX),
            author: e.name,
            text: e.description,
        })
        .collect())
}

/// A header value for `getRPMHeaders`: text, a number, or absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A string header.
    Text(String),
    /// A numeric header.
    Number(i64),
    /// The header is not in the file, or Kiln does not read it.
    Missing,
}

/// Reads the named headers (lower-case rpm tag names without `RPMTAG_`) of an rpm. Blocking.
pub fn read_named_headers(path: &Path, names: &[String]) -> Result<Vec<(String, HeaderValue)>> {
    let metadata = rpm::PackageMetadata::open(path).map_err(|e| bad_rpm(path, e))?;
    let text = |r: std::result::Result<&str, rpm::Error>| {
        r.map_or(HeaderValue::Missing, |t| HeaderValue::Text(t.to_owned()))
    };
    let number = |r: std::result::Result<u64, rpm::Error>| {
        r.ok()
            .and_then(|n| i64::try_from(n).ok())
            .map_or(HeaderValue::Missing, HeaderValue::Number)
    };
    Ok(names
        .iter()
        .map(|name| {
            let value = match name.to_ascii_lowercase().as_str() {
                "name" => text(metadata.get_name()),
                "version" => text(metadata.get_version()),
                "release" => text(metadata.get_release()),
                "arch" => text(metadata.get_arch()),
                "epoch" => number(metadata.get_epoch().map(u64::from)),
                "license" => text(metadata.get_license()),
                "summary" => text(metadata.get_summary()),
                "description" => text(metadata.get_description()),
                "url" => text(metadata.get_url()),
                "vendor" => text(metadata.get_vendor()),
                "packager" => text(metadata.get_packager()),
                "group" => text(metadata.get_group()),
                "buildhost" => text(metadata.get_build_host()),
                "buildtime" => number(metadata.get_build_time()),
                "sourcerpm" => text(metadata.get_source_rpm()),
                "size" => number(metadata.get_installed_size()),
                _ => HeaderValue::Missing,
            };
            (name.clone(), value)
        })
        .collect())
}

/// A build's directory relative to topdir: `packages/<name>/<version>/<release>`.
pub fn build_rel(name: &str, version: &str, release: &str) -> String {
    format!("packages/{name}/{version}/{release}")
}

/// An rpm's path relative to topdir: `…/<arch>/<N-V-R.A>.rpm`.
pub fn rpm_rel(build_rel: &str, arch: &str, filename: &str) -> String {
    format!("{build_rel}/{arch}/{filename}")
}

/// A build's log directory for an arch, relative to topdir: `…/data/logs/<arch>`.
pub fn logs_rel(build_rel: &str, arch: &str) -> String {
    format!("{build_rel}/data/logs/{arch}")
}

/// A scratch build's directory relative to topdir: `scratch/<user>/task_<id>`.
pub fn scratch_rel(user: &str, task_id: i64) -> String {
    format!("scratch/{user}/task_{task_id}")
}

/// Resolves a path relative to `topdir/work` as builders and uploads name them, refusing `..`,
/// absolute paths and symbolic links; the file must exist.
pub fn work_file(topdir: &Path, relpath: &str) -> Result<PathBuf> {
    let parts = super::paths::upload_components(relpath)?;
    let mut path = super::paths::work_dir(topdir);
    for part in &parts {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|_| Error::Generic(format!("No such file: {relpath}")))?;
        if meta.file_type().is_symlink() {
            return Err(Error::InvalidFileName {
                name: relpath.to_owned(),
            });
        }
    }
    Ok(path)
}

/// Puts `source` at `topdir/<dest_rel>`: a hard link when possible, else a copy, so the
/// original in `work/` stays until the whole import has committed. An existing destination
/// (a retried import) is replaced.
pub fn place(topdir: &Path, source: &Path, dest_rel: &str) -> Result<PathBuf> {
    let dest = topdir.join(dest_rel);
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    match std::fs::remove_file(&dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("replace", &dest, e)),
    }
    if std::fs::hard_link(source, &dest).is_err() {
        std::fs::copy(source, &dest).map_err(|e| Error::io("copy", &dest, e))?;
    }
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_koji() {
        let build = build_rel("foo", "1.0", "1.fc40");
        assert_eq!(build, "packages/foo/1.0/1.fc40");
        assert_eq!(
            rpm_rel(&build, "noarch", "foo-1.0-1.fc40.noarch.rpm"),
            "packages/foo/1.0/1.fc40/noarch/foo-1.0-1.fc40.noarch.rpm"
        );
        assert_eq!(
            logs_rel(&build, "x86_64"),
            "packages/foo/1.0/1.fc40/data/logs/x86_64"
        );
        assert_eq!(scratch_rel("bob", 42), "scratch/bob/task_42");
    }

    #[test]
    fn work_files_stay_inside_work() {
        let top = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(top.path().join("work/a")).unwrap();
        std::fs::write(top.path().join("work/a/x.rpm"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", top.path().join("work/a/link.rpm")).unwrap();
        assert!(work_file(top.path(), "a/x.rpm").is_ok());
        assert!(work_file(top.path(), "a/../../etc/passwd").is_err());
        assert!(work_file(top.path(), "a/link.rpm").is_err());
        assert_eq!(
            work_file(top.path(), "a/none.rpm").unwrap_err().to_string(),
            "No such file: a/none.rpm"
        );
    }

    #[test]
    fn key_ids_come_from_signature_packets() {
        // A v4 signature packet (old format, 1-byte length) with an issuer subpacket in the
        // unhashed area.
        let mut body = vec![
            4, 0, 1, 8, 0, 0, 0, 10, 9, 16, 1, 2, 3, 4, 0xfd, 0x43, 0x1d, 0x51, 0, 0,
        ];
        let mut packet = vec![0x88, u8::try_from(body.len()).unwrap()];
        packet.append(&mut body);
        assert_eq!(signature_key_id(&packet).as_deref(), Some("fd431d51"));
        // A v3 packet carries the key id at a fixed place.
        let body = [
            3, 5, 0, 0, 0, 0, 0, 9, 9, 9, 9, 0xab, 0xcd, 0xef, 0x01, 1, 8, 0, 0,
        ];
        let mut packet = vec![0x88, u8::try_from(body.len()).unwrap()];
        packet.extend_from_slice(&body);
        assert_eq!(signature_key_id(&packet).as_deref(), Some("abcdef01"));
        assert_eq!(signature_key_id(&[0x01, 0x02]), None);
    }

    #[test]
    fn garbage_is_not_an_rpm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.rpm");
        std::fs::write(&path, b"not an rpm at all").unwrap();
        assert!(
            read_header(&path)
                .unwrap_err()
                .to_string()
                .starts_with("Error reading rpm header")
        );
    }
}
