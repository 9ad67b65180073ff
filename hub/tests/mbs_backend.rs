//! The module build backend's hub side: a submission creates the `moduleBuild` parent task, and
//! the host holding it runs `host.moduleInit` (tags, target, inheritance, groups, package lists,
//! macros, init → wait → build); refusals for unknown builds, builds past wait and hosts that
//! do not hold the task.

#[expect(dead_code, reason = "the MBS tests' helpers, of which these tests use a few")]
mod mbs_support;

use common::xmlrpc::Value as X;
use hub::test_clients::{add_host, blocking, check_in, fault, login};
use mbs_support::*;
use serde_json::json;

/// `platform:f28` with the buildroot profiles MBS makes the build groups from.
const PLATFORM_WITH_PROFILES: &str = "document: modulemd
version: 2
data:
  name: platform
  stream: f28
  version: 3
  context: 00000000
  summary: Fedora 28 traditional base
  description: Fedora 28 traditional base
  license:
    module: [MIT]
  profiles:
    buildroot:
      rpms: [bash, rpm-build, redhat-rpm-config]
    srpm-buildroot:
      rpms: [bash, fedpkg-minimal]
  xmd:
    mbs:
      mse: TRUE
      koji_tag: f28-build
";

fn s(text: &str) -> X {
    X::from(text)
}

fn names(value: &X, key: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.get(key).and_then(X::as_str).unwrap().to_owned())
        .collect()
}

fn strings(value: &X) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

/// Imports `platform` (its tag `f28-build` with arches `x86_64 aarch64`) and submits
/// `testmodule`; returns the module build id and its `moduleBuild` task id.
async fn submitted(hub: &MbsHub, platform: &str) -> (i64, i64) {
    create_tag(hub, "f28-build").await;
    let url = hub.hub.url();
    blocking(move || {
        let admin = login(&url, "kojiadmin", "pw");
        admin
            .call_kw(
                "editTag2",
                vec![s("f28-build")],
                vec![("arches", s("x86_64 aarch64"))],
            )
            .unwrap();
    })
    .await;
    let imported = call(
        "POST",
        format!("{}import-module/", hub.api(1)),
        Some(json!({ "modulemd": platform })),
        Auth::Basic(ADMIN),
    )
    .await;
    assert_eq!(imported.status, 201, "{imported:?}");
    let commit = testmodule_repo(hub);
    let answer = submit(hub, 2, &commit, "master", OWNER).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let module_id = answer.body[0]["id"].as_i64().unwrap();
    let client = hub.hub.ctx.pool.get().await.unwrap();
    let task_id: Option<i64> = client
        .query_one("SELECT task_id FROM module_builds WHERE id = $1", &[&module_id])
        .await
        .unwrap()
        .get(0);
    (
        module_id,
        task_id.expect("the submission records the moduleBuild task"),
    )
}

#[tokio::test]
async fn the_host_of_the_module_build_task_sets_up_tags_target_and_groups() {
    let hub = MbsHub::start().await;
    let (module_id, task_id) = submitted(&hub, PLATFORM_WITH_PROFILES).await;
    let url = hub.hub.url();
    let koji_tag = "module-testmodule-master-2820170816080815-9c690d0e";

    let (result, checks, refusals) = blocking(move || {
        let admin = login(&url, "kojiadmin", "pw");
        let task = admin.call("getTaskInfo", vec![X::Int(task_id)]).unwrap();
        let request = admin.call("getTaskRequest", vec![X::Int(task_id)]).unwrap();
        let owner = admin
            .call("getUser", vec![task.get("owner").unwrap().clone()])
            .unwrap();
        let task_facts = (
            task.get("method").and_then(X::as_str).unwrap().to_owned(),
            task.get("state").and_then(X::as_i64).unwrap(),
            owner.get("name").and_then(X::as_str).unwrap().to_owned(),
            request,
        );

        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        let (_, other) = add_host(&url, &admin, "other", &["x86_64"]);
        // Before the host opens the task, nobody may initialise the module.
        let not_open = fault(host.call("host.moduleInit", vec![X::Int(module_id)]));
        check_in(&host, &["moduleBuild"], 5);
        let offered = host.call("host.getTasks", vec![]).unwrap();
        assert_eq!(names(&offered, "method"), ["moduleBuild"]);
        assert!(
            !host
                .call("host.openTask", vec![X::Int(task_id)])
                .unwrap()
                .is_nil()
        );
        let other_host = fault(other.call("host.moduleInit", vec![X::Int(module_id)]));
        let unknown = fault(host.call("host.moduleInit", vec![X::Int(999_999)]));

        let result = host.call("host.moduleInit", vec![X::Int(module_id)]).unwrap();
        let again = fault(host.call("host.moduleInit", vec![X::Int(module_id)]));

        let tag = admin.call("getTag", vec![s(koji_tag)]).unwrap();
        let build_tag = admin
            .call("getTag", vec![s(&format!("{koji_tag}-build"))])
            .unwrap();
        let target = admin.call("getBuildTarget", vec![s(koji_tag)]).unwrap();
        let parents = admin
            .call("getInheritanceData", vec![s(&format!("{koji_tag}-build"))])
            .unwrap();
        let own_parents = admin.call("getInheritanceData", vec![s(koji_tag)]).unwrap();
        let groups = admin
            .call_kw(
                "getTagGroups",
                vec![s(&format!("{koji_tag}-build"))],
                vec![("inherit", X::Bool(false))],
            )
            .unwrap();
        let packages = admin
            .call_kw("listPackages", vec![], vec![("tagID", s(koji_tag))])
            .unwrap();
        (
            result,
            (
                task_facts,
                tag,
                build_tag,
                target,
                parents,
                own_parents,
                groups,
                packages,
            ),
            (not_open, other_host, unknown, again),
        )
    })
    .await;
    let ((method, state, owner, request), tag, build_tag, target, parents, own_parents, groups, packages) =
        checks;

    // The submission made a FREE moduleBuild task owned by the submitter.
    assert_eq!(method, "moduleBuild");
    assert_eq!(state, 0);
    assert_eq!(owner, OWNER);
    assert_eq!(request, X::Array(vec![X::Int(module_id)]));

    // What the host call reports.
    assert_eq!(result.get("koji_tag").and_then(X::as_str), Some(koji_tag));
    assert_eq!(result.get("target").and_then(X::as_str), Some(koji_tag));
    assert_eq!(result.get("state").and_then(X::as_str), Some("build"));
    assert_eq!(strings(result.get("arches").unwrap()), ["x86_64", "aarch64"]);
    assert_eq!(
        strings(result.get("created_tags").unwrap()),
        [koji_tag.to_owned(), format!("{koji_tag}-build")]
    );
    assert_eq!(strings(result.get("parents").unwrap()), ["f28-build"]);

    // The tags: the base module tag's arches and MBS's extra options; the macros in the build tag.
    assert_eq!(tag.get("arches").and_then(X::as_str), Some("x86_64 aarch64"));
    assert_eq!(
        build_tag.get("arches").and_then(X::as_str),
        Some("x86_64 aarch64")
    );
    let extra = build_tag.get("extra").unwrap();
    assert_eq!(extra.get("mock.package_manager").and_then(X::as_str), Some("dnf"));
    assert_eq!(extra.get("repo_include_all"), Some(&X::Bool(true)));
    assert_eq!(
        extra.get("rpm.macro.modularitylabel").and_then(X::as_str),
        Some("testmodule:master:2820170816080815:9c690d0e")
    );
    assert_eq!(
        extra.get("rpm.macro._module_build").and_then(X::as_str),
        Some("1")
    );
    let dist = extra.get("rpm.macro.dist").and_then(X::as_str).unwrap();
    assert!(dist.starts_with(&format!(".module+f28+{module_id}+")), "{dist}");

    // The target builds in T-build and lands in T.
    assert_eq!(
        target.get("build_tag_name").and_then(X::as_str),
        Some(format!("{koji_tag}-build").as_str())
    );
    assert_eq!(target.get("dest_tag_name").and_then(X::as_str), Some(koji_tag));

    // T-build inherits the platform's tag; T inherits nothing.
    assert_eq!(names(&parents, "name"), ["f28-build"]);
    assert_eq!(parents.as_array().unwrap()[0].get("priority"), Some(&X::Int(0)));
    assert!(own_parents.as_array().unwrap().is_empty());

    // The groups are the platform's buildroot profiles.
    let group_names = names(&groups, "name");
    assert_eq!(group_names, ["build", "srpm-build"]);
    let group_packages = |index: usize| {
        let mut packages = names(
            groups.as_array().unwrap()[index].get("packagelist").unwrap(),
            "package",
        );
        packages.sort();
        packages
    };
    assert_eq!(group_packages(0), ["bash", "redhat-rpm-config", "rpm-build"]);
    assert_eq!(group_packages(1), ["bash", "fedpkg-minimal"]);

    // The package list: the components and module-build-macros, owned by the submitter.
    let mut listed = names(&packages, "package_name");
    listed.sort();
    assert_eq!(
        listed,
        [
            "module-build-macros",
            "perl-List-Compare",
            "perl-Tangerine",
            "tangerine"
        ]
    );
    assert_eq!(names(&packages, "owner_name"), [OWNER; 4]);

    // The module went init → wait → build.
    let module = call(
        "GET",
        format!("{}module-builds/{module_id}?verbose=true", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(module.body["state_name"], "build", "{module:?}");
    let trace: Vec<&str> = module.body["state_trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state_name"].as_str().unwrap())
        .collect();
    assert_eq!(trace, ["init", "wait", "build"]);

    // The refusals.
    let (not_open, other_host, unknown, again) = refusals;
    assert_eq!(not_open.0, 1004, "{not_open:?}");
    assert!(
        not_open.1.contains(&format!("does not own task {task_id}")),
        "{not_open:?}"
    );
    assert_eq!(other_host.0, 1004, "{other_host:?}");
    assert_eq!(unknown, (1000, "No such module build: 999999".to_owned()));
    assert_eq!(again.0, 1004, "{again:?}");
    assert_eq!(
        again.1,
        format!(
            "module build {module_id} (testmodule:master:2820170816080815:9c690d0e) cannot be \
             initialised: it is in state build, and the init step runs only in init or wait"
        )
    );
}

#[tokio::test]
async fn a_refused_init_leaves_nothing_behind() {
    let hub = MbsHub::start().await;
    let (module_id, task_id) = submitted(&hub, PLATFORM_WITH_PROFILES).await;
    let url = hub.hub.url();
    // The platform's tag disappears: the dependency cannot be added, and the call writes nothing.
    let (refused, tag) = blocking(move || {
        let admin = login(&url, "kojiadmin", "pw");
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        check_in(&host, &["moduleBuild"], 5);
        host.call("host.getTasks", vec![]).unwrap();
        assert!(
            !host
                .call("host.openTask", vec![X::Int(task_id)])
                .unwrap()
                .is_nil()
        );
        admin.call("deleteTag", vec![s("f28-build")]).unwrap();
        let refused = fault(host.call("host.moduleInit", vec![X::Int(module_id)]));
        let tag = admin
            .call(
                "getTag",
                vec![s("module-testmodule-master-2820170816080815-9c690d0e")],
            )
            .unwrap();
        (refused, tag)
    })
    .await;
    assert_eq!(refused.0, 1004, "{refused:?}");
    assert!(
        refused
            .1
            .ends_with("Failed to add dependencies to buildroot: no tag f28-build"),
        "{refused:?}"
    );
    assert!(tag.is_nil(), "{tag:?}");
    let module = call(
        "GET",
        format!("{}module-builds/{module_id}", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(module.body["state_name"], "init", "{module:?}");
}

#[tokio::test]
async fn without_buildroot_profiles_the_groups_come_from_the_platform_tag() {
    let hub = MbsHub::start().await;
    let (module_id, task_id) = submitted(&hub, PLATFORM_F28).await;
    let url = hub.hub.url();
    let (result, groups) = blocking(move || {
        let admin = login(&url, "kojiadmin", "pw");
        admin
            .call("groupListAdd", vec![s("f28-build"), s("build")])
            .unwrap();
        for package in ["bash", "coreutils"] {
            admin
                .call(
                    "groupPackageListAdd",
                    vec![s("f28-build"), s("build"), s(package)],
                )
                .unwrap();
        }
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        check_in(&host, &["moduleBuild"], 5);
        host.call("host.getTasks", vec![]).unwrap();
        assert!(
            !host
                .call("host.openTask", vec![X::Int(task_id)])
                .unwrap()
                .is_nil()
        );
        let result = host.call("host.moduleInit", vec![X::Int(module_id)]).unwrap();
        let groups = admin
            .call_kw(
                "getTagGroups",
                vec![s("module-testmodule-master-2820170816080815-9c690d0e-build")],
                vec![("inherit", X::Bool(false))],
            )
            .unwrap();
        (result, groups)
    })
    .await;
    // `build` is copied from the platform's tag; `srpm-build` exists there nowhere, so it is empty.
    let added = result.get("groups").unwrap();
    assert_eq!(strings(added.get("build").unwrap()), ["bash", "coreutils"]);
    assert!(strings(added.get("srpm-build").unwrap()).is_empty());
    assert_eq!(names(&groups, "name"), ["build", "srpm-build"]);
    let mut build = names(
        groups.as_array().unwrap()[0].get("packagelist").unwrap(),
        "package",
    );
    build.sort();
    assert_eq!(build, ["bash", "coreutils"]);
}

/// The `moduleBuild` tasks there are, by id.
async fn module_tasks(hub: &MbsHub) -> Vec<(i64, i32)> {
    let client = hub.hub.ctx.pool.get().await.unwrap();
    client
        .query(
            "SELECT id, state FROM task WHERE method = 'moduleBuild' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

#[tokio::test]
async fn a_canceled_build_cancels_its_task_and_a_resumed_one_gets_a_new_task() {
    let hub = MbsHub::start().await;
    let (module_id, task_id) = submitted(&hub, PLATFORM_F28).await;
    let url = format!("{}module-builds/{module_id}", hub.api(1));
    let cancel = json!({"state": "failed"});
    let commit = testmodule_repo(&hub);

    // Canceling the module cancels its moduleBuild task, even while it waits FREE.
    let canceled = call("PATCH", url.clone(), Some(cancel.clone()), Auth::Basic(OWNER)).await;
    assert_eq!(canceled.status, 200, "{canceled:?}");
    assert_eq!(module_tasks(&hub).await, [(task_id, 3)]);

    // Resubmitted, it resumes in place with a new task.
    let resumed = submit(&hub, 2, &commit, "master", OWNER).await;
    assert_eq!(resumed.status, 201, "{resumed:?}");
    assert_eq!(resumed.body[0]["id"], module_id);
    let tasks = module_tasks(&hub).await;
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(tasks[0], (task_id, 3));
    assert_eq!(tasks[1].1, 0);

    // A task that is already over is left as it is when the module is canceled again.
    let second = tasks[1].0;
    let admin_url = hub.hub.url();
    blocking(move || {
        let admin = login(&admin_url, "kojiadmin", "pw");
        admin.call("cancelTask", vec![X::Int(second)]).unwrap();
    })
    .await;
    let canceled = call("PATCH", url, Some(cancel), Auth::Basic(OWNER)).await;
    assert_eq!(canceled.status, 200, "{canceled:?}");
    assert_eq!(module_tasks(&hub).await, [(task_id, 3), (second, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_steps_the_module_through_macros_to_its_first_build_task() {
    let hub = MbsHub::start().await;
    let (module_id, task_id) = submitted(&hub, PLATFORM_WITH_PROFILES).await;
    let url = hub.hub.url();
    let koji_tag = "module-testmodule-master-2820170816080815-9c690d0e";
    blocking(move || {
        let admin = login(&url, "kojiadmin", "pw");
        let (_, host) = add_host(&url, &admin, "builder", &["x86_64"]);
        let (_, other) = add_host(&url, &admin, "other", &["x86_64"]);
        let step = |session: &common::client::ClientSession, kwargs: Vec<(&str, X)>| {
            session.call_kw("host.moduleStep", vec![X::Int(module_id)], kwargs)
        };
        let action = |value: &X| value.get("action").and_then(X::as_str).unwrap().to_owned();
        // Not before the task is open, not for another host, not for an unknown build.
        let (_, not_open) = fault(step(&host, vec![]));
        assert!(
            not_open.contains("not open") || not_open.contains("host"),
            "{not_open}"
        );
        check_in(&host, &["moduleBuild"], 5);
        assert!(
            !host
                .call("host.openTask", vec![X::Int(task_id)])
                .unwrap()
                .is_nil()
        );
        fault(step(&other, vec![]));
        let (_, unknown) = fault(host.call("host.moduleStep", vec![X::Int(999_999)]));
        assert!(unknown.contains("999999"), "{unknown}");

        // In init, the step says to run the init step first.
        assert_eq!(action(&step(&host, vec![]).unwrap()), "init");
        host.call("host.moduleInit", vec![X::Int(module_id)]).unwrap();

        // Then module-build-macros: its sources carry the module's dist and label.
        let macros = step(&host, vec![]).unwrap();
        assert_eq!(action(&macros), "macros");
        let spec = macros.get("spec").and_then(X::as_str).unwrap();
        assert!(
            spec.contains(&format!("%global dist .module+f28+{module_id}+")),
            "{spec}"
        );
        assert!(spec.contains("Name:           module-build-macros"), "{spec}");
        let macros_file = macros.get("macros").and_then(X::as_str).unwrap();
        assert!(
            macros_file.contains("%modularitylabel testmodule:master:2820170816080815:9c690d0e"),
            "{macros_file}"
        );
        // A path out of work/ is refused and nothing is submitted.
        fault(step(&host, vec![("macros_srpm", s("../../etc/x.src.rpm"))]));
        assert_eq!(action(&step(&host, vec![]).unwrap()), "macros");

        // With the SRPM the macros build is submitted under the parent, with skip_tag.
        let srpm = format!("tasks/{}/{task_id}/module-build-macros.src.rpm", task_id % 10_000);
        let wait = step(&host, vec![("macros_srpm", s(&srpm))]).unwrap();
        assert_eq!(action(&wait), "wait");
        assert_eq!(wait.get("batch").and_then(X::as_i64), Some(1));
        let tasks = wait.get("tasks").and_then(X::as_array).unwrap().to_vec();
        assert_eq!(tasks.len(), 1);
        let children = admin.call("getTaskChildren", vec![X::Int(task_id)]).unwrap();
        assert_eq!(names(&children, "method"), ["build"]);
        let child = tasks[0].as_i64().unwrap();
        let request = admin.call("getTaskRequest", vec![X::Int(child)]).unwrap();
        let request = request.as_array().unwrap();
        assert_eq!(request[0].as_str(), Some(srpm.as_str()));
        assert_eq!(request[1].as_str(), Some(koji_tag));
        let opts = request[2].get("opts").unwrap();
        assert_eq!(opts.get("skip_tag"), Some(&X::Bool(true)));
        assert_eq!(
            opts.get("mbs_artifact_name").and_then(X::as_str),
            Some("module-build-macros")
        );
        // Asking again changes nothing: the same task is awaited.
        let again = step(&host, vec![]).unwrap();
        assert_eq!(again.get("tasks"), wait.get("tasks"));
        let children = admin.call("getTaskChildren", vec![X::Int(task_id)]).unwrap();
        assert_eq!(children.as_array().unwrap().len(), 1);
    })
    .await;
    let answer = call(
        "GET",
        format!("{}module-builds/{module_id}?verbose=1", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let module = answer.body;
    let macros = &module["tasks"]["rpms"]["module-build-macros"];
    assert_eq!(macros["state"], 0, "{module}");
    assert_eq!(macros["state_reason"], "Submitted module-build-macros to Koji");
    assert_eq!(module["batch"], 1);
}
