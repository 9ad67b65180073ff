//! Reading modulemd documents from YAML into the typed structures, with libmodulemd's rules:
//! scalars as written, `true`/`false` booleans, strict decimal integers, a scalar accepted where a
//! list is expected, and unknown keys skipped (lenient, as MBS reads) or refused (strict).

use std::collections::{BTreeMap, BTreeSet};

use super::defaults::Defaults;
use super::error::ModulemdError;
use super::packager::PackagerV3;
use super::types::{
    Artifacts, Buildopts, Dependencies, License, ModuleComponent, ModuleStream, Profile, References,
    RpmComponent, RpmMapEntry, ServiceLevel, XmdValue,
};
use super::yaml::{self, Node};

type Result<T> = std::result::Result<T, ModulemdError>;

/// How unknown keys are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// Skip unknown keys, as libmodulemd's default reader and MBS do.
    #[default]
    Lenient,
    /// Refuse unknown keys (`Unexpected key in data: <k>`).
    Strict,
}

/// One parsed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// `modulemd` v1 (upgraded) or v2, or `modulemd-packager` v2 (author keys only).
    Stream {
        /// The document type and version as written.
        source: SourceFormat,
        /// The stream, in v2 form.
        stream: Box<ModuleStream>,
    },
    /// `modulemd-packager` v3.
    PackagerV3(Box<PackagerV3>),
    /// `modulemd-defaults` v1.
    Defaults(Defaults),
}

/// The format a stream was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// `document: modulemd`, `version: 1` (deprecated; upgraded to v2).
    StreamV1,
    /// `document: modulemd`, `version: 2`.
    StreamV2,
    /// `document: modulemd-packager`, `version: 2`.
    PackagerV2,
}

/// Parses exactly one modulemd document (any of the formats MBS accepts, or defaults).
pub fn parse_document(text: &str, mode: ParseMode) -> Result<Document> {
    let mut documents = yaml::parse_documents(text).map_err(|message| ModulemdError::Yaml { message })?;
    if documents.len() > 1 {
        return Err(ModulemdError::MultipleDocuments);
    }
    let Some(root) = documents.pop() else {
        return Err(ModulemdError::NoDocument);
    };
    let reader = Reader {
        strict: mode == ParseMode::Strict,
    };
    reader.document(&root)
}

/// Parses one `modulemd` v1/v2 or `modulemd-packager` v2 document into a stream.
///
/// Packager v3 and defaults documents are refused with `UnknownDocumentType`; use
/// [`parse_document`] to accept them.
pub fn parse_stream(text: &str, mode: ParseMode) -> Result<ModuleStream> {
    match parse_document(text, mode)? {
        Document::Stream { stream, .. } => Ok(*stream),
        Document::PackagerV3(_) => Err(ModulemdError::UnknownDocumentType {
            doctype: "modulemd-packager".to_owned(),
        }),
        Document::Defaults(_) => Err(ModulemdError::UnknownDocumentType {
            doctype: "modulemd-defaults".to_owned(),
        }),
    }
}

/// Which keys of the stream `data` are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamLayout {
    V1,
    V2,
    /// Only the author-facing keys.
    Packager,
}

pub(crate) struct Reader {
    pub(crate) strict: bool,
}

impl Reader {
    fn document(&self, root: &Node) -> Result<Document> {
        let Node::Map(entries) = root else {
            return Err(ModulemdError::DocumentNotMapping);
        };
        let mut doctype = None;
        let mut mdversion = None;
        let mut data = None;
        for (key, value) in entries {
            match key.as_scalar() {
                Some("document") => doctype = Some(string(value)?),
                Some("version") => {
                    let text = value
                        .as_scalar()
                        .ok_or_else(|| ModulemdError::parse("String was not a scalar"))?;
                    let version = text
                        .parse::<u64>()
                        .map_err(|_| ModulemdError::InvalidMetadataVersion {
                            version: text.to_owned(),
                        })?;
                    mdversion = Some(version);
                }
                Some("data") => data = Some(value),
                _ => {}
            }
        }
        let doctype = doctype.ok_or(ModulemdError::NoDocumentType)?;
        let mdversion = mdversion
            .filter(|version| *version != 0)
            .ok_or(ModulemdError::NoMetadataVersion)?;
        let unknown_version = || ModulemdError::UnknownMetadataVersion {
            doctype: doctype.clone(),
            version: mdversion,
        };
        let known = matches!(
            doctype.as_str(),
            "modulemd" | "modulemd-packager" | "modulemd-defaults"
        );
        if !known {
            return Err(ModulemdError::UnknownDocumentType { doctype });
        }
        let data = data.ok_or(ModulemdError::NoData)?;
        match (doctype.as_str(), mdversion) {
            ("modulemd", 1) => Ok(Document::Stream {
                source: SourceFormat::StreamV1,
                stream: Box::new(self.stream(data, StreamLayout::V1)?),
            }),
            ("modulemd", 2) => Ok(Document::Stream {
                source: SourceFormat::StreamV2,
                stream: Box::new(self.stream(data, StreamLayout::V2)?),
            }),
            ("modulemd-packager", 2) => Ok(Document::Stream {
                source: SourceFormat::PackagerV2,
                stream: Box::new(self.stream(data, StreamLayout::Packager)?),
            }),
            ("modulemd-packager", 3) => Ok(Document::PackagerV3(Box::new(self.packager_v3(data)?))),
            ("modulemd-defaults", 1) => Ok(Document::Defaults(self.defaults(data)?)),
            _ => Err(unknown_version()),
        }
    }

    /// An unknown key: an error in strict mode, skipped otherwise.
    pub(crate) fn unknown(&self, section: &'static str, key: &str) -> Result<()> {
        if self.strict {
            return Err(ModulemdError::UnexpectedKey {
                section,
                key: key.to_owned(),
            });
        }
        Ok(())
    }

    fn stream(&self, data: &Node, layout: StreamLayout) -> Result<ModuleStream> {
        let Node::Map(entries) = data else {
            return Err(ModulemdError::parse("Data section did not begin with a map."));
        };
        let packager = layout == StreamLayout::Packager;
        let mut stream = ModuleStream::default();
        for (key, value) in entries {
            let key = map_key(key, "ModuleStreamV2")?;
            match key {
                "name" if !packager => stream.name = Some(string(value)?),
                "stream" if !packager => stream.stream = Some(string(value)?),
                "version" if !packager => {
                    stream.version = Some(uint64(value)?).filter(|version| *version != 0)
                }
                "context" if !packager => stream.context = Some(string(value)?),
                "static_context" if layout != StreamLayout::V1 => stream.static_context = boolean(value)?,
                "arch" if !packager => stream.arch = Some(string(value)?),
                "summary" => stream.summary = Some(string(value)?),
                "description" => stream.description = Some(string(value)?),
                "eol" if layout == StreamLayout::V1 => {
                    let eol = string(value)?;
                    stream.servicelevels.entry("rawhide".to_owned()).or_default().eol = Some(eol);
                }
                "servicelevels" if !packager => stream.servicelevels = self.servicelevels(value)?,
                "license" => stream.license = self.license(value, packager)?,
                "xmd" if !packager => stream.xmd = xmd_map(value)?,
                "dependencies" if layout == StreamLayout::V1 => {
                    stream.dependencies = self.v1_dependencies(value)?
                }
                "dependencies" => stream.dependencies = self.dependencies(value)?,
                "references" => stream.references = self.references(value)?,
                "profiles" => stream.profiles = self.profiles(value)?,
                "api" => stream.api = self.set_in_map(value, "rpms")?,
                "filter" => stream.filter = self.set_in_map(value, "rpms")?,
                "demodularized" if layout != StreamLayout::V1 => {
                    stream.demodularized = self.set_in_map(value, "rpms")?;
                }
                "buildopts" if !packager => stream.buildopts = Some(self.buildopts(value)?),
                "components" => self.components(value, &mut stream)?,
                "artifacts" if !packager => stream.artifacts = self.artifacts(value)?,
                "name" | "stream" | "version" | "context" | "arch" | "servicelevels" | "xmd"
                | "buildopts" | "artifacts"
                    if packager => {}
                other => self.unknown("data", other)?,
            }
        }
        Ok(stream)
    }

    fn servicelevels(&self, node: &Node) -> Result<BTreeMap<String, ServiceLevel>> {
        let mut levels = BTreeMap::new();
        for (key, value) in mapping(node, "servicelevels")? {
            let name = map_key(key, "servicelevels")?;
            let mut level = ServiceLevel::default();
            for (key, value) in mapping(value, "service level")? {
                match map_key(key, "service level")? {
                    "eol" => {
                        let eol = string(value)?;
                        if eol.splitn(3, '-').count() != 3 {
                            return Err(ModulemdError::parse("Date not in the form YYYY-MM-DD"));
                        }
                        level.eol = Some(eol);
                    }
                    other => self.unknown("service level", other)?,
                }
            }
            levels.insert(name.to_owned(), level);
        }
        Ok(levels)
    }

    fn license(&self, node: &Node, packager: bool) -> Result<License> {
        let mut license = License::default();
        for (key, value) in mapping(node, "licenses")? {
            match map_key(key, "licenses")? {
                "module" => license.module = string_set(value)?,
                "content" if !packager => license.content = string_set(value)?,
                "content" => {}
                other => self.unknown("licenses", other)?,
            }
        }
        Ok(license)
    }

    pub(crate) fn dependencies(&self, node: &Node) -> Result<Vec<Dependencies>> {
        let Node::Seq(items) = node else {
            return Err(ModulemdError::parse(format!(
                "Got {} instead of SEQUENCE_START in dependencies.",
                node.event_name()
            )));
        };
        let mut all = Vec::with_capacity(items.len());
        for item in items {
            let Node::Map(entries) = item else {
                return Err(ModulemdError::parse(format!(
                    "Unexpected YAML event in dependencies: {}",
                    item.event_name()
                )));
            };
            let mut dependencies = Dependencies::default();
            for (key, value) in entries {
                match map_key(key, "dependencies")? {
                    "buildrequires" => dependencies.buildrequires = self.stream_lists(value)?,
                    "requires" => dependencies.requires = self.stream_lists(value)?,
                    other => self.unknown("dependencies body", other)?,
                }
            }
            all.push(dependencies);
        }
        Ok(all)
    }

    fn stream_lists(&self, node: &Node) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let mut lists = BTreeMap::new();
        for (key, value) in mapping(node, "dependencies")? {
            lists.insert(map_key(key, "dependencies")?.to_owned(), string_set(value)?);
        }
        Ok(lists)
    }

    /// v1 dependencies: `{buildrequires: {m: s}, requires: {m: s}}`, upgraded to one v2 entry.
    fn v1_dependencies(&self, node: &Node) -> Result<Vec<Dependencies>> {
        let mut dependencies = Dependencies::default();
        for (key, value) in mapping(node, "dependencies")? {
            let target = match map_key(key, "dependencies")? {
                "buildrequires" => &mut dependencies.buildrequires,
                "requires" => &mut dependencies.requires,
                other => {
                    self.unknown("dependencies", other)?;
                    continue;
                }
            };
            for (module, stream) in mapping(value, "dependencies")? {
                let module = map_key(module, "dependencies")?.to_owned();
                target.insert(module, BTreeSet::from([string(stream)?]));
            }
        }
        if dependencies == Dependencies::default() {
            return Ok(Vec::new());
        }
        Ok(vec![dependencies])
    }

    pub(crate) fn references(&self, node: &Node) -> Result<References> {
        let mut references = References::default();
        for (key, value) in mapping(node, "references")? {
            match map_key(key, "references")? {
                "community" => references.community = Some(string(value)?),
                "documentation" => references.documentation = Some(string(value)?),
                "tracker" => references.tracker = Some(string(value)?),
                other => self.unknown("references", other)?,
            }
        }
        Ok(references)
    }

    pub(crate) fn profiles(&self, node: &Node) -> Result<BTreeMap<String, Profile>> {
        let mut profiles = BTreeMap::new();
        for (key, value) in mapping(node, "profiles")? {
            let name = map_key(key, "profiles")?;
            let mut profile = Profile::default();
            for (key, value) in mapping(value, "profile body")? {
                match map_key(key, "profile body")? {
                    "description" => profile.description = Some(string(value)?),
                    "rpms" => profile.rpms = string_set(value)?,
                    "default" => profile.default = boolean(value)?,
                    other => self.unknown("profile body", other)?,
                }
            }
            profiles.insert(name.to_owned(), profile);
        }
        Ok(profiles)
    }

    /// `{rpms: [...]}` as used by `api`, `filter` and `demodularized`.
    pub(crate) fn set_in_map(&self, node: &Node, wanted: &str) -> Result<BTreeSet<String>> {
        let Node::Map(entries) = node else {
            return Err(ModulemdError::parse("Unexpected scalar outside of map."));
        };
        let mut set = BTreeSet::new();
        for (key, value) in entries {
            let key = map_key(key, "map")?;
            if key == wanted {
                set = string_set(value)?;
            } else {
                self.unknown("map", key)?;
            }
        }
        Ok(set)
    }

    pub(crate) fn buildopts(&self, node: &Node) -> Result<Buildopts> {
        let mut buildopts = Buildopts::default();
        for (key, value) in mapping(node, "buildopts")? {
            match map_key(key, "buildopts")? {
                "rpms" => {
                    for (key, value) in mapping(value, "buildopts rpms")? {
                        match map_key(key, "buildopts rpms")? {
                            "macros" => buildopts.rpm_macros = Some(string(value)?),
                            "whitelist" => buildopts.rpm_whitelist = string_set(value)?,
                            other => self.unknown("buildopts rpms", other)?,
                        }
                    }
                }
                "arches" => buildopts.arches = string_set(value)?,
                other => self.unknown("buildopts body", other)?,
            }
        }
        Ok(buildopts)
    }

    pub(crate) fn components(&self, node: &Node, stream: &mut ModuleStream) -> Result<()> {
        for (key, value) in mapping(node, "components")? {
            match map_key(key, "components")? {
                "rpms" => {
                    for (key, body) in mapping(value, "rpm components")? {
                        let key = map_key(key, "rpm components")?;
                        stream
                            .rpm_components
                            .insert(key.to_owned(), self.rpm_component(body)?);
                    }
                }
                "modules" => {
                    for (key, body) in mapping(value, "module components")? {
                        let key = map_key(key, "module components")?;
                        stream
                            .module_components
                            .insert(key.to_owned(), self.module_component(body)?);
                    }
                }
                other => self.unknown("components", other)?,
            }
        }
        Ok(())
    }

    fn rpm_component(&self, node: &Node) -> Result<RpmComponent> {
        let mut component = RpmComponent::default();
        for (key, value) in mapping(node, "rpm component")? {
            let key = map_key(key, "rpm component")?;
            let field = |result: Result<String>| component_field(key, result);
            match key {
                "name" => component.name = Some(field(string(value))?),
                "rationale" => component.rationale = Some(field(string(value))?),
                "repository" => component.repository = Some(field(string(value))?),
                "cache" => component.cache = Some(field(string(value))?),
                "ref" => component.git_ref = Some(field(string(value))?),
                "buildorder" => component.buildorder = component_field(key, int64(value))?,
                "buildafter" => component.buildafter = component_field(key, string_set(value))?,
                "buildonly" => component.buildonly = component_field(key, boolean(value))?,
                "buildroot" => component.buildroot = component_field(key, boolean(value))?,
                "srpm-buildroot" => component.srpm_buildroot = component_field(key, boolean(value))?,
                "arches" => component.arches = component_field(key, string_set(value))?,
                "multilib" => component.multilib = component_field(key, string_set(value))?,
                other => self.unknown("rpm component body", other)?,
            }
        }
        Ok(component)
    }

    fn module_component(&self, node: &Node) -> Result<ModuleComponent> {
        let mut component = ModuleComponent::default();
        for (key, value) in mapping(node, "module component")? {
            let key = map_key(key, "module component")?;
            match key {
                "rationale" => component.rationale = Some(component_field(key, string(value))?),
                "repository" => component.repository = Some(component_field(key, string(value))?),
                "ref" => component.git_ref = Some(component_field(key, string(value))?),
                "buildorder" => component.buildorder = component_field(key, int64(value))?,
                "buildafter" => component.buildafter = component_field(key, string_set(value))?,
                other => self.unknown("module component body", other)?,
            }
        }
        Ok(component)
    }

    fn artifacts(&self, node: &Node) -> Result<Artifacts> {
        let mut artifacts = Artifacts::default();
        for (key, value) in mapping(node, "artifacts")? {
            match map_key(key, "artifacts")? {
                "rpms" => artifacts.rpms = string_set(value)?,
                "rpm-map" => {
                    for (digest, checksums) in mapping(value, "rpm-map")? {
                        let digest = map_key(digest, "rpm-map")?.to_owned();
                        let mut entries = BTreeMap::new();
                        for (checksum, entry) in mapping(checksums, "rpm-map digest")? {
                            let checksum = map_key(checksum, "rpm-map digest")?.to_owned();
                            entries.insert(checksum, self.rpm_map_entry(entry)?);
                        }
                        artifacts.rpm_map.insert(digest, entries);
                    }
                }
                other => self.unknown("artifacts", other)?,
            }
        }
        Ok(artifacts)
    }

    fn rpm_map_entry(&self, node: &Node) -> Result<RpmMapEntry> {
        let mut entry = RpmMapEntry::default();
        for (key, value) in mapping(node, "rpm-map entry")? {
            match map_key(key, "rpm-map entry")? {
                "name" => entry.name = Some(string(value)?),
                "epoch" => {
                    let epoch = uint64(value)?;
                    let epoch = u32::try_from(epoch)
                        .map_err(|_| ModulemdError::parse(format!("Epoch {epoch} is out of range")))?;
                    entry.epoch = Some(epoch);
                }
                "version" => entry.version = Some(string(value)?),
                "release" => entry.release = Some(string(value)?),
                "arch" => entry.arch = Some(string(value)?),
                "nevra" => entry.nevra = Some(string(value)?),
                other => self.unknown("rpm-map entry", other)?,
            }
        }
        Ok(entry)
    }
}

/// Prefixes a component field's error the way libmodulemd does.
fn component_field<T>(field: &str, result: Result<T>) -> Result<T> {
    result.map_err(|error| ModulemdError::parse(format!("Failed to parse {field} in component: {error}")))
}

/// The entries of a mapping, or libmodulemd's error for what was there instead.
pub(crate) fn mapping<'a>(node: &'a Node, section: &str) -> Result<&'a [(Node, Node)]> {
    match node {
        Node::Map(entries) => Ok(entries),
        other => Err(ModulemdError::parse(format!(
            "Got {} instead of MAPPING_START in {section}.",
            other.event_name()
        ))),
    }
}

/// A mapping key, which must be a scalar.
pub(crate) fn map_key<'a>(key: &'a Node, section: &str) -> Result<&'a str> {
    key.as_scalar().ok_or_else(|| {
        ModulemdError::parse(format!(
            "Unexpected YAML event in {section}: {}",
            key.event_name()
        ))
    })
}

/// A string field: any scalar, as written.
pub(crate) fn string(node: &Node) -> Result<String> {
    node.as_scalar()
        .map(str::to_owned)
        .ok_or_else(|| ModulemdError::parse("String was not a scalar"))
}

/// A boolean field: exactly `true` or `false`.
pub(crate) fn boolean(node: &Node) -> Result<bool> {
    match node.as_scalar() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ModulemdError::parse(format!(
            "Boolean value was neither \"true\" nor \"false\": {other}"
        ))),
        None => Err(ModulemdError::parse("Expected a scalar boolean")),
    }
}

/// An unsigned 64-bit field, strictly decimal.
pub(crate) fn uint64(node: &Node) -> Result<u64> {
    let text = node
        .as_scalar()
        .ok_or_else(|| ModulemdError::parse("String was not a scalar"))?;
    if text.starts_with('-') {
        return Err(ModulemdError::parse(format!(
            "The integer value {text} is negative"
        )));
    }
    decimal(text)
}

/// A signed 64-bit field, strictly decimal.
pub(crate) fn int64(node: &Node) -> Result<i64> {
    let text = node
        .as_scalar()
        .ok_or_else(|| ModulemdError::parse("String was not a scalar"))?;
    decimal(text)
}

fn decimal<T: std::str::FromStr<Err = std::num::ParseIntError>>(text: &str) -> Result<T> {
    text.parse::<T>().map_err(|error| match error.kind() {
        std::num::IntErrorKind::PosOverflow => {
            ModulemdError::parse(format!("The integer value {text} is too large"))
        }
        std::num::IntErrorKind::NegOverflow => {
            ModulemdError::parse(format!("The integer value {text} is too small"))
        }
        _ => ModulemdError::parse(format!("Could not parse an integer value: {text}")),
    })
}

/// A set of strings: a sequence of scalars, or one scalar standing for a one-entry list.
pub(crate) fn string_set(node: &Node) -> Result<BTreeSet<String>> {
    match node {
        Node::Scalar { text, .. } => Ok(BTreeSet::from([text.clone()])),
        Node::Seq(items) => items
            .iter()
            .map(|item| {
                item.as_scalar()
                    .map(str::to_owned)
                    .ok_or_else(|| list_error(item))
            })
            .collect(),
        Node::Map(_) => Err(list_error(node)),
    }
}

fn list_error(node: &Node) -> ModulemdError {
    ModulemdError::parse(format!("Unexpected YAML event in list: {}", node.event_name()))
}

/// The `xmd` mapping: plain `TRUE`/`FALSE` become booleans, every other scalar a string.
pub(crate) fn xmd_map(node: &Node) -> Result<BTreeMap<String, XmdValue>> {
    match xmd_value(node)? {
        XmdValue::Map(map) => Ok(map),
        _ => Err(ModulemdError::parse(format!(
            "Got {} instead of MAPPING_START in xmd.",
            node.event_name()
        ))),
    }
}

fn xmd_value(node: &Node) -> Result<XmdValue> {
    Ok(match node {
        Node::Scalar { text, .. } => match text.as_str() {
            "TRUE" => XmdValue::Bool(true),
            "FALSE" => XmdValue::Bool(false),
            _ => XmdValue::String(text.clone()),
        },
        Node::Seq(items) => XmdValue::List(items.iter().map(xmd_value).collect::<Result<_>>()?),
        Node::Map(entries) => {
            let mut map = BTreeMap::new();
            for (key, value) in entries {
                map.insert(map_key(key, "raw mapping")?.to_owned(), xmd_value(value)?);
            }
            XmdValue::Map(map)
        }
    })
}
