//! What goes wrong reading or validating a modulemd document, with libmodulemd's messages.
//!
//! The `Display` text of each variant is the message libmodulemd gives (MBS shows it to the user
//! inside its own wrapping, see [`SubmitError`](super::SubmitError)), without the
//! ` [line N col M]` suffix libmodulemd appends to some parse errors.

/// A modulemd document could not be parsed or failed libmodulemd's validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModulemdError {
    /// The text is not YAML; the message is libyaml's.
    #[error("{message}")]
    Yaml {
        /// libyaml's description with its position.
        message: String,
    },
    /// The text held no YAML document at all.
    #[error("Provided YAML contained no valid subdocuments")]
    NoDocument,
    /// The text held more than one YAML document where one was expected.
    #[error("YAML contained more than a single subdocument")]
    MultipleDocuments,
    /// The document's top level is not a mapping (libmodulemd's spelling).
    #[error("Document did not start with a mappping")]
    DocumentNotMapping,
    /// No `document:` key.
    #[error("No document type specified")]
    NoDocumentType,
    /// A `document:` value this reader does not know.
    #[error("Document type {doctype} unknown.")]
    UnknownDocumentType {
        /// The value given.
        doctype: String,
    },
    /// No `version:` key, or version 0.
    #[error("No metadata version specified")]
    NoMetadataVersion,
    /// A `version:` that is not a number.
    #[error("Invalid mdversion: {version}")]
    InvalidMetadataVersion {
        /// The value given.
        version: String,
    },
    /// A metadata version this document type does not have.
    #[error("Unknown {doctype} version {version}")]
    UnknownMetadataVersion {
        /// The document type.
        doctype: String,
        /// The version given.
        version: u64,
    },
    /// No `data:` key.
    #[error("No data section provided")]
    NoData,
    /// A structural problem, with libmodulemd's message (for example
    /// `Data section did not begin with a map.`).
    #[error("{message}")]
    Parse {
        /// The message.
        message: String,
    },
    /// An unknown key, refused in strict mode.
    #[error("Unexpected key in {section}: {key}")]
    UnexpectedKey {
        /// Where it was (`data`, `rpm component body`, …).
        section: &'static str,
        /// The key.
        key: String,
    },

    /// Validation: the metadata version is missing.
    #[error("Metadata version is unset.")]
    MetadataVersionUnset,
    /// Validation: a static context is empty.
    #[error("Empty stream context")]
    EmptyStreamContext,
    /// Validation: a static context is longer than 13 characters.
    #[error("Stream context '{context}' exceeds maximum length (13)")]
    StreamContextTooLong {
        /// The context.
        context: String,
    },
    /// Validation: a static context has characters outside `[a-zA-Z0-9_]`.
    #[error("Stream context '{context}' can only contain [a-zA-Z0-9_] characters")]
    StreamContextBadCharacters {
        /// The context.
        context: String,
    },
    /// Validation: no summary.
    #[error("Summary is missing")]
    SummaryMissing,
    /// Validation: no description.
    #[error("Description is missing")]
    DescriptionMissing,
    /// Validation: `license.module` is empty.
    #[error("Module license is missing")]
    ModuleLicenseMissing,
    /// Validation: a dependency stream list mixes `x` and `-y`.
    #[error("{} dependency {module} contained a mix of positive and negative entries.", if *.runtime { "Runtime" } else { "Buildtime" })]
    MixedDependencyStreams {
        /// True for `requires`, false for `buildrequires`.
        runtime: bool,
        /// The module whose list is mixed.
        module: String,
    },
    /// Validation: one component has both `buildorder` and `buildafter`.
    #[error("Cannot mix buildorder and buildafter in the same component")]
    BuildorderAndBuildafterInComponent {
        /// The component key.
        component: String,
    },
    /// Validation: some components use `buildorder` and others `buildafter`.
    #[error("Cannot mix buildorder and buildafter in the same stream")]
    BuildorderAndBuildafterInStream,
    /// Validation: a `buildafter` entry names no component.
    #[error("Buildafter '{key}' not found in components list")]
    BuildafterNotFound {
        /// The missing key.
        key: String,
    },
    /// Validation: a component arch outside `buildopts.arches`.
    #[error("Component rpm '{component}' arch '{arch}' not in module buildopts.arches")]
    ComponentArchNotInBuildopts {
        /// The component key.
        component: String,
        /// The arch.
        arch: String,
    },
    /// Validation: an `artifacts.rpms` entry is not `N-E:V-R.A`.
    #[error("Artifact '{artifact}' was not in valid N-E:V-R.A format.")]
    InvalidArtifact {
        /// The entry.
        artifact: String,
    },

    /// Packager v3: a configuration without a context.
    #[error("Empty context in BuildConfig")]
    EmptyBuildConfigContext,
    /// Packager v3: a context with characters outside `[a-zA-Z0-9]`.
    #[error("Non-alphanumeric character in BuildConfig context")]
    BuildConfigContextNotAlphanumeric {
        /// The context.
        context: String,
    },
    /// Packager v3: a context longer than 10 characters.
    #[error("BuildConfig context exceeds maximum characters")]
    BuildConfigContextTooLong {
        /// The context.
        context: String,
    },
    /// Packager v3: two configurations share a context.
    #[error("Duplicate context: {context}")]
    DuplicateBuildConfigContext {
        /// The context.
        context: String,
    },
    /// Packager v3: a configuration without a platform.
    #[error("Unset platform in BuildConfig")]
    BuildConfigWithoutPlatform {
        /// The configuration's context.
        context: String,
    },
    /// Packager v3: nothing to convert.
    #[error("Packager document with no build configurations cannot be converted to stream")]
    NoBuildConfigurations,
}

impl ModulemdError {
    /// A structural parse error with libmodulemd's message.
    pub(crate) fn parse(message: impl Into<String>) -> Self {
        ModulemdError::Parse {
            message: message.into(),
        }
    }
}
