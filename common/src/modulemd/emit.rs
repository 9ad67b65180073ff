//! Writing module streams back to modulemd v2 YAML, in libmodulemd's key order, so that what Kiln
//! stores and serves reads back into the same structure (with libmodulemd or with `parse_stream`).

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};

use super::error::ModulemdError;
use super::types::{Dependencies, ModuleStream, XmdValue};

impl ModuleStream {
    /// The stream as a `document: modulemd`, `version: 2` YAML document, after libmodulemd's
    /// validation (whose failure MBS reports as `Could not validate stream to emit: …`).
    pub fn emit(&self) -> Result<String, ModulemdError> {
        self.validate()?;
        Ok(self.to_yaml())
    }

    /// The stream as YAML without validating it first.
    pub fn to_yaml(&self) -> String {
        frame("modulemd", 2, self.data())
    }

    fn data(&self) -> Mapping {
        let mut data = Mapping::new();
        put_string(&mut data, "name", self.name.as_deref());
        put_string(&mut data, "stream", self.stream.as_deref());
        if let Some(version) = self.version {
            data.insert("version".into(), Value::Number(version.into()));
        }
        put_string(&mut data, "context", self.context.as_deref());
        if self.static_context {
            data.insert("static_context".into(), Value::Bool(true));
        }
        put_string(&mut data, "arch", self.arch.as_deref());
        put_string(&mut data, "summary", self.summary.as_deref());
        put_string(&mut data, "description", self.description.as_deref());
        if !self.servicelevels.is_empty() {
            let mut levels = Mapping::new();
            for (name, level) in &self.servicelevels {
                let mut body = Mapping::new();
                put_string(&mut body, "eol", level.eol.as_deref());
                levels.insert(name.as_str().into(), Value::Mapping(body));
            }
            data.insert("servicelevels".into(), Value::Mapping(levels));
        }
        let mut license = Mapping::new();
        put_set(&mut license, "module", &self.license.module);
        put_set(&mut license, "content", &self.license.content);
        put_mapping(&mut data, "license", license);
        if !self.xmd.is_empty() {
            data.insert("xmd".into(), xmd_map(&self.xmd));
        }
        if !self.dependencies.is_empty() {
            let entries = self.dependencies.iter().map(dependencies).collect();
            data.insert("dependencies".into(), Value::Sequence(entries));
        }
        let mut references = Mapping::new();
        put_string(&mut references, "community", self.references.community.as_deref());
        put_string(
            &mut references,
            "documentation",
            self.references.documentation.as_deref(),
        );
        put_string(&mut references, "tracker", self.references.tracker.as_deref());
        put_mapping(&mut data, "references", references);
        if !self.profiles.is_empty() {
            let mut profiles = Mapping::new();
            for (name, profile) in &self.profiles {
                let mut body = Mapping::new();
                put_string(&mut body, "description", profile.description.as_deref());
                body.insert("rpms".into(), sequence(&profile.rpms));
                if profile.default {
                    body.insert("default".into(), Value::Bool(true));
                }
                profiles.insert(name.as_str().into(), Value::Mapping(body));
            }
            data.insert("profiles".into(), Value::Mapping(profiles));
        }
        put_rpms(&mut data, "api", &self.api);
        put_rpms(&mut data, "filter", &self.filter);
        put_rpms(&mut data, "demodularized", &self.demodularized);
        if let Some(buildopts) = &self.buildopts {
            let mut rpms = Mapping::new();
            put_string(&mut rpms, "macros", buildopts.rpm_macros.as_deref());
            put_set(&mut rpms, "whitelist", &buildopts.rpm_whitelist);
            let mut body = Mapping::new();
            put_mapping(&mut body, "rpms", rpms);
            put_set(&mut body, "arches", &buildopts.arches);
            data.insert("buildopts".into(), Value::Mapping(body));
        }
        let mut components = Mapping::new();
        if !self.rpm_components.is_empty() {
            let mut rpms = Mapping::new();
            for (key, component) in &self.rpm_components {
                let mut body = Mapping::new();
                put_string(&mut body, "name", component.name.as_deref());
                put_string(&mut body, "rationale", component.rationale.as_deref());
                put_string(&mut body, "repository", component.repository.as_deref());
                put_string(&mut body, "cache", component.cache.as_deref());
                put_string(&mut body, "ref", component.git_ref.as_deref());
                put_set(&mut body, "arches", &component.arches);
                put_set(&mut body, "multilib", &component.multilib);
                if component.buildorder != 0 {
                    body.insert("buildorder".into(), Value::Number(component.buildorder.into()));
                }
                put_set(&mut body, "buildafter", &component.buildafter);
                for (flag, set) in [
                    ("buildonly", component.buildonly),
                    ("buildroot", component.buildroot),
                    ("srpm-buildroot", component.srpm_buildroot),
                ] {
                    if set {
                        body.insert(flag.into(), Value::Bool(true));
                    }
                }
                rpms.insert(key.as_str().into(), Value::Mapping(body));
            }
            components.insert("rpms".into(), Value::Mapping(rpms));
        }
        if !self.module_components.is_empty() {
            let mut modules = Mapping::new();
            for (key, component) in &self.module_components {
                let mut body = Mapping::new();
                put_string(&mut body, "rationale", component.rationale.as_deref());
                put_string(&mut body, "repository", component.repository.as_deref());
                put_string(&mut body, "ref", component.git_ref.as_deref());
                if component.buildorder != 0 {
                    body.insert("buildorder".into(), Value::Number(component.buildorder.into()));
                }
                put_set(&mut body, "buildafter", &component.buildafter);
                modules.insert(key.as_str().into(), Value::Mapping(body));
            }
            components.insert("modules".into(), Value::Mapping(modules));
        }
        put_mapping(&mut data, "components", components);
        let mut artifacts = Mapping::new();
        put_set(&mut artifacts, "rpms", &self.artifacts.rpms);
        if !self.artifacts.rpm_map.is_empty() {
            let mut digests = Mapping::new();
            for (digest, entries) in &self.artifacts.rpm_map {
                let mut checksums = Mapping::new();
                for (checksum, entry) in entries {
                    let mut body = Mapping::new();
                    put_string(&mut body, "name", entry.name.as_deref());
                    if let Some(epoch) = entry.epoch {
                        body.insert("epoch".into(), Value::Number(epoch.into()));
                    }
                    put_string(&mut body, "version", entry.version.as_deref());
                    put_string(&mut body, "release", entry.release.as_deref());
                    put_string(&mut body, "arch", entry.arch.as_deref());
                    put_string(&mut body, "nevra", entry.nevra.as_deref());
                    checksums.insert(checksum.as_str().into(), Value::Mapping(body));
                }
                digests.insert(digest.as_str().into(), Value::Mapping(checksums));
            }
            artifacts.insert("rpm-map".into(), Value::Mapping(digests));
        }
        put_mapping(&mut data, "artifacts", artifacts);
        data
    }
}

/// Wraps `data` in the document header and the `---` / `...` framing libmodulemd writes.
pub(crate) fn frame(doctype: &str, version: u64, data: Mapping) -> String {
    let mut document = Mapping::new();
    document.insert("document".into(), doctype.into());
    document.insert("version".into(), Value::Number(version.into()));
    document.insert("data".into(), Value::Mapping(data));
    // Serializing a tree of plain strings, numbers and mappings cannot fail; an empty document
    // would only come from a bug, and the reader then reports it.
    let body = serde_yaml::to_string(&Value::Mapping(document)).unwrap_or_default();
    format!("---\n{body}...\n")
}

fn dependencies(entry: &Dependencies) -> Value {
    let mut body = Mapping::new();
    for (key, lists) in [
        ("buildrequires", &entry.buildrequires),
        ("requires", &entry.requires),
    ] {
        if lists.is_empty() {
            continue;
        }
        let mut modules = Mapping::new();
        for (module, streams) in lists {
            modules.insert(module.as_str().into(), sequence(streams));
        }
        body.insert(key.into(), Value::Mapping(modules));
    }
    Value::Mapping(body)
}

fn xmd_map(map: &BTreeMap<String, XmdValue>) -> Value {
    Value::Mapping(
        map.iter()
            .map(|(key, value)| (key.as_str().into(), xmd_value(value)))
            .collect(),
    )
}

fn xmd_value(value: &XmdValue) -> Value {
    match value {
        XmdValue::String(text) => Value::String(text.clone()),
        // libmodulemd writes booleans as TRUE / FALSE and reads only those back as booleans.
        XmdValue::Bool(true) => Value::String("TRUE".to_owned()),
        XmdValue::Bool(false) => Value::String("FALSE".to_owned()),
        XmdValue::List(items) => Value::Sequence(items.iter().map(xmd_value).collect()),
        XmdValue::Map(map) => xmd_map(map),
    }
}

fn sequence(set: &BTreeSet<String>) -> Value {
    Value::Sequence(set.iter().cloned().map(Value::String).collect())
}

fn put_string(map: &mut Mapping, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::String(value.to_owned()));
    }
}

fn put_set(map: &mut Mapping, key: &str, set: &BTreeSet<String>) {
    if !set.is_empty() {
        map.insert(key.into(), sequence(set));
    }
}

fn put_mapping(map: &mut Mapping, key: &str, value: Mapping) {
    if !value.is_empty() {
        map.insert(key.into(), Value::Mapping(value));
    }
}

fn put_rpms(map: &mut Mapping, key: &str, set: &BTreeSet<String>) {
    if !set.is_empty() {
        let mut body = Mapping::new();
        body.insert("rpms".into(), sequence(set));
        map.insert(key.into(), Value::Mapping(body));
    }
}
