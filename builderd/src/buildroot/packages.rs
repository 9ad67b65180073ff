//! A buildroot's component list, read from its rpmdb: what `host.setBuildRootList` and
//! `installed_pkgs.log` record.

use common::xmlrpc::{Struct, Value};

/// One installed package (Koji's `getPackageList` fields; `payloadhash` is the SIGMD5 in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    /// Name.
    pub name: String,
    /// Epoch, if the package has one.
    pub epoch: Option<i64>,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Arch.
    pub arch: String,
    /// SIGMD5 in lower-case hex (Koji's `payloadhash`).
    pub payloadhash: String,
    /// Installed size in bytes.
    pub size: i64,
    /// Build time, seconds since the epoch.
    pub buildtime: i64,
}

/// The `rpm -qa --queryformat` that `parse_query` reads: one tab-separated line per package.
pub const QUERY_FORMAT: &str =
    "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SIGMD5}\\t%{SIZE}\\t%{BUILDTIME}\\n";

/// Reads `rpm -qa --queryformat QUERY_FORMAT` output; `gpg-pubkey` entries are left out, as
/// Koji does. Lines that do not have the eight fields are an error.
pub fn parse_query(text: &str) -> Result<Vec<InstalledPackage>, String> {
    let mut packages = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, epoch, version, release, arch, sigmd5, size, buildtime] = fields.as_slice() else {
            return Err(format!("unexpected rpmdb line: {line:?}"));
        };
        if *name == "gpg-pubkey" {
            continue;
        }
        let number = |what: &str, text: &str| -> Result<i64, String> {
            text.parse()
                .map_err(|_| format!("unexpected {what} {text:?} for {name}"))
        };
        packages.push(InstalledPackage {
            name: (*name).to_owned(),
            epoch: match *epoch {
                "(none)" => None,
                text => Some(number("epoch", text)?),
            },
            version: (*version).to_owned(),
            release: (*release).to_owned(),
            arch: (*arch).to_owned(),
            payloadhash: (*sigmd5).to_owned(),
            size: number("size", size)?,
            buildtime: number("buildtime", buildtime)?,
        });
    }
    packages.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
    Ok(packages)
}

impl InstalledPackage {
    /// `name-[epoch:]version-release.arch`.
    pub fn nevra(&self) -> String {
        match self.epoch {
            Some(epoch) => format!(
                "{}-{epoch}:{}-{}.{}",
                self.name, self.version, self.release, self.arch
            ),
            None => format!("{}-{}-{}.{}", self.name, self.version, self.release, self.arch),
        }
    }

    /// The struct `host.setBuildRootList` takes (kojid's `getPackageList` entries).
    pub fn to_wire(&self) -> Value {
        let mut entry = Struct::new();
        entry.insert("name".into(), Value::from(self.name.as_str()));
        entry.insert("version".into(), Value::from(self.version.as_str()));
        entry.insert("release".into(), Value::from(self.release.as_str()));
        entry.insert("epoch".into(), self.epoch.map_or(Value::Nil, Value::Int));
        entry.insert("arch".into(), Value::from(self.arch.as_str()));
        entry.insert("payloadhash".into(), Value::from(self.payloadhash.as_str()));
        entry.insert("size".into(), Value::Int(self.size));
        entry.insert("buildtime".into(), Value::Int(self.buildtime));
        Value::Struct(entry)
    }
}

/// `installed_pkgs.log`: one `NEVRA BUILDTIME SIZE SIGMD5` line per package, as mock writes it.
pub fn installed_pkgs_log(packages: &[InstalledPackage]) -> String {
    packages
        .iter()
        .map(|p| format!("{} {} {} {}\n", p.nevra(), p.buildtime, p.size, p.payloadhash))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpmdb_lines_are_read() {
        let text = "zlib\t(none)\t1.2\t3.fc40\tx86_64\tab12\t100\t1700000000\n\
                    gpg-pubkey\t(none)\t1\t2\t(none)\t(none)\t0\t0\n\
                    bash\t1\t5.2\t1\tx86_64\tcd34\t200\t1700000001\n";
        let packages = parse_query(text).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].nevra(), "bash-1:5.2-1.x86_64");
        assert_eq!(packages[1].nevra(), "zlib-1.2-3.fc40.x86_64");
        assert_eq!(
            installed_pkgs_log(&packages[1..]),
            "zlib-1.2-3.fc40.x86_64 1700000000 100 ab12\n"
        );
        assert_eq!(
            packages[0].to_wire().get("epoch").and_then(Value::as_i64),
            Some(1)
        );
        let error = parse_query("bash\t1\n").unwrap_err();
        assert!(error.contains("unexpected rpmdb line"), "{error}");
        assert!(parse_query("a\tx\t1\t1\tnoarch\tff\t0\t0\n").is_err());
    }
}
