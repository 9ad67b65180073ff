//! The typed view of `xmd.mbs`, the part of `xmd` that MBS owns and writes (modulemd.md §7).

use std::collections::BTreeMap;

use super::types::{ModuleStream, XmdValue};

/// The key of MBS's own `xmd` section.
pub const MBS_XMD_KEY: &str = "mbs";

/// `xmd.mbs` as MBS writes it after submit and init.
///
/// Keys this type does not model (`koji_tag`, `disttag_marking`, `virtual_streams`,
/// `rpm_component_ref_overrides`, …) are kept in `other` and written back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MbsXmd {
    /// Built with module stream expansion (`mse: TRUE`).
    pub mse: bool,
    /// The module's SCM URL; "" for YAML submissions.
    pub scmurl: Option<String>,
    /// The full module commit; "" for YAML submissions.
    pub commit: Option<String>,
    /// The submitted branch.
    pub branch: Option<String>,
    /// Every resolved build dependency by module name.
    pub buildrequires: BTreeMap<String, XmdBuildrequire>,
    /// Resolved component refs by package.
    pub rpms: BTreeMap<String, XmdRpm>,
    /// Other keys, unchanged.
    pub other: BTreeMap<String, XmdValue>,
}

/// One `xmd.mbs.buildrequires` entry: the exact module build a dependency resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmdBuildrequire {
    /// The dependency's module commit.
    pub git_ref: Option<String>,
    /// Its stream.
    pub stream: String,
    /// Its version, as a string (MBS writes it quoted).
    pub version: String,
    /// Its context.
    pub context: String,
    /// Its Koji tag.
    pub koji_tag: Option<String>,
    /// `N-E:V-R` of its RPMs whose names are in its `filter.rpms`.
    pub filtered_rpms: Vec<String>,
    /// Other keys (`ursine_rpms`, `stream_collision_modules`, …), unchanged.
    pub other: BTreeMap<String, XmdValue>,
}

/// One `xmd.mbs.rpms` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmdRpm {
    /// The resolved 40-hex commit; `None` for custom-SRPM components.
    pub git_ref: Option<String>,
    /// Other keys, unchanged.
    pub other: BTreeMap<String, XmdValue>,
}

impl MbsXmd {
    /// Reads `xmd.mbs` from a stream; `None` when the stream has none.
    ///
    /// Values of unexpected types in modelled keys are treated as absent and kept in `other`.
    pub fn from_stream(stream: &ModuleStream) -> Option<MbsXmd> {
        let map = stream.xmd.get(MBS_XMD_KEY)?.as_map()?;
        let mut xmd = MbsXmd::default();
        for (key, value) in map {
            match (key.as_str(), value) {
                ("mse", XmdValue::Bool(mse)) => xmd.mse = *mse,
                ("mse", XmdValue::String(text)) if text.eq_ignore_ascii_case("true") => xmd.mse = true,
                ("scmurl", XmdValue::String(text)) => xmd.scmurl = Some(text.clone()),
                ("commit", XmdValue::String(text)) => xmd.commit = Some(text.clone()),
                ("branch", XmdValue::String(text)) => xmd.branch = Some(text.clone()),
                ("buildrequires", XmdValue::Map(entries)) => {
                    for (name, entry) in entries {
                        if let Some(entry) = entry.as_map() {
                            xmd.buildrequires
                                .insert(name.clone(), XmdBuildrequire::from_map(entry));
                        }
                    }
                }
                ("rpms", XmdValue::Map(entries)) => {
                    for (package, entry) in entries {
                        if let Some(entry) = entry.as_map() {
                            let mut rpm = XmdRpm {
                                other: entry.clone(),
                                ..XmdRpm::default()
                            };
                            rpm.git_ref = rpm
                                .other
                                .remove("ref")
                                .and_then(|value| value.as_str().map(str::to_owned));
                            xmd.rpms.insert(package.clone(), rpm);
                        }
                    }
                }
                _ => {
                    xmd.other.insert(key.clone(), value.clone());
                }
            }
        }
        Some(xmd)
    }

    /// Writes this as the stream's `xmd.mbs`, replacing what was there.
    pub fn store(&self, stream: &mut ModuleStream) {
        stream.xmd.insert(MBS_XMD_KEY.to_owned(), self.to_value());
    }

    /// The `xmd.mbs` value.
    pub fn to_value(&self) -> XmdValue {
        let mut map = self.other.clone();
        map.insert("mse".to_owned(), XmdValue::Bool(self.mse));
        for (key, value) in [
            ("scmurl", &self.scmurl),
            ("commit", &self.commit),
            ("branch", &self.branch),
        ] {
            if let Some(value) = value {
                map.insert(key.to_owned(), XmdValue::String(value.clone()));
            }
        }
        let buildrequires = self
            .buildrequires
            .iter()
            .map(|(name, entry)| (name.clone(), entry.to_value()))
            .collect();
        map.insert("buildrequires".to_owned(), XmdValue::Map(buildrequires));
        let rpms = self
            .rpms
            .iter()
            .map(|(package, rpm)| {
                let mut entry = rpm.other.clone();
                if let Some(git_ref) = &rpm.git_ref {
                    entry.insert("ref".to_owned(), XmdValue::String(git_ref.clone()));
                }
                (package.clone(), XmdValue::Map(entry))
            })
            .collect();
        map.insert("rpms".to_owned(), XmdValue::Map(rpms));
        XmdValue::Map(map)
    }
}

impl XmdBuildrequire {
    fn from_map(map: &BTreeMap<String, XmdValue>) -> XmdBuildrequire {
        let mut other = map.clone();
        let mut take = |key: &str| {
            other
                .remove(key)
                .and_then(|value| value.as_str().map(str::to_owned))
        };
        let git_ref = take("ref");
        let stream = take("stream").unwrap_or_default();
        let version = take("version").unwrap_or_default();
        let context = take("context").unwrap_or_default();
        let koji_tag = take("koji_tag");
        let filtered_rpms = match other.remove("filtered_rpms") {
            Some(XmdValue::List(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        XmdBuildrequire {
            git_ref,
            stream,
            version,
            context,
            koji_tag,
            filtered_rpms,
            other,
        }
    }

    fn to_value(&self) -> XmdValue {
        let mut map = self.other.clone();
        if let Some(git_ref) = &self.git_ref {
            map.insert("ref".to_owned(), git_ref.as_str().into());
        }
        map.insert("stream".to_owned(), self.stream.as_str().into());
        map.insert("version".to_owned(), self.version.as_str().into());
        map.insert("context".to_owned(), self.context.as_str().into());
        if let Some(koji_tag) = &self.koji_tag {
            map.insert("koji_tag".to_owned(), koji_tag.as_str().into());
        }
        let filtered = self
            .filtered_rpms
            .iter()
            .map(|nevr| XmdValue::from(nevr.as_str()))
            .collect();
        map.insert("filtered_rpms".to_owned(), XmdValue::List(filtered));
        XmdValue::Map(map)
    }
}
