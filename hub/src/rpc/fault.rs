//! `hub::Error` to Koji fault: the only place fault codes are chosen.

use common::{Fault, FaultCode};
use tokio_postgres::error::SqlState;

use crate::error::Error;

impl From<&Error> for Fault {
    fn from(error: &Error) -> Fault {
        let code = match error {
            Error::Param(_) => FaultCode::Parameter,
            Error::InvalidMethod { .. }
            | Error::InvalidRequest { .. }
            | Error::RequestTooLong { .. }
            | Error::NotFound { .. }
            | Error::AlreadyExists { .. }
            | Error::Generic(_)
            | Error::CorruptRow { .. }
            | Error::Encode(_)
            | Error::Io { .. }
            | Error::Internal(_) => FaultCode::Generic,
            Error::InvalidValue(_) => FaultCode::Parameter,
            Error::BadCredentials
            | Error::LoginDisabled { .. }
            | Error::AlreadyLoggedIn
            | Error::NoClientCertificate { .. }
            | Error::UnknownLoginUser { .. }
            | Error::InvalidSession
            | Error::NotAHost { .. }
            | Error::HostNotExclusive { .. } => FaultCode::Auth,
            Error::SessionExpired { .. } => FaultCode::AuthExpired,
            Error::CallnumBackwards { .. } => FaultCode::Sequence,
            Error::CallnumRepeated { .. } => FaultCode::Retry,
            Error::UserLocked | Error::ExclusiveTaken | Error::SubsessionExclusive => FaultCode::AuthLock,
            Error::NotLoggedIn | Error::PermissionRequired { .. } | Error::NotAllowed(_) => {
                FaultCode::ActionNotAllowed
            }
            Error::DatabaseOutage(_) => FaultCode::ServerOffline,
            // Tags, inheritance, build targets, package lists, comps groups and history.
            Error::InvalidNameOrId { .. } => FaultCode::Parameter,
            Error::NoSuchTag { .. }
            | Error::NoSuchEntry { .. }
            | Error::InvalidName { .. }
            | Error::TagExists { .. }
            | Error::NoSuchParentTag { .. }
            | Error::TagNameTaken { .. }
            | Error::DuplicatePriority { .. }
            | Error::NegativePriority { .. }
            | Error::InheritanceLoop { .. }
            | Error::BadPackageFilter { .. }
            | Error::TargetExists { .. }
            | Error::NoSuchTarget { .. }
            | Error::TargetNameTaken { .. }
            | Error::NoSuchBuildTag { .. }
            | Error::NoSuchDestTag { .. }
            | Error::NoSuchHistoryTable { .. } => FaultCode::Generic,
            Error::TagLocked { .. } | Error::TagPermissionRequired { .. } | Error::PolicyViolation { .. } => {
                FaultCode::ActionNotAllowed
            }
            Error::Database(e) => return database_fault(e),
            // Hosts, channels, tasks and uploads.
            Error::HostLoginRequired { .. } => FaultCode::Auth,
            Error::NotTaskHost { .. } | Error::UploadNotOwner { .. } => FaultCode::ActionNotAllowed,
            Error::TaskNotFound { .. }
            | Error::TaskNotFinished { .. }
            | Error::TaskCanceled { .. }
            | Error::TaskFinished { .. }
            | Error::ParentNotOpen { .. }
            | Error::InvalidUploadName { .. }
            | Error::InvalidUploadDir { .. }
            | Error::UploadExists { .. }
            | Error::UploadChecksum { .. }
            | Error::NoTaskOutput { .. }
            | Error::InvalidFileName { .. } => FaultCode::Generic,
            Error::UploadOffset { .. } => FaultCode::Parameter,
            Error::UploadLocked { .. } => FaultCode::Lock,
            Error::StoredFault { code, message } => return Fault::new(*code, message.clone()),
            // Builds, rpms, tagging and external repos.
            Error::NoSuchBuild { .. } | Error::NoSuchRpm { .. } | Error::Import(_) => FaultCode::Generic,
            Error::Tag(_) => FaultCode::Tag,
            Error::BuildFailure(_) => FaultCode::Build,
            Error::TagAccess { .. } => FaultCode::ActionNotAllowed,
            // Module builds.
            Error::NoSuchModuleBuild { .. } => FaultCode::Generic,
            Error::ModuleBuildRefused { .. } => FaultCode::ActionNotAllowed,
        };
        Fault::of(code, error.to_string())
    }
}

/// Database errors: a constraint violation is the caller's fault and says which constraint; the
/// rest is internal and says little (the dispatcher logs the details).
fn database_fault(error: &tokio_postgres::Error) -> Fault {
    let Some(db) = error.as_db_error() else {
        return Fault::of(FaultCode::ServerOffline, "database outage");
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let what = db.constraint().unwrap_or("a unique constraint");
        return Fault::of(
            FaultCode::Generic,
            format!("conflicts with an existing entry ({what})"),
        );
    }
    if *code == SqlState::FOREIGN_KEY_VIOLATION
        || *code == SqlState::CHECK_VIOLATION
        || *code == SqlState::NOT_NULL_VIOLATION
    {
        let what = db.constraint().unwrap_or("a constraint");
        return Fault::of(FaultCode::Generic, format!("refused by the database ({what})"));
    }
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return Fault::of(FaultCode::Lock, "conflicting concurrent update, please retry");
    }
    if *code == SqlState::ADMIN_SHUTDOWN || *code == SqlState::CANNOT_CONNECT_NOW {
        return Fault::of(FaultCode::ServerOffline, "database outage");
    }
    Fault::of(FaultCode::Generic, "database error")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: Error, code: FaultCode, message: &str) {
        let fault = Fault::from(&error);
        assert_eq!((fault.code, fault.message.as_str()), (code.code(), message));
    }

    #[test]
    fn codes_fit_the_error() {
        check(
            Error::BadCredentials,
            FaultCode::Auth,
            "invalid username or password",
        );
        check(
            Error::SessionExpired { session_id: 5 },
            FaultCode::AuthExpired,
            "session \"5\" has expired",
        );
        check(
            Error::NotLoggedIn,
            FaultCode::ActionNotAllowed,
            "you must be logged in for this operation",
        );
        check(
            Error::PermissionRequired {
                perm: "admin".into(),
                user: "bob".into(),
            },
            FaultCode::ActionNotAllowed,
            "admin permission required (logged in as bob)",
        );
        check(
            Error::InvalidMethod {
                method: "nope".into(),
            },
            FaultCode::Generic,
            "Invalid method: nope",
        );
        check(
            Error::Param("f() got an unexpected keyword argument 'x'".into()),
            FaultCode::Parameter,
            "f() got an unexpected keyword argument 'x'",
        );
        check(
            Error::CallnumBackwards {
                received: 1,
                last: 3,
                session_id: 7,
            },
            FaultCode::Sequence,
            "3 > 1 (session 7)",
        );
        check(
            Error::UserLocked,
            FaultCode::AuthLock,
            "User locked by another session",
        );
        check(
            Error::NotFound {
                what: "user",
                key: "x".into(),
            },
            FaultCode::Generic,
            "No such user: x",
        );
    }
}
