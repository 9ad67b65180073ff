//! The `modulemd-defaults` v1 format: a module's default stream and profiles (repository
//! metadata, not build input, but Kiln writes and reads it next to `modules.yaml`).

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};

use super::error::ModulemdError;
use super::parse::{Reader, map_key, mapping, string, string_set, uint64};
use super::yaml::Node;

/// A `modulemd-defaults` v1 document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    /// The module these defaults are for (mandatory).
    pub module: String,
    /// `YYYYMMDDHHMM` of the last change, 0 when unset.
    pub modified: u64,
    /// The default stream.
    pub stream: Option<String>,
    /// Stream → default profiles.
    pub profiles: BTreeMap<String, BTreeSet<String>>,
}

impl Defaults {
    /// The document as YAML, with the `---` / `...` framing libmodulemd writes.
    pub fn to_yaml(&self) -> String {
        let mut data = Mapping::new();
        data.insert("module".into(), Value::String(self.module.clone()));
        if self.modified != 0 {
            data.insert("modified".into(), Value::Number(self.modified.into()));
        }
        if let Some(stream) = &self.stream {
            data.insert("stream".into(), Value::String(stream.clone()));
        }
        if !self.profiles.is_empty() {
            let mut profiles = Mapping::new();
            for (stream, names) in &self.profiles {
                let names = names.iter().cloned().map(Value::String).collect();
                profiles.insert(Value::String(stream.clone()), Value::Sequence(names));
            }
            data.insert("profiles".into(), Value::Mapping(profiles));
        }
        super::emit::frame("modulemd-defaults", 1, data)
    }
}

impl Reader {
    pub(crate) fn defaults(&self, data: &Node) -> Result<Defaults, ModulemdError> {
        let Node::Map(entries) = data else {
            return Err(ModulemdError::parse("Data section did not begin with a map."));
        };
        let mut defaults = Defaults::default();
        let mut module = None;
        for (key, value) in entries {
            match map_key(key, "defaults")? {
                "module" => module = Some(string(value)?),
                "modified" => defaults.modified = uint64(value)?,
                "stream" => defaults.stream = Some(string(value)?),
                "profiles" => {
                    for (stream, names) in mapping(value, "defaults profiles")? {
                        let stream = map_key(stream, "defaults profiles")?.to_owned();
                        defaults.profiles.insert(stream, string_set(names)?);
                    }
                }
                other => self.unknown("defaults body", other)?,
            }
        }
        defaults.module = module.ok_or_else(|| ModulemdError::parse("Module name is missing"))?;
        Ok(defaults)
    }
}
