//! Koji's fault codes: the one list of them, with Koji's numbers, never renumbered.
//!
//! The stock client maps each code to an exception class (`koji.convertFault`); a code it does
//! not know becomes a bare `Fault` that `except koji.GenericError` misses, so Kiln emits only
//! these.

use std::fmt;

/// A Koji fault code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum FaultCode {
    /// Koji's code for an exception that is not a Koji error (Python's `TypeError` and such).
    /// Kiln only passes it through from peers; it never chooses it.
    NonKoji = 1,
    /// `GenericError`: the default ("No such tagInfo", "Invalid method").
    Generic = 1000,
    /// `LockError`: a file or resource is locked (an upload in progress).
    Lock = 1001,
    /// `AuthError`: bad credentials, invalid session, not a host.
    Auth = 1002,
    /// `TagError`: tagging problems ("already tagged", "not in list for tag").
    Tag = 1003,
    /// `ActionNotAllowed`: missing permission or policy denial.
    ActionNotAllowed = 1004,
    /// `BuildError`: a builder task failed.
    Build = 1005,
    /// `AuthLockError`: another session holds the user exclusively.
    AuthLock = 1006,
    /// `AuthExpired`: the session expired; the client logs in again and retries.
    AuthExpired = 1007,
    /// `SequenceError`: the call number went backwards.
    Sequence = 1008,
    /// `RetryError`: the call number repeated for a call that must not be repeated.
    Retry = 1009,
    /// `PreBuildError`.
    PreBuild = 1010,
    /// `PostBuildError`.
    PostBuild = 1011,
    /// `BuildrootError`: installing or preparing a buildroot failed.
    Buildroot = 1012,
    /// `FunctionDeprecated`.
    FunctionDeprecated = 1013,
    /// `ServerOffline`: the hub or its database is unavailable.
    ServerOffline = 1014,
    /// `LiveCDError`.
    LiveCd = 1015,
    /// `PluginError`.
    Plugin = 1016,
    /// `CallbackError`.
    Callback = 1017,
    /// `ApplianceError`.
    Appliance = 1018,
    /// `ParameterError`: bad or unknown arguments.
    Parameter = 1019,
    /// `ImportError`: importing a build or rpm failed.
    Import = 1020,
    /// `ConfigurationError` (client side in Koji).
    Configuration = 1021,
    /// `LiveMediaError`.
    LiveMedia = 1022,
    /// `GSSAPIAuthError`.
    GssapiAuth = 1023,
    /// `NameValidationError`: a name does not match the configured rules.
    NameValidation = 1024,
}

impl FaultCode {
    const ALL: [FaultCode; 26] = [
        FaultCode::NonKoji,
        FaultCode::Generic,
        FaultCode::Lock,
        FaultCode::Auth,
        FaultCode::Tag,
        FaultCode::ActionNotAllowed,
        FaultCode::Build,
        FaultCode::AuthLock,
        FaultCode::AuthExpired,
        FaultCode::Sequence,
        FaultCode::Retry,
        FaultCode::PreBuild,
        FaultCode::PostBuild,
        FaultCode::Buildroot,
        FaultCode::FunctionDeprecated,
        FaultCode::ServerOffline,
        FaultCode::LiveCd,
        FaultCode::Plugin,
        FaultCode::Callback,
        FaultCode::Appliance,
        FaultCode::Parameter,
        FaultCode::Import,
        FaultCode::Configuration,
        FaultCode::LiveMedia,
        FaultCode::GssapiAuth,
        FaultCode::NameValidation,
    ];

    /// The wire number.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The code for a wire number, if Koji defines it.
    pub fn from_code(code: i32) -> Option<FaultCode> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// Koji's exception class name, as the stock client shows it.
    pub fn class_name(self) -> &'static str {
        match self {
            FaultCode::NonKoji => "Fault",
            FaultCode::Generic => "GenericError",
            FaultCode::Lock => "LockError",
            FaultCode::Auth => "AuthError",
            FaultCode::Tag => "TagError",
            FaultCode::ActionNotAllowed => "ActionNotAllowed",
            FaultCode::Build => "BuildError",
            FaultCode::AuthLock => "AuthLockError",
            FaultCode::AuthExpired => "AuthExpired",
            FaultCode::Sequence => "SequenceError",
            FaultCode::Retry => "RetryError",
            FaultCode::PreBuild => "PreBuildError",
            FaultCode::PostBuild => "PostBuildError",
            FaultCode::Buildroot => "BuildrootError",
            FaultCode::FunctionDeprecated => "FunctionDeprecated",
            FaultCode::ServerOffline => "ServerOffline",
            FaultCode::LiveCd => "LiveCDError",
            FaultCode::Plugin => "PluginError",
            FaultCode::Callback => "CallbackError",
            FaultCode::Appliance => "ApplianceError",
            FaultCode::Parameter => "ParameterError",
            FaultCode::Import => "ImportError",
            FaultCode::Configuration => "ConfigurationError",
            FaultCode::LiveMedia => "LiveMediaError",
            FaultCode::GssapiAuth => "GSSAPIAuthError",
            FaultCode::NameValidation => "NameValidationError",
        }
    }
}

/// An XML-RPC fault: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Fault {
    /// The wire code (normally a [`FaultCode`]).
    pub code: i32,
    /// The message (`faultString`).
    pub message: String,
}

impl Fault {
    /// A fault with a wire code and message.
    pub fn new(code: i32, message: impl Into<String>) -> Fault {
        Fault {
            code,
            message: message.into(),
        }
    }

    /// A fault with one of Koji's codes.
    pub fn of(code: FaultCode, message: impl Into<String>) -> Fault {
        Fault {
            code: code.code(),
            message: message.into(),
        }
    }

    /// The code, if Koji defines it.
    pub fn fault_code(&self) -> Option<FaultCode> {
        FaultCode::from_code(self.code)
    }

    /// True when the fault carries `code`.
    pub fn is(&self, code: FaultCode) -> bool {
        self.code == code.code()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault_code() {
            Some(code) => write!(f, "{}: {}", code.class_name(), self.message),
            None => write!(f, "Fault {}: {}", self.code, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_kojis_numbers() {
        assert_eq!(FaultCode::Generic.code(), 1000);
        assert_eq!(FaultCode::Auth.code(), 1002);
        assert_eq!(FaultCode::ActionNotAllowed.code(), 1004);
        assert_eq!(FaultCode::AuthExpired.code(), 1007);
        assert_eq!(FaultCode::Parameter.code(), 1019);
        assert_eq!(FaultCode::NameValidation.code(), 1024);
        for code in FaultCode::ALL {
            assert_eq!(FaultCode::from_code(code.code()), Some(code));
        }
        assert_eq!(FaultCode::from_code(999), None);
    }

    #[test]
    fn display_names_the_class() {
        assert_eq!(Fault::of(FaultCode::Auth, "bad").to_string(), "AuthError: bad");
        assert_eq!(Fault::new(42, "odd").to_string(), "Fault 42: odd");
    }
}
