//! Records as they travel on the wire, with Koji's field names. Adding a field is fine if it is
//! optional; renaming or removing one breaks clients.

mod builds;
mod events;
mod hosts;
mod tags;
mod tasks;
mod users;

pub use builds::{BuildInfo, BuildLog, ExternalRepoInfo, RpmInfo, RpmSig, TagExternalRepo, TaggedBuild};
pub use events::EventInfo;
pub use hosts::{BuildrootInfo, ChannelInfo, HostInfo};
pub use tags::{
    BuildConfig, BuildTarget, ConfigInheritance, GroupPackage, GroupReq, InheritanceLink, InheritanceNode,
    PackageInfo, PackageListEntry, PackageOwnerFields, PackageSimple, TagGroup, TagInfo, TagListEntry,
    TagPackageFields, TagPermFields, TagRef,
};
pub use tasks::{AssignedTask, HostTask, TaskInfo, TaskListEntry, UploadResult};
pub use users::{LoggedInUser, Permission, SessionCredentials, SessionInfo, UserInfo};
