//! The hub's error type. Every failure a call can meet is a variant here; `rpc::fault` turns
//! them into Koji fault codes in one place.

use common::xmlrpc::{ArgError, SerError};

/// A failed call or a failed hub operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arguments did not bind to the method's signature (Python `TypeError` texts).
    #[error("{0}")]
    Param(String),
    /// No method of that name.
    #[error("Invalid method: {method}")]
    InvalidMethod {
        /// The name as sent.
        method: String,
    },
    /// The request body was not a usable XML-RPC call.
    #[error("Invalid request: {reason}")]
    InvalidRequest {
        /// What was wrong with it.
        reason: String,
    },
    /// The request body was larger than the configured limit.
    #[error("Request too long (limit is {limit_bytes} bytes)")]
    RequestTooLong {
        /// The configured limit.
        limit_bytes: u64,
    },
    /// Wrong user name or password.
    #[error("invalid username or password")]
    BadCredentials,
    /// The user exists but is blocked.
    #[error("logins by {user} are not allowed")]
    LoginDisabled {
        /// The user name.
        user: String,
    },
    /// `login` or `sslLogin` on a session that is already logged in.
    #[error("Already logged in")]
    AlreadyLoggedIn,
    /// `sslLogin` without a verified client certificate.
    #[error("could not verify client certificate: {reason}")]
    NoClientCertificate {
        /// Why the certificate is missing or unusable.
        reason: String,
    },
    /// `sslLogin` for a certificate name that has no user, with user creation disabled.
    #[error("Unknown user: {user}")]
    UnknownLoginUser {
        /// The name taken from the certificate.
        user: String,
    },
    /// The session headers do not name an open session.
    #[error("Invalid session or bad credentials")]
    InvalidSession,
    /// The session expired; the client logs in again and retries.
    #[error("session \"{session_id}\" has expired")]
    SessionExpired {
        /// The session.
        session_id: i64,
    },
    /// The call number went backwards (Koji's `SequenceError` message).
    #[error("{last} > {received} (session {session_id})")]
    CallnumBackwards {
        /// Number received.
        received: i64,
        /// Last number accepted.
        last: i64,
        /// The session.
        session_id: i64,
    },
    /// The call number repeated for a call that must not be repeated.
    #[error("unable to retry call {callnum} (method {method}) for session {session_id}")]
    CallnumRepeated {
        /// The repeated number.
        callnum: i64,
        /// The method.
        method: String,
        /// The session.
        session_id: i64,
    },
    /// Another session of the same user is exclusive.
    #[error("User locked by another session")]
    UserLocked,
    /// `exclusiveSession` while another session is exclusive.
    #[error("Cannot get exclusive session")]
    ExclusiveTaken,
    /// A subsession asked for exclusivity.
    #[error("subsessions cannot become exclusive")]
    SubsessionExclusive,
    /// The method needs a login.
    #[error("you must be logged in for this operation")]
    NotLoggedIn,
    /// The caller lacks a permission.
    #[error("{perm} permission required (logged in as {user})")]
    PermissionRequired {
        /// The permission.
        perm: String,
        /// The caller.
        user: String,
    },
    /// A `host.*` method from a session that is not a host's.
    #[error("{method} may only be called by a build host (logged in as {user})")]
    NotAHost {
        /// The method.
        method: String,
        /// The caller.
        user: String,
    },
    /// A `host.*` method from a host session that is not exclusive.
    #[error("{method} requires an exclusive session")]
    HostNotExclusive {
        /// The method.
        method: String,
    },
    /// The caller may not do this for another reason.
    #[error("{0}")]
    NotAllowed(String),
    /// An object named by the caller does not exist ("No such user: x").
    #[error("No such {what}: {key}")]
    NotFound {
        /// What kind of object (`user`, `tagInfo`, `permission`).
        what: &'static str,
        /// How it was named.
        key: String,
    },
    /// An object that must be new already exists.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// What kind of object.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// A value the caller gave is not acceptable.
    #[error("{0}")]
    InvalidValue(String),
    /// A failure that is Koji's GenericError with a specific message.
    #[error("{0}")]
    Generic(String),
    /// The database connection pool could not give a connection.
    #[error("database outage")]
    DatabaseOutage(#[source] deadpool_postgres::PoolError),
    /// A database statement failed.
    #[error("database error")]
    Database(#[from] tokio_postgres::Error),
    /// A row held a value the code does not understand (a bug or a manual edit).
    #[error("corrupt row in {table}: {detail}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A value could not be encoded for the wire (a bug).
    #[error("could not encode result: {0}")]
    Encode(#[from] SerError),
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A bug: an invariant did not hold.
    #[error("internal error: {0}")]
    Internal(String),

    // Hosts, channels, tasks and uploads.
    /// A `host.*` method from a caller that is not logged in.
    #[error("{method} requires a host login")]
    HostLoginRequired {
        /// The method.
        method: String,
    },
    /// No task with that id.
    #[error("No such task: {task_id}")]
    TaskNotFound {
        /// The task.
        task_id: i64,
    },
    /// The calling host does not hold the task open.
    #[error("host {host_id} does not own task {task_id}")]
    NotTaskHost {
        /// The task.
        task_id: i64,
        /// The caller.
        host_id: i64,
    },
    /// A result was asked for before the task finished.
    #[error("Task {task_id} is not finished")]
    TaskNotFinished {
        /// The task.
        task_id: i64,
    },
    /// A result was asked for of a canceled task.
    #[error("Task {task_id} is canceled")]
    TaskCanceled {
        /// The task.
        task_id: i64,
    },
    /// The fault a failed task stored, raised again with its own code.
    #[error("{message}")]
    StoredFault {
        /// The stored fault code.
        code: i32,
        /// The stored fault string.
        message: String,
    },
    /// A finished task cannot be freed, assigned or reopened.
    #[error("Cannot change task {task_id}, state is {state}")]
    TaskFinished {
        /// The task.
        task_id: i64,
        /// Its state.
        state: common::states::TaskState,
    },
    /// A subtask of a parent that is not OPEN.
    #[error("Parent task (id {parent}) is not open")]
    ParentNotOpen {
        /// The parent task.
        parent: i64,
    },
    /// An upload file name that is not a plain name.
    #[error("Invalid upload filename: {name}")]
    InvalidUploadName {
        /// The name as sent.
        name: String,
    },
    /// An upload directory outside the work area, or a task directory that does not parse.
    #[error("Invalid upload directory: {dir} ({reason})")]
    InvalidUploadDir {
        /// The directory as sent.
        dir: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An upload into a directory another user started.
    #[error("Invalid upload directory, not owner: {dir}")]
    UploadNotOwner {
        /// The directory as sent.
        dir: String,
    },
    /// Another upload holds the file.
    #[error("upload file is locked: {path}")]
    UploadLocked {
        /// The file.
        path: String,
    },
    /// A first chunk for a file that exists, without overwrite.
    #[error("upload path exists: {path}")]
    UploadExists {
        /// The file.
        path: String,
    },
    /// A chunk offset beyond the end of the file.
    #[error("upload offset {offset} is past the end of {path} ({size} bytes)")]
    UploadOffset {
        /// The file.
        path: String,
        /// The offset sent.
        offset: i64,
        /// The file's size.
        size: u64,
    },
    /// A chunk or file whose checksum does not match the one sent.
    #[error("{verify} checksum mismatch for {name}: expected {expected}, got {actual}")]
    UploadChecksum {
        /// The file name.
        name: String,
        /// The checksum type.
        verify: String,
        /// The checksum sent.
        expected: String,
        /// The checksum of the data received.
        actual: String,
    },
    /// `downloadTaskOutput` for a file the task did not write.
    #[error("no file \"{file}\" output by task {task_id}")]
    NoTaskOutput {
        /// The task.
        task_id: i64,
        /// The file name.
        file: String,
    },
    /// A file name with `..` or other path tricks.
    #[error("Invalid file name: {name}")]
    InvalidFileName {
        /// The name as sent.
        name: String,
    },
    // Tags, inheritance, build targets, package lists, comps groups and history.
    /// A tag, target, package or group named by something that is neither a name nor an id.
    #[error("Invalid name or id value: {value}")]
    InvalidNameOrId {
        /// The value as Python's `str()` shows it.
        value: String,
    },
    /// No (active) tag named like that; Koji shows the name as Python's `repr()`.
    #[error("No such tagInfo: {tag}")]
    NoSuchTag {
        /// The tag as `repr()` shows it (`'f40'`, `8`).
        tag: String,
    },
    /// A strict lookup in a name table (tag, package, groups, build_target, permissions) found
    /// nothing.
    #[error("No such entry in table {table}: {key}")]
    NoSuchEntry {
        /// The table.
        table: &'static str,
        /// The name or id as given.
        key: String,
    },
    /// A name Kiln does not accept for tags, targets, packages or groups.
    #[error("invalid name {name:?}: names are 1 to 256 of the characters A-Z a-z 0-9 / _ . + -")]
    InvalidName {
        /// The refused name.
        name: String,
    },
    /// `createTag` with the name of an existing tag.
    #[error("A tag with the name '{name}' already exists")]
    TagExists {
        /// The name.
        name: String,
    },
    /// `createTag` with a parent that does not exist.
    #[error("Parent tag '{parent}' could not be found")]
    NoSuchParentTag {
        /// The parent as given.
        parent: String,
    },
    /// Renaming a tag onto a name another tag has (or had).
    #[error("Name {name} already taken by tag {tag_id}")]
    TagNameTaken {
        /// The wanted name.
        name: String,
        /// The tag holding it.
        tag_id: i64,
    },
    /// A change to a locked tag by someone who is not an admin.
    #[error("tag {tag} is locked")]
    TagLocked {
        /// The tag name.
        tag: String,
    },
    /// A change to a tag whose permission the caller lacks.
    #[error("{perm} permission required")]
    TagPermissionRequired {
        /// The tag name.
        tag: String,
        /// The permission the tag requires.
        perm: String,
    },
    /// A hub policy (Koji's `package_list`) refused the change.
    #[error("policy violation ({policy})")]
    PolicyViolation {
        /// The policy.
        policy: &'static str,
        /// The caller.
        user: String,
    },
    /// Two inheritance links of a tag with the same priority.
    #[error(
        "Multiple parent tags ({parents}) cannot have the same priority value ({priority}) on child tag {tag_id}"
    )]
    DuplicatePriority {
        /// The child tag.
        tag_id: i64,
        /// The shared priority.
        priority: i64,
        /// The parents, as Python prints a list (`[7, 9]`).
        parents: String,
    },
    /// An inheritance link with a negative priority.
    #[error("Invalid priority {priority} for parent tag {parent_id}: priorities must not be negative")]
    NegativePriority {
        /// The parent tag.
        parent_id: i64,
        /// The refused priority.
        priority: i64,
    },
    /// An inheritance link that would make a tag its own ancestor.
    #[error("Inheritance loop: tag {parent} already inherits from tag {tag}")]
    InheritanceLoop {
        /// The child tag name.
        tag: String,
        /// The parent tag name.
        parent: String,
    },
    /// A package filter that is not a regular expression.
    #[error("Invalid package filter {filter:?}: {reason}")]
    BadPackageFilter {
        /// The filter.
        filter: String,
        /// What the regex parser said.
        reason: String,
    },
    /// `createBuildTarget` with the name of an existing target.
    #[error("A build target with the name '{name}' already exists")]
    TargetExists {
        /// The name.
        name: String,
    },
    /// No build target named like that.
    #[error("No such build target: {target}")]
    NoSuchTarget {
        /// The target as given.
        target: String,
    },
    /// Renaming a target onto another target's name.
    #[error("name \"{name}\" is already taken by build target {target_id}")]
    TargetNameTaken {
        /// The wanted name.
        name: String,
        /// The target holding it.
        target_id: i64,
    },
    /// A build target's build tag does not exist.
    #[error("build tag '{tag}' does not exist")]
    NoSuchBuildTag {
        /// The tag as given.
        tag: String,
    },
    /// A build target's destination tag does not exist.
    #[error("destination tag '{tag}' does not exist")]
    NoSuchDestTag {
        /// The tag as given.
        tag: String,
    },
    /// `queryHistory` asked for a table that has no history.
    #[error("No such history table: {table}")]
    NoSuchHistoryTable {
        /// The table name.
        table: String,
    },
    // Builds, rpms, tagging and external repos.
    /// No build named like that (Koji shows the name as Python's `repr()`).
    #[error("No such build: {build}")]
    NoSuchBuild {
        /// The build as `repr()` shows it.
        build: String,
    },
    /// No rpm named like that.
    #[error("No such rpm: {rpm}")]
    NoSuchRpm {
        /// The rpm as given.
        rpm: String,
    },
    /// A tagging refusal (Koji's `TagError`): not in the package list, blocked, already tagged,
    /// not in the tag, not complete.
    #[error("{0}")]
    Tag(String),
    /// A build failure reported by a builder call (Koji's `BuildError`).
    #[error("{0}")]
    BuildFailure(String),
    /// An import refused (bad file name, NVR or payload mismatch, duplicate).
    #[error("{0}")]
    Import(String),
    /// The tag's lock or permission refuses the tagging user (Koji's `check_tag_access`).
    #[error("{reason}")]
    TagAccess {
        /// Koji's reason text.
        reason: String,
    },
    /// No module build has this id.
    #[error("No such module build: {module_id}")]
    NoSuchModuleBuild {
        /// The module build.
        module_id: i64,
    },
    /// A backend step was asked of a module build in a state it does not run in (MBS's strict
    /// state transitions), or one missing what the step needs.
    #[error("module build {module_id} ({nsvc}) cannot be initialised: {reason}")]
    ModuleBuildRefused {
        /// The module build.
        module_id: i64,
        /// Its `N:S:V:C`.
        nsvc: String,
        /// Why not.
        reason: String,
    },
}

impl From<ArgError> for Error {
    fn from(e: ArgError) -> Self {
        Error::Param(e.0)
    }
}

impl Error {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// The hub's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
