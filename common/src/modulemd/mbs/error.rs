//! What MBS answers when a submission is refused (with the HTTP status MBS uses) and the
//! `state_reason` texts of failures found later, in the init step.

use crate::modulemd::ModulemdError;

/// A submission MBS refuses synchronously. `Display` is the exact `message` of MBS's JSON error
/// body; [`SubmitError::status`] is its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The submitted text is empty.
    #[error("The input modulemd was empty")]
    EmptyModulemd,
    /// libmodulemd could not read the document.
    #[error(
        "The modulemd {}is invalid. The error was:\n'{error}'\nPlease verify the syntax is correct.",
        file.as_deref().map(|file| format!("{file} ")).unwrap_or_default()
    )]
    InvalidModulemd {
        /// The file name for SCM submissions; `None` for YAML submissions.
        file: Option<String>,
        /// libmodulemd's error.
        error: ModulemdError,
    },
    /// The document names another module than the SCM repository.
    #[error("The name \"{name}\" that is stored in the modulemd is not valid")]
    NameMismatch {
        /// The name in the document.
        name: String,
    },
    /// The document names another stream than the branch.
    #[error(
        "The stream \"{stream}\" that is stored in the modulemd does not match the stream determined by the branch \"{branch}\""
    )]
    StreamMismatch {
        /// The stream in the document.
        stream: String,
        /// The submitted branch.
        branch: String,
    },
    /// The document's stream has a dash.
    #[error("Dashes are not allowed in the stream value")]
    DashInStreamValue {
        /// The stream.
        stream: String,
    },
    /// An SCM submission whose document already has a version.
    #[error(
        "The version \"{version}\" is already defined in the modulemd but it shouldn't be since the version is generated based on the commit time"
    )]
    VersionDefined {
        /// The version in the document.
        version: u64,
    },
    /// A YAML submission whose module name cannot be found.
    #[error(
        "The module's name was not present in the modulemd file. Please use the \"module_name\" parameter"
    )]
    NameMissing,
    /// `xmd.mbs` given by the submitter.
    #[error("The \"mbs\" xmd field is reserved for MBS")]
    MbsXmdReserved,
    /// The module is named like a base module.
    #[error("You cannot build a module named \"{name}\" since it is a base module")]
    BaseModuleName {
        /// The name.
        name: String,
    },
    /// An included module with a custom repository.
    #[error("Custom module repositories aren't allowed.  '{module}' bears repository '{repository}'")]
    CustomModuleRepository {
        /// The included module's key.
        module: String,
        /// Its repository.
        repository: String,
    },
    /// Overrides that name modules the document does not depend on.
    #[error(
        "The {} overrides for the following modules aren't applicable: {}",
        if *.runtime { "require" } else { "buildrequire" },
        modules.join(", ")
    )]
    OverridesNotApplicable {
        /// True for `require_overrides`.
        runtime: bool,
        /// The module names, sorted.
        modules: Vec<String>,
    },
    /// No build dependency combination could be resolved.
    #[error(
        "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built."
    )]
    NoDependencyCombination,
    /// A generated stream, version or context contains a dash.
    #[error("Dashes not allowed in {field}")]
    DashesNotAllowed {
        /// `stream`, `version` or `context`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// Static contexts in `xmd.mbs_options` without the `contexts` key.
    #[error("The 'xmd' property of the modulemd yaml file does not contain the 'contexts' key.")]
    StaticContextsMissing,
    /// A static context without `buildrequires` or `requires`.
    #[error("The context '{context}' is missing the '{key}' key!")]
    StaticContextKeyMissing {
        /// The context.
        context: String,
        /// `buildrequires` or `requires`.
        key: &'static str,
    },
    /// A static context using stream-expansion syntax.
    #[error(
        "The module '{module}' in the context '{context}' must name exactly one stream without a '-' prefix"
    )]
    StaticContextStreamSyntax {
        /// The context.
        context: String,
        /// The module whose stream is malformed.
        module: String,
    },
    /// Stream expansion that Kiln does not implement yet (several, all or negated streams).
    #[error(
        "Stream expansion is not supported yet: the {} of \"{module}\" must name exactly one stream, not [{}]",
        if *.runtime { "requires" } else { "buildrequires" },
        streams.join(", ")
    )]
    UnsupportedStreamExpansion {
        /// True for `requires`.
        runtime: bool,
        /// The module.
        module: String,
        /// Its stream list as written.
        streams: Vec<String>,
    },
    /// Several `dependencies` entries (alternative configurations), which Kiln does not expand yet.
    #[error(
        "Stream expansion is not supported yet: the modulemd must have exactly one dependencies entry, not {count}"
    )]
    UnsupportedDependencyAlternatives {
        /// How many entries there are.
        count: usize,
    },
    /// A buildrequired module that is not known (the caller's resolver found no ready build).
    #[error(
        "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built."
    )]
    BuildrequireNotFound {
        /// The module name.
        module: String,
        /// Its stream.
        stream: String,
    },
    /// libmodulemd refused to write the expanded document.
    #[error("Could not validate stream to emit: {error}")]
    CouldNotValidate {
        /// libmodulemd's validation error.
        error: ModulemdError,
    },
}

impl SubmitError {
    /// The HTTP status MBS answers with.
    pub fn status(&self) -> u16 {
        match self {
            SubmitError::EmptyModulemd | SubmitError::InvalidModulemd { .. } => 422,
            SubmitError::CustomModuleRepository { .. } => 403,
            SubmitError::CouldNotValidate { .. } => 500,
            SubmitError::NameMismatch { .. }
            | SubmitError::StreamMismatch { .. }
            | SubmitError::DashInStreamValue { .. }
            | SubmitError::VersionDefined { .. }
            | SubmitError::NameMissing
            | SubmitError::MbsXmdReserved
            | SubmitError::BaseModuleName { .. }
            | SubmitError::OverridesNotApplicable { .. }
            | SubmitError::NoDependencyCombination
            | SubmitError::DashesNotAllowed { .. }
            | SubmitError::StaticContextsMissing
            | SubmitError::StaticContextKeyMissing { .. }
            | SubmitError::StaticContextStreamSyntax { .. }
            | SubmitError::UnsupportedStreamExpansion { .. }
            | SubmitError::UnsupportedDependencyAlternatives { .. }
            | SubmitError::BuildrequireNotFound { .. } => 400,
        }
    }

    /// The reason phrase of [`SubmitError::status`], as MBS's `error` field carries it.
    pub fn reason(&self) -> &'static str {
        reason_phrase(self.status())
    }
}

/// The reason phrase MBS puts in the `error` field for a status.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

/// A failure MBS finds in the backend init step, after answering 201: the module build goes to
/// `failed` with `Display` as its `state_reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    /// A component uses `buildafter`.
    #[error("The usage of \"buildafter\" is not yet supported")]
    BuildafterNotSupported {
        /// The first component (by key) that uses it.
        component: String,
    },
    /// A component with a repository other than the default.
    #[error("Custom component repositories aren't allowed.  '{component}' bears repository '{repository}'")]
    CustomComponentRepository {
        /// The component key.
        component: String,
        /// Its repository.
        repository: String,
    },
    /// A component with a lookaside cache other than the default.
    #[error("Custom component caches aren't allowed.  '{component}' bears cache '{cache}'")]
    CustomComponentCache {
        /// The component key.
        component: String,
        /// Its cache.
        cache: String,
    },
    /// Component refs that could not be resolved, one line each.
    #[error("{}", unresolved.iter().map(|(repository, git_ref)| format!("Failed to get the latest commit for {repository}#{git_ref}")).collect::<Vec<_>>().join("\n"))]
    RefsNotResolved {
        /// (repository, ref) pairs.
        unresolved: Vec<(String, String)>,
    },
    /// An included module shares package names with the including one.
    #[error("The included module \"{included}\" in \"{main}\" have the following conflicting components: {}", conflicts.join(", "))]
    IncludedModuleConflicts {
        /// The included module.
        included: String,
        /// The including module.
        main: String,
        /// The shared package names.
        conflicts: Vec<String>,
    },
}
