//! The method table: every wire name, the Rust handler behind it, and whether it writes. This is
//! the only place the two naming schemes meet.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use common::xmlrpc::{Params, Value};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::host::{self, Host};
use crate::root;
use crate::rpc::call::Call;

/// A boxed handler future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A RootExports handler.
pub type RootHandler = for<'a, 'c> fn(&'a mut Call<'c>, Params) -> BoxFuture<'a, Result<Value>>;

/// A HostExports handler: it gets the host the dispatcher verified (a HOST user with an
/// exclusive session, or a subsession of one), so it cannot skip the check.
pub type HostHandler = for<'a, 'c> fn(&'a mut Call<'c>, Host, Params) -> BoxFuture<'a, Result<Value>>;

/// A long-polling HostExports handler (Kiln's `host.waitTasks`, `host.waitSubtasks`): the
/// dispatcher verifies the host, then releases the call's connection, so waiting builders pin
/// no database connection; the handler takes connections from the pool as it needs them.
pub type HostPollHandler = for<'a> fn(&'a Ctx, Host, Params) -> BoxFuture<'a, Result<Value>>;

/// What runs a method.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Any caller.
    Root(RootHandler),
    /// Verified hosts only.
    Host(HostHandler),
    /// Verified hosts only, long-polling without a call context.
    HostPoll(HostPollHandler),
}

/// Whether a method may write. Writing methods run inside a transaction; read-only ones run
/// their statements directly, saving the `BEGIN`/`COMMIT` round trips on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// May write.
    Write,
}

/// One entry of the table.
#[derive(Clone, Copy)]
pub struct Method {
    /// The wire name.
    pub name: &'static str,
    /// Read or write.
    pub access: Access,
    /// The handler.
    pub handler: Handler,
}

impl Method {
    /// Runs the method in a call context: verifies the host first for HostExports. Long-polling
    /// methods need no context and cannot run here (inside a multicall).
    pub async fn invoke(&self, call: &mut Call<'_>, params: Params) -> Result<Value> {
        match self.handler {
            Handler::Root(handler) => handler(call, params).await,
            Handler::Host(handler) => {
                let verified = host::verify(call).await?;
                handler(call, verified, params).await
            }
            Handler::HostPoll(_) => Err(Error::NotAllowed(format!(
                "{} cannot be called inside a multicall",
                self.name
            ))),
        }
    }
}

macro_rules! methods {
    ($($name:literal => $access:ident $handler:path,)*) => {
        &[$(Method { name: $name, access: Access::$access, handler: Handler::Root(|cx, params| Box::pin($handler(cx, params))) },)*]
    };
}

macro_rules! host_methods {
    ($($name:literal => $access:ident $kind:ident $handler:path,)*) => {
        &[$(Method { name: $name, access: Access::$access, handler: host_methods!(@$kind $handler) },)*]
    };
    (@host $handler:path) => { Handler::Host(|cx, host, params| Box::pin($handler(cx, host, params))) };
    (@poll $handler:path) => { Handler::HostPoll(|ctx, host, params| Box::pin($handler(ctx, host, params))) };
}

/// Every method the hub serves. `multiCall`/`system.multicall` are handled by the pipeline.
static METHODS: &[Method] = methods! {
    // Introspection and meta.
    "getAPIVersion" => Read root::meta::get_api_version,
    "getKojiVersion" => Read root::meta::get_koji_version,
    "echo" => Read root::meta::echo,
    "hello" => Read root::meta::hello,
    "fault" => Read root::meta::fault,
    "error" => Read root::meta::error,
    "mavenEnabled" => Read root::meta::maven_enabled,
    "winEnabled" => Read root::meta::win_enabled,
    "system.listMethods" => Read root::meta::list_methods,
    "system.methodSignature" => Read root::meta::method_signature,
    "system.methodHelp" => Read root::meta::method_help,
    "_listapi" => Read root::meta::list_api,
    // Sessions.
    "login" => Write root::sessions::login,
    "sslLogin" => Write root::sessions::ssl_login,
    "logout" => Write root::sessions::logout,
    "subsession" => Write root::sessions::subsession,
    "logoutChild" => Write root::sessions::logout_child,
    "exclusiveSession" => Write root::sessions::exclusive_session,
    "sharedSession" => Write root::sessions::shared_session,
    "getSessionInfo" => Read root::sessions::get_session_info,
    "getLoggedInUser" => Read root::sessions::get_logged_in_user,
    // Users and permissions.
    "getUser" => Read root::users::get_user,
    "listUsers" => Read root::users::list_users,
    "createUser" => Write root::users::create_user,
    "editUser" => Write root::users::edit_user,
    "enableUser" => Write root::users::enable_user,
    "disableUser" => Write root::users::disable_user,
    "grantPermission" => Write root::users::grant_permission,
    "revokePermission" => Write root::users::revoke_permission,
    "hasPerm" => Read root::users::has_perm,
    "getPerms" => Read root::users::get_perms,
    "getUserPerms" => Read root::users::get_user_perms,
    "getAllPerms" => Read root::users::get_all_perms,
    "newGroup" => Write root::users::new_group,
    "addGroupMember" => Write root::users::add_group_member,
    "dropGroupMember" => Write root::users::drop_group_member,
    "getGroupMembers" => Read root::users::get_group_members,
    "getUserGroups" => Read root::users::get_user_groups,
    // Events.
    "getEvent" => Read root::events::get_event,
    "getLastEvent" => Read root::events::get_last_event,
    // Hosts and channels.
    "addHost" => Write root::hosts::add_host,
    "editHost" => Write root::hosts::edit_host,
    "enableHost" => Write root::hosts::enable_host,
    "disableHost" => Write root::hosts::disable_host,
    "getHost" => Read root::hosts::get_host,
    "listHosts" => Read root::hosts::list_hosts,
    "getLastHostUpdate" => Read root::hosts::get_last_host_update,
    "getAllArches" => Read root::hosts::get_all_arches,
    "addHostToChannel" => Write root::channels::add_host_to_channel,
    "removeHostFromChannel" => Write root::channels::remove_host_from_channel,
    "listChannels" => Read root::channels::list_channels,
    "getChannel" => Read root::channels::get_channel,
    "addChannel" => Write root::channels::add_channel,
    "createChannel" => Write root::channels::add_channel,
    "editChannel" => Write root::channels::edit_channel,
    "renameChannel" => Write root::channels::rename_channel,
    "enableChannel" => Write root::channels::enable_channel,
    "disableChannel" => Write root::channels::disable_channel,
    "listBuildroots" => Read root::buildroots::list_buildroots,
    "getBuildroot" => Read root::buildroots::get_buildroot,
    // Tasks.
    "makeTask" => Write root::task_control::make_task,
    "getTaskInfo" => Read root::tasks::get_task_info,
    "listTasks" => Read root::tasks::list_tasks,
    "getTaskChildren" => Read root::tasks::get_task_children,
    "getTaskDescendents" => Read root::tasks::get_task_descendents,
    "getTaskRequest" => Read root::tasks::get_task_request,
    "getTaskResult" => Read root::tasks::get_task_result,
    "taskFinished" => Read root::tasks::task_finished,
    "cancelTask" => Write root::task_control::cancel_task,
    "cancelTaskFull" => Write root::task_control::cancel_task_full,
    "cancelTaskChildren" => Write root::task_control::cancel_task_children,
    "setTaskPriority" => Write root::task_control::set_task_priority,
    "freeTask" => Write root::task_control::free_task,
    "assignTask" => Write root::task_control::assign_task,
    "resubmitTask" => Write root::task_resubmit::resubmit_task,
    "search" => Read root::search::search,
    "listTaskOutput" => Read root::task_output::list_task_output,
    "downloadTaskOutput" => Read root::task_output::download_task_output,
    // Uploads (rawUpload is the HTTP router's).
    "checkUpload" => Read root::uploads::check_upload,
    "uploadFile" => Write root::uploads::upload_file,
    // The scheduler's inspection calls.
    "scheduler.getTaskRuns" => Read root::scheduler::get_task_runs,
    "scheduler.getTaskRefusals" => Read root::scheduler::get_task_refusals,
    "scheduler.getHostData" => Read root::scheduler::get_host_data,
    "scheduler.getLogMessages" => Read root::scheduler::get_log_messages,
    "scheduler.doRun" => Read root::scheduler::do_run,
    // Tags, inheritance, targets, package lists, comps groups and history.
    "getTag" => Read root::tags::get_tag,
    "getTagID" => Read root::tags::get_tag_id,
    "listTags" => Read root::tags::list_tags,
    "createTag" => Write root::tags::create_tag,
    "editTag" => Write root::tags::edit_tag,
    "editTag2" => Write root::tags::edit_tag2,
    "deleteTag" => Write root::tags::delete_tag,
    "getBuildConfig" => Read root::tags::get_build_config,
    "getInheritanceData" => Read root::inheritance::get_inheritance_data,
    "setInheritanceData" => Write root::inheritance::set_inheritance_data,
    "getFullInheritance" => Read root::inheritance::get_full_inheritance,
    "getBuildTarget" => Read root::targets::get_build_target,
    "getBuildTargets" => Read root::targets::get_build_targets,
    "createBuildTarget" => Write root::targets::create_build_target,
    "editBuildTarget" => Write root::targets::edit_build_target,
    "deleteBuildTarget" => Write root::targets::delete_build_target,
    "getPackage" => Write root::packages::get_package,
    "getPackageID" => Read root::packages::get_package_id,
    "createPackage" => Write root::packages::create_package,
    "listPackages" => Read root::packages::list_packages,
    "listPackagesSimple" => Read root::packages::list_packages_simple,
    "packageListAdd" => Write root::packages::package_list_add,
    "packageListRemove" => Write root::packages::package_list_remove,
    "packageListBlock" => Write root::packages::package_list_block,
    "packageListUnblock" => Write root::packages::package_list_unblock,
    "packageListSetOwner" => Write root::packages::package_list_set_owner,
    "packageListSetArches" => Write root::packages::package_list_set_arches,
    "getPackageConfig" => Read root::packages::get_package_config,
    "checkTagPackage" => Read root::packages::check_tag_package,
    "getTagGroups" => Read root::groups::get_tag_groups,
    "groupListAdd" => Write root::groups::group_list_add,
    "groupListRemove" => Write root::groups::group_list_remove,
    "groupListBlock" => Write root::groups::group_list_block,
    "groupListUnblock" => Write root::groups::group_list_unblock,
    "groupPackageListAdd" => Write root::groups::group_package_list_add,
    "groupPackageListRemove" => Write root::groups::group_package_list_remove,
    "groupPackageListBlock" => Write root::groups::group_package_list_block,
    "groupPackageListUnblock" => Write root::groups::group_package_list_unblock,
    "groupReqListAdd" => Write root::groups::group_req_list_add,
    "groupReqListRemove" => Write root::groups::group_req_list_remove,
    "groupReqListBlock" => Write root::groups::group_req_list_block,
    "groupReqListUnblock" => Write root::groups::group_req_list_unblock,
    // Builds, rpms, tagging, imports and external repos.
    "build" => Write root::build_task::build,
    "getBuild" => Read root::builds::get_build,
    "findBuildID" => Read root::build_admin::find_build_id,
    "createEmptyBuild" => Write root::build_admin::create_empty_build,
    "untaggedBuilds" => Read root::build_admin::untagged_builds,
    "getAverageBuildDuration" => Read root::build_admin::get_average_build_duration,
    "listBuilds" => Read root::builds::list_builds,
    "getBuildType" => Read root::builds::get_build_type,
    "listBTypes" => Read root::builds::list_btypes,
    "listVolumes" => Read root::builds::list_volumes,
    "getMavenBuild" => Read root::builds::get_typed_build,
    "getWinBuild" => Read root::builds::get_typed_build,
    "getImageBuild" => Read root::builds::get_typed_build,
    "listArchives" => Read root::builds::list_archives,
    "getBuildLogs" => Read root::builds::get_build_logs,
    "getNextRelease" => Read root::builds::get_next_release,
    "getChangelogEntries" => Read root::builds::get_changelog_entries,
    "cancelBuild" => Write root::builds::cancel_build,
    "deleteBuild" => Write root::builds::delete_build,
    "resetBuild" => Write root::builds::reset_build,
    "listTagged" => Read root::tagging::list_tagged,
    "getLatestBuilds" => Read root::tagging::get_latest_builds,
    "listTaggedRPMS" => Read root::tagging::list_tagged_rpms,
    "getLatestRPMS" => Read root::tagging::get_latest_rpms,
    "tagBuild" => Write root::tagging::tag_build,
    "moveBuild" => Write root::tagging::move_build,
    "untagBuild" => Write root::tagging::untag_build,
    "tagBuildBypass" => Write root::tagging::tag_build_bypass,
    "untagBuildBypass" => Write root::tagging::untag_build_bypass,
    "getRPM" => Read root::rpms::get_rpm,
    "listRPMs" => Read root::rpms::list_rpms,
    "listBuildRPMs" => Read root::rpms::list_build_rpms,
    "getRPMHeaders" => Read root::rpms::get_rpm_headers,
    "queryRPMSigs" => Read root::rpms::query_rpm_sigs,
    "getBuildrootListing" => Read root::rpms::get_buildroot_listing,
    "importRPM" => Write root::rpms::import_rpm,
    "createExternalRepo" => Write root::external_repos::create_external_repo,
    "getExternalRepo" => Read root::external_repos::get_external_repo,
    "listExternalRepos" => Read root::external_repos::list_external_repos,
    "editExternalRepo" => Write root::external_repos::edit_external_repo,
    "deleteExternalRepo" => Write root::external_repos::delete_external_repo,
    "addExternalRepoToTag" => Write root::external_repos::add_external_repo_to_tag,
    "removeExternalRepoFromTag" => Write root::external_repos::remove_external_repo_from_tag,
    "editTagExternalRepo" => Write root::external_repos::edit_tag_external_repo,
    "getTagExternalRepos" => Read root::external_repos::get_tag_external_repos,
    "getExternalRepoList" => Read root::external_repos::get_external_repo_list,
    "queryHistory" => Read root::history::query_history,
    "tagLastChangeEvent" => Read root::history::tag_last_change_event,
    "tagFirstChangeEvent" => Read root::history::tag_first_change_event,
    "tagChangedSinceEvent" => Read root::history::tag_changed_since_event,
    // Repos and repo requests.
    "repoInfo" => Read root::repos::repo_info,
    "getRepo" => Read root::repos::get_repo,
    "getActiveRepos" => Read root::repos::get_active_repos,
    "repoExpire" => Write root::repos::repo_expire,
    "repoProblem" => Write root::repos::repo_problem,
    "repoDelete" => Write root::repos::repo_delete,
    "newRepo" => Write root::repos::new_repo,
    "repo.get" => Read root::repos::repo_get,
    "repo.request" => Write root::repos::repo_request,
    "repo.checkRequest" => Read root::repos::repo_check_request,
    "repo.setRequestPriority" => Write root::repos::repo_set_request_priority,
    "repo.query" => Read root::repos::repo_query,
    "repo.queryQueue" => Read root::repos::repo_query_queue,
    "repo.references" => Read root::repos::repo_references,
    "repo.setState" => Write root::repos::repo_set_state,
};

/// HostExports: `host.*`, callable only by a verified host (or a task subsession of one).
static HOST_METHODS: &[Method] = host_methods! {
    "host.getID" => Read host host::hosts::get_id,
    "host.getHost" => Read host host::hosts::get_host,
    "host.isEnabled" => Read host host::hosts::is_enabled,
    "host.updateHost" => Write host host::hosts::update_host,
    "host.setHostData" => Write host host::hosts::set_host_data,
    "host.getLoadData" => Write host host::hosts::get_load_data,
    "host.getTasks" => Write host host::hosts::get_tasks,
    "host.getHostTasks" => Read host host::hosts::get_host_tasks,
    "host.openTask" => Write host host::tasks::open_task,
    "host.closeTask" => Write host host::tasks::close_task,
    "host.failTask" => Write host host::tasks::fail_task,
    "host.freeTasks" => Write host host::tasks::free_tasks,
    "host.refuseTask" => Write host host::tasks::refuse_task,
    "host.setTaskWeight" => Write host host::tasks::set_task_weight,
    "host.subtask" => Write host host::subtasks::subtask,
    "host.subtask2" => Write host host::subtasks::subtask2,
    "host.taskSetWait" => Write host host::subtasks::task_set_wait,
    "host.taskWait" => Write host host::subtasks::task_wait,
    "host.taskUnwait" => Write host host::subtasks::task_unwait,
    "host.taskWaitResults" => Write host host::subtasks::task_wait_results,
    "host.initBuild" => Write host host::builds::init_build,
    "host.completeBuild" => Write host host::builds::complete_build,
    "host.failBuild" => Write host host::builds::fail_build,
    "host.moveBuildToScratch" => Write host host::builds::move_build_to_scratch,
    "host.tagBuild" => Write host host::builds::tag_build,
    "host.tagNotification" => Write host host::builds::tag_notification,
    "host.newBuildRoot" => Write host host::buildroots::new_buildroot,
    "host.setBuildRootState" => Write host host::buildroots::set_buildroot_state,
    "host.setBuildRootList" => Write host host::buildroots::set_buildroot_list,
    "host.updateBuildRootList" => Write host host::buildroots::update_buildroot_list,
    "host.repoInit" => Write host host::repos::repo_init,
    "host.moduleInit" => Write host host::modules::module_init,
    "host.moduleStep" => Write host host::modules::module_step,
    "host.repoDone" => Write host host::repos::repo_done,
    // Kiln's long-polling extensions.
    "host.waitTasks" => Read poll host::wait::wait_tasks,
    "host.waitSubtasks" => Read poll host::wait::wait_subtasks,
};

static BY_NAME: LazyLock<HashMap<&'static str, &'static Method>> = LazyLock::new(|| {
    METHODS
        .iter()
        .chain(HOST_METHODS.iter())
        .map(|m| (m.name, m))
        .collect()
});

/// The method registered under a wire name.
pub fn lookup(name: &str) -> Option<&'static Method> {
    BY_NAME.get(name).copied()
}

/// Every wire name, in table order (for `system.listMethods`), plus the multicall names.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    METHODS
        .iter()
        .chain(HOST_METHODS.iter())
        .map(|m| m.name)
        .chain(["multiCall", "system.multicall"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        assert_eq!(
            BY_NAME.len(),
            METHODS.len() + HOST_METHODS.len(),
            "a wire name is registered twice"
        );
    }

    #[test]
    fn lookup_finds_methods() {
        assert!(lookup("getAPIVersion").is_some());
        assert_eq!(lookup("login").map(|m| m.access), Some(Access::Write));
        assert!(lookup("nope").is_none());
    }
}
