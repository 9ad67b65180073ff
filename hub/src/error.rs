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
    /// The call number went backwards.
    #[error("session call sequence error: {received} received, {last} already seen")]
    CallnumBackwards {
        /// Number received.
        received: i64,
        /// Last number accepted.
        last: i64,
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
