//! Every state enumeration with Koji's (and MBS's) stored integers and names.
//!
//! The client maps both ways (`koji.TASK_STATES['OPEN'] == 1`), so each enum knows its number,
//! its Koji name, and how to read either back.

use std::fmt;

/// Defines a state enum with its wire numbers and names.
macro_rules! states {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $num:literal => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $num,)*
        }

        impl $name {
            /// Every state, in number order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored integer.
            pub fn code(self) -> i32 {
                self as i32
            }

            /// The state for a stored integer.
            pub fn from_code(code: i32) -> Option<$name> {
                match code {
                    $($num => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The name Koji uses.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The state for a name (case-insensitive, as users type them).
            pub fn from_name(name: &str) -> Option<$name> {
                $(if name.eq_ignore_ascii_case($text) { return Some($name::$variant); })*
                None
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i32(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// Accepts the number or the name.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = crate::xmlrpc::Value::deserialize(deserializer)?;
                let found = match &raw {
                    crate::xmlrpc::Value::String(s) => s
                        .parse::<i32>()
                        .ok()
                        .and_then($name::from_code)
                        .or_else(|| $name::from_name(s)),
                    other => other.as_i64().and_then(|i| i32::try_from(i).ok()).and_then($name::from_code),
                };
                found.ok_or_else(|| serde::de::Error::custom(format!("invalid {} value: {raw}", stringify!($name))))
            }
        }
    };
}

states! {
    /// `koji.TASK_STATES`.
    TaskState {
        /// Waiting for a host.
        Free = 0 => "FREE",
        /// Running on a host.
        Open = 1 => "OPEN",
        /// Finished successfully.
        Closed = 2 => "CLOSED",
        /// Canceled by a user or a parent.
        Canceled = 3 => "CANCELED",
        /// Given to a host by the scheduler, not yet opened.
        Assigned = 4 => "ASSIGNED",
        /// Finished with a fault.
        Failed = 5 => "FAILED",
    }
}

impl TaskState {
    /// CLOSED, CANCELED and FAILED are final.
    pub fn is_finished(self) -> bool {
        matches!(self, TaskState::Closed | TaskState::Canceled | TaskState::Failed)
    }
}

states! {
    /// `koji.BUILD_STATES`.
    BuildState {
        /// Being built.
        Building = 0 => "BUILDING",
        /// Built and imported.
        Complete = 1 => "COMPLETE",
        /// Deleted by an admin.
        Deleted = 2 => "DELETED",
        /// The build failed.
        Failed = 3 => "FAILED",
        /// The build was canceled.
        Canceled = 4 => "CANCELED",
    }
}

states! {
    /// `koji.REPO_STATES`.
    RepoState {
        /// Being generated.
        Init = 0 => "INIT",
        /// Usable.
        Ready = 1 => "READY",
        /// Superseded.
        Expired = 2 => "EXPIRED",
        /// Removed from disk.
        Deleted = 3 => "DELETED",
        /// Generation failed.
        Problem = 4 => "PROBLEM",
    }
}

states! {
    /// `koji.USERTYPES`.
    UserType {
        /// A person.
        Normal = 0 => "NORMAL",
        /// A build host's login.
        Host = 1 => "HOST",
        /// A group.
        Group = 2 => "GROUP",
    }
}

states! {
    /// `koji.USER_STATUS`.
    UserStatus {
        /// May log in.
        Normal = 0 => "NORMAL",
        /// Disabled.
        Blocked = 1 => "BLOCKED",
    }
}

states! {
    /// `koji.AUTHTYPES`.
    AuthType {
        /// Password login.
        Normal = 0 => "NORMAL",
        /// Legacy Kerberos.
        Kerberos = 1 => "KERBEROS",
        /// TLS client certificate.
        Ssl = 2 => "SSL",
        /// GSSAPI.
        Gssapi = 3 => "GSSAPI",
    }
}

states! {
    /// `koji.BR_STATES`: buildroot states.
    BuildrootState {
        /// Created.
        Init = 0 => "INIT",
        /// Waiting.
        Waiting = 1 => "WAITING",
        /// In use.
        Building = 2 => "BUILDING",
        /// Retired.
        Expired = 3 => "EXPIRED",
    }
}

states! {
    /// `koji.BR_TYPES`.
    BuildrootType {
        /// Made by a builder.
        Standard = 0 => "STANDARD",
        /// Reported by a content generator.
        External = 1 => "EXTERNAL",
    }
}

states! {
    /// `koji.TAG_UPDATE_TYPES`.
    TagUpdateType {
        /// A volume change.
        VolumeChange = 0 => "VOLUME_CHANGE",
        /// An import.
        Import = 1 => "IMPORT",
        /// A manual change.
        Manual = 2 => "MANUAL",
        /// A draft promotion.
        DraftPromotion = 3 => "DRAFT_PROMOTION",
    }
}

states! {
    /// `koji.CHECKSUM_TYPES`.
    ChecksumType {
        /// MD5.
        Md5 = 0 => "md5",
        /// SHA-1.
        Sha1 = 1 => "sha1",
        /// SHA-256.
        Sha256 = 2 => "sha256",
    }
}

states! {
    /// MBS module build states (`state` / `state_name`).
    ModuleBuildState {
        /// Recorded by the frontend.
        Init = 0 => "init",
        /// Components recorded, refs resolved.
        Wait = 1 => "wait",
        /// Tags ready, building batches.
        Build = 2 => "build",
        /// Every component built and tagged.
        Done = 3 => "done",
        /// Failed or canceled.
        Failed = 4 => "failed",
        /// Done and usable (or imported).
        Ready = 5 => "ready",
        /// An old failed build, cleaned up.
        Garbage = 6 => "garbage",
    }
}

/// Koji's `API_VERSION`, returned by `getAPIVersion`.
pub const API_VERSION: i64 = 1;

/// The Koji version Kiln reports in `Koji-Version` and `getKojiVersion`: purely numeric, as the
/// client parses it into a tuple of integers to pick code paths.
pub const KOJI_VERSION: &str = "1.36.1";

/// Koji's default task priority (lower runs sooner).
pub const PRIO_DEFAULT: i64 = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{Value, from_value, to_value};

    #[test]
    fn numbers_match_koji() {
        assert_eq!(TaskState::Assigned.code(), 4);
        assert_eq!(TaskState::Failed.code(), 5);
        assert_eq!(BuildState::Canceled.code(), 4);
        assert_eq!(RepoState::Problem.code(), 4);
        assert_eq!(AuthType::Ssl.code(), 2);
        assert_eq!(ModuleBuildState::Ready.code(), 5);
        assert_eq!(TaskState::from_name("open"), Some(TaskState::Open));
        assert_eq!(BuildState::from_code(7), None);
    }

    #[test]
    fn states_travel_as_integers_and_read_names() {
        assert_eq!(to_value(&TaskState::Closed).unwrap(), Value::Int(2));
        assert_eq!(from_value::<TaskState>(Value::Int(1)).unwrap(), TaskState::Open);
        assert_eq!(
            from_value::<BuildrootState>(Value::from("EXPIRED")).unwrap(),
            BuildrootState::Expired
        );
        assert_eq!(
            from_value::<BuildrootState>(Value::from("2")).unwrap(),
            BuildrootState::Building
        );
        assert!(from_value::<TaskState>(Value::Int(9)).is_err());
    }
}
