//! Build hosts, channels and buildroots (`getHost`, `listHosts`, `listChannels`,
//! `listBuildroots`).

use serde::{Deserialize, Serialize};

/// A build host (`getHost`, `listHosts`, `host.getHost`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// The host id.
    pub id: i64,
    /// The host's login user.
    pub user_id: i64,
    /// The host name (also its user name).
    pub name: String,
    /// Last check-in (`host.updateHost`), epoch seconds; nil if never.
    pub update_ts: Option<f64>,
    /// Reported ready for work.
    pub ready: bool,
    /// Reported load (sum of the weights of its running tasks).
    pub task_load: f64,
    /// Space-separated arches, or nil.
    pub arches: Option<String>,
    /// How much load the host takes.
    pub capacity: f64,
    /// Free text.
    pub description: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Enabled by an admin.
    pub enabled: bool,
}

/// A channel (`getChannel`, `listChannels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    /// The channel id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// Free text.
    pub comment: Option<String>,
}

/// A buildroot (`listBuildroots`, `getBuildroot`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildrootInfo {
    /// The buildroot id.
    pub id: i64,
    /// `BR_TYPES`: 0 standard, 1 external.
    pub br_type: i32,
    /// Content generator id.
    pub cg_id: Option<i64>,
    /// Content generator name.
    pub cg_name: Option<String>,
    /// Content generator version.
    pub cg_version: Option<String>,
    /// The build arch.
    pub container_arch: Option<String>,
    /// Same as `container_arch`.
    pub arch: Option<String>,
    /// `chroot` for builder buildroots.
    pub container_type: Option<String>,
    /// The host's OS.
    pub host_os: Option<String>,
    /// The host's arch.
    pub host_arch: Option<String>,
    /// Extra data (JSON), parsed.
    pub extra: Option<crate::xmlrpc::Value>,
    /// `BR_STATES`.
    pub state: Option<i32>,
    /// The task that made it.
    pub task_id: Option<i64>,
    /// The host it lives on.
    pub host_id: Option<i64>,
    /// The host's name.
    pub host_name: Option<String>,
    /// The repo it was built from.
    pub repo_id: Option<i64>,
    /// The repo's state.
    pub repo_state: Option<i32>,
    /// The repo's tag.
    pub tag_id: Option<i64>,
    /// The repo's tag name.
    pub tag_name: Option<String>,
    /// Creation event.
    pub create_event_id: Option<i64>,
    /// Creation event time.
    pub create_event_time: Option<String>,
    /// Creation time, epoch seconds.
    pub create_ts: Option<f64>,
    /// Retirement event.
    pub retire_event_id: Option<i64>,
    /// Retirement event time.
    pub retire_event_time: Option<String>,
    /// Retirement time, epoch seconds.
    pub retire_ts: Option<f64>,
    /// The repo's creation event.
    pub repo_create_event_id: Option<i64>,
    /// The repo's creation event time.
    pub repo_create_event_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{Value, from_value, to_value};

    #[test]
    fn host_round_trip_has_kojis_keys() {
        let host = HostInfo {
            id: 2,
            user_id: 3,
            name: "kojibuilder2".into(),
            update_ts: None,
            ready: false,
            task_load: 0.0,
            arches: Some("x86_64".into()),
            capacity: 2.0,
            description: None,
            comment: None,
            enabled: true,
        };
        let value = to_value(&host).unwrap();
        let keys: Vec<&str> = value.as_struct().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "arches",
                "capacity",
                "comment",
                "description",
                "enabled",
                "id",
                "name",
                "ready",
                "task_load",
                "update_ts",
                "user_id"
            ]
        );
        assert_eq!(value.get("update_ts"), Some(&Value::Nil));
        assert_eq!(from_value::<HostInfo>(value).unwrap(), host);
    }

    #[test]
    fn channel_round_trip() {
        let channel = ChannelInfo {
            id: 1,
            name: "default".into(),
            description: None,
            enabled: true,
            comment: None,
        };
        assert_eq!(
            from_value::<ChannelInfo>(to_value(&channel).unwrap()).unwrap(),
            channel
        );
    }
}
