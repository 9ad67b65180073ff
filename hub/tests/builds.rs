//! Builds, rpms and tagging against a real hub, with test code playing the builder through
//! `host.*`: `importRPM`, the `build` call, `host.initBuild`/`completeBuild`/`failBuild`/
//! `moveBuildToScratch`, buildroot records, `tagBuild` as a task and `host.tagBuild`, the
//! listings, and every refusal with Koji's fault code and message.

use std::path::Path;

use common::FaultCode;
use common::client::ClientSession;
use common::xmlrpc::{Value, encode_response};
use hub::test_clients::{add_host, blocking, check_in, fault, login};
use hub::test_rpms::{build_noarch, query, sign};
use hub::testing::TestHub;

fn s(text: &str) -> Value {
    Value::from(text)
}

fn int(n: i64) -> Value {
    Value::Int(n)
}

fn ok(session: &ClientSession, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Value {
    session
        .call_kw(method, args, kwargs)
        .unwrap_or_else(|e| panic!("{method} failed: {e}"))
}

/// Asserts a call fails with Koji's code and message.
fn fails(
    session: &ClientSession,
    method: &str,
    args: Vec<Value>,
    kwargs: Vec<(&str, Value)>,
    code: FaultCode,
    message: &str,
) {
    let (got_code, got_message) = fault(session.call_kw(method, args, kwargs));
    assert_eq!(
        (got_code, got_message.as_str()),
        (code.code(), message),
        "{method}"
    );
}

fn id(value: &Value) -> i64 {
    value.as_i64().unwrap_or_else(|| panic!("not an id: {value:?}"))
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or_else(|| panic!("no {key} in {value:?}"))
}

fn nvrs(listing: &Value) -> Vec<String> {
    listing
        .as_array()
        .unwrap()
        .iter()
        .map(|b| field(b, "nvr").as_str().unwrap().to_owned())
        .collect()
}

/// Uploads a file into `work/<dir>/`.
fn upload(session: &ClientSession, local: &Path, dir: &str) {
    let name = local.file_name().unwrap().to_string_lossy().into_owned();
    session.upload_file(local, dir, &name, 1 << 20).unwrap();
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Takes, opens and returns the host's next assigned task.
fn take_task(host: &ClientSession, methods: &[&str]) -> i64 {
    check_in(host, methods, 5);
    let tasks = ok(host, "host.getTasks", vec![], vec![]);
    let task_id = id(field(&tasks.as_array().unwrap()[0], "id"));
    assert!(!ok(host, "host.openTask", vec![int(task_id)], vec![]).is_nil());
    task_id
}

fn close(host: &ClientSession, task_id: i64) {
    ok(
        host,
        "host.closeTask",
        vec![int(task_id), s(&encode_response(&Value::Nil))],
        vec![],
    );
}

/// `dest` (listing `hello`), `child` inheriting from `dest`, and `other` (listing nothing).
fn tags(admin: &ClientSession) {
    ok(admin, "createTag", vec![s("dest")], vec![]);
    ok(admin, "createTag", vec![s("child")], vec![("parent", s("dest"))]);
    ok(admin, "createTag", vec![s("other")], vec![]);
    ok(
        admin,
        "packageListAdd",
        vec![s("dest"), s("hello")],
        vec![("owner", s("admin"))],
    );
}

#[tokio::test]
async fn imported_builds_are_tagged_through_a_task_and_listed() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("carol", "pw", &[]).await;
    let url = hub.url();
    let topdir = hub.topdir();
    let fixtures = hub.path().join("fixtures");
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let carol = login(&url, "carol", "pw");
        tags(&admin);
        let built = build_noarch(&fixtures, "hello", "1.0", "1");
        upload(&admin, &built.srpm, "cli-import/a");
        upload(&admin, &built.rpm, "cli-import/b");
        // Binaries need their build first.
        fails(
            &admin,
            "importRPM",
            vec![s("cli-import/b"), s(&file_name(&built.rpm))],
            vec![],
            FaultCode::Generic,
            "No matching build",
        );
        fails(
            &carol,
            "importRPM",
            vec![s("cli-import/a"), s(&file_name(&built.srpm))],
            vec![],
            FaultCode::ActionNotAllowed,
            "admin permission required (logged in as carol)",
        );
        let srpm = ok(
            &admin,
            "importRPM",
            vec![s("cli-import/a"), s(&file_name(&built.srpm))],
            vec![],
        );
        assert_eq!(field(&srpm, "arch"), &s("src"));
        let rpm = ok(
            &admin,
            "importRPM",
            vec![s("cli-import/b"), s(&file_name(&built.rpm))],
            vec![],
        );
        assert_eq!(field(&rpm, "payloadhash"), &s(&query(&built.rpm, "%{SIGMD5}")));
        assert_eq!(
            field(&rpm, "buildtime"),
            &int(query(&built.rpm, "%{BUILDTIME}").parse().unwrap())
        );
        assert_eq!(
            field(&rpm, "size"),
            &int(i64::try_from(std::fs::metadata(&built.rpm).unwrap().len()).unwrap())
        );
        fails(
            &admin,
            "importRPM",
            vec![s("cli-import/b"), s(&file_name(&built.rpm))],
            vec![],
            FaultCode::Generic,
            "RPM hello-1.0-1.noarch already imported",
        );
        fails(
            &admin,
            "importRPM",
            vec![s("cli-import/b"), s("missing.rpm")],
            vec![],
            FaultCode::Generic,
            "No such file: cli-import/b/missing.rpm",
        );
        assert!(
            topdir
                .join("packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm")
                .is_file()
        );
        assert!(
            topdir
                .join("packages/hello/1.0/1/src/hello-1.0-1.src.rpm")
                .is_file()
        );

        let build = ok(&admin, "getBuild", vec![s("hello-1.0-1")], vec![]);
        let keys: Vec<&str> = build.as_struct().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "build_id",
                "cg_id",
                "cg_name",
                "completion_time",
                "completion_ts",
                "creation_event_id",
                "creation_time",
                "creation_ts",
                "draft",
                "epoch",
                "extra",
                "id",
                "name",
                "nvr",
                "owner_id",
                "owner_name",
                "package_id",
                "package_name",
                "promoter_id",
                "promoter_name",
                "promotion_time",
                "promotion_ts",
                "release",
                "source",
                "start_time",
                "start_ts",
                "state",
                "task_id",
                "version",
                "volume_id",
                "volume_name"
            ]
        );
        assert_eq!(field(&build, "state"), &int(1));
        assert_eq!(field(&build, "owner_name"), &s("admin"));
        let build_id = id(field(&build, "id"));
        assert_eq!(ok(&admin, "getBuild", vec![int(build_id)], vec![]), build);
        assert_eq!(ok(&admin, "getBuild", vec![s("nope-1-1")], vec![]), Value::Nil);
        fails(
            &admin,
            "getBuild",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "invalid format: nope",
        );
        fails(
            &admin,
            "getBuild",
            vec![s("nope-1-1")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such build: 'nope-1-1'",
        );
        let rpms = ok(&admin, "listRPMs", vec![], vec![("buildID", int(build_id))]);
        assert_eq!(rpms.as_array().unwrap().len(), 2);
        let sigs = ok(
            &admin,
            "queryRPMSigs",
            vec![],
            vec![("rpm_id", field(&rpm, "id").clone())],
        );
        assert_eq!(field(&sigs.as_array().unwrap()[0], "sigkey"), &s(""));
        let headers = ok(
            &admin,
            "getRPMHeaders",
            vec![],
            vec![
                ("rpmID", field(&rpm, "id").clone()),
                (
                    "headers",
                    Value::Array(vec![s("license"), s("summary"), s("nosuch")]),
                ),
            ],
        );
        assert_eq!(
            headers,
            Value::structure([
                ("license", s("MIT")),
                ("nosuch", Value::Nil),
                ("summary", s("Kiln test package hello")),
            ])
        );
        let found = ok(&admin, "getRPM", vec![s("hello-1.0-1.noarch")], vec![]);
        assert_eq!(field(&found, "id"), field(&rpm, "id"));
        let listed = ok(&admin, "listBuilds", vec![], vec![("packageID", s("hello"))]);
        assert_eq!(nvrs(&listed), ["hello-1.0-1"]);
        assert!(listed.as_array().unwrap()[0].get("id").is_none());
        assert_eq!(
            ok(&admin, "findBuildID", vec![s("hello-1.0-1")], vec![]),
            int(build_id)
        );
        let (code, message) = fault(admin.call_kw(
            "createEmptyBuild",
            vec![s("hello"), s("1.0"), s("1"), Value::Nil],
            vec![],
        ));
        assert_eq!(code, 1000);
        assert!(
            message.starts_with(&format!("Build already exists (id={build_id}, state=COMPLETE): ")),
            "{message}"
        );
        let empty = id(&ok(
            &admin,
            "createEmptyBuild",
            vec![s("empty"), s("1"), s("1"), Value::Nil],
            vec![],
        ));
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![int(empty)], vec![]), "state"),
            &int(1)
        );
        let untagged = ok(&admin, "untaggedBuilds", vec![], vec![]);
        assert_eq!(untagged.as_array().unwrap().len(), 2);
        let changelog = ok(&admin, "getChangelogEntries", vec![int(build_id)], vec![]);
        assert_eq!(
            field(&changelog.as_array().unwrap()[0], "text"),
            &s("- Built for a test")
        );

        // Tagging is a task; the package list is checked first.
        fails(
            &admin,
            "tagBuild",
            vec![s("other"), s("hello-1.0-1")],
            vec![],
            FaultCode::Tag,
            "Package hello not in list for other",
        );
        fails(
            &admin,
            "tagBuild",
            vec![s("dest"), s("nope-1-1")],
            vec![],
            FaultCode::Generic,
            "No such build: 'nope-1-1'",
        );
        let task_id = id(&ok(&carol, "tagBuild", vec![s("dest"), s("hello-1.0-1")], vec![]));
        let info = ok(
            &admin,
            "getTaskInfo",
            vec![int(task_id)],
            vec![("request", Value::Bool(true))],
        );
        assert_eq!(field(&info, "method"), &s("tagBuild"));
        assert_eq!(field(&info, "priority"), &int(10));
        let dest_id = id(field(&ok(&admin, "getTag", vec![s("dest")], vec![]), "id"));
        assert_eq!(
            field(&info, "request"),
            &Value::Array(vec![int(dest_id), int(build_id), Value::Bool(false), Value::Nil])
        );
        let (_, host) = add_host(&url, &admin, "builder1", &["noarch"]);
        let taken = take_task(&host, &["tagBuild"]);
        assert_eq!(taken, task_id);
        ok(
            &host,
            "host.tagBuild",
            vec![int(task_id), int(dest_id), int(build_id)],
            vec![("force", Value::Bool(false)), ("fromtag", Value::Nil)],
        );
        fails(
            &host,
            "host.tagBuild",
            vec![int(task_id), int(dest_id), int(build_id)],
            vec![],
            FaultCode::Tag,
            "build hello-1.0-1 already tagged (dest)",
        );
        ok(
            &host,
            "host.tagNotification",
            vec![Value::Bool(true), int(dest_id), Value::Nil, int(build_id), int(1)],
            vec![],
        );
        close(&host, task_id);

        let tagged = ok(&admin, "listTagged", vec![s("dest")], vec![]);
        assert_eq!(nvrs(&tagged), ["hello-1.0-1"]);
        assert_eq!(field(&tagged.as_array().unwrap()[0], "owner_name"), &s("admin"));
        assert_eq!(
            ok(&admin, "listTagged", vec![s("child")], vec![]),
            Value::Array(vec![])
        );
        let inherited = ok(
            &admin,
            "listTagged",
            vec![s("child")],
            vec![("inherit", Value::Bool(true))],
        );
        assert_eq!(field(&inherited.as_array().unwrap()[0], "tag_name"), &s("dest"));
        let latest = ok(
            &admin,
            "getLatestBuilds",
            vec![s("child")],
            vec![("package", s("hello"))],
        );
        assert_eq!(nvrs(&latest), ["hello-1.0-1"]);
        fails(
            &admin,
            "listTagged",
            vec![s("nosuchtag")],
            vec![],
            FaultCode::Generic,
            "No such tagInfo: 'nosuchtag'",
        );
        let pair = ok(
            &admin,
            "listTaggedRPMS",
            vec![s("dest")],
            vec![("arch", s("noarch"))],
        );
        let pair = pair.as_array().unwrap();
        assert_eq!(pair[0].as_array().unwrap().len(), 1);
        assert_eq!(nvrs(&pair[1]), ["hello-1.0-1"]);
        let tags_of_build = ok(&admin, "listTags", vec![s("hello-1.0-1")], vec![]);
        assert_eq!(field(&tags_of_build.as_array().unwrap()[0], "name"), &s("dest"));

        // Untagging is synchronous and strict by default.
        ok(&carol, "untagBuild", vec![s("dest"), s("hello-1.0-1")], vec![]);
        assert_eq!(
            ok(&admin, "listTagged", vec![s("dest")], vec![]),
            Value::Array(vec![])
        );
        fails(
            &carol,
            "untagBuild",
            vec![s("dest"), s("hello-1.0-1")],
            vec![],
            FaultCode::Tag,
            "build hello-1.0-1 not in tag dest",
        );
        let history = ok(
            &admin,
            "queryHistory",
            vec![],
            vec![
                ("tables", Value::Array(vec![s("tag_listing")])),
                ("build", s("hello-1.0-1")),
            ],
        );
        let rows = field(&history, "tag_listing").as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(field(&rows[0], "name"), &s("hello"));
        assert_eq!(field(&rows[0], "active"), &Value::Nil);
        assert_eq!(field(&rows[0], "revoker_name"), &s("carol"));

        // Locked tags refuse non-admins; bypass tagging needs the tag permission.
        ok(
            &admin,
            "editTag2",
            vec![s("dest")],
            vec![("locked", Value::Bool(true))],
        );
        fails(
            &carol,
            "tagBuild",
            vec![s("dest"), s("hello-1.0-1")],
            vec![],
            FaultCode::ActionNotAllowed,
            "tag is locked",
        );
        fails(
            &carol,
            "tagBuildBypass",
            vec![s("dest"), s("hello-1.0-1")],
            vec![],
            FaultCode::ActionNotAllowed,
            "tag permission required (logged in as carol)",
        );
        ok(
            &admin,
            "tagBuildBypass",
            vec![s("dest"), s("hello-1.0-1")],
            vec![("force", Value::Bool(true))],
        );
        assert_eq!(
            nvrs(&ok(&admin, "listTagged", vec![s("dest")], vec![])),
            ["hello-1.0-1"]
        );
    })
    .await;
    hub.shutdown().await;
}

#[tokio::test]
async fn tagging_announces_tag_content_changes() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let (client, connection) = tokio_postgres::connect(&hub.db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let (sender, mut notes) = tokio::sync::mpsc::unbounded_channel();
    let mut connection = connection;
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = futures_util::StreamExt::next(&mut messages).await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                let _ = sender.send((n.channel().to_owned(), n.payload().to_owned()));
            }
        }
    });
    client.batch_execute("LISTEN kiln_tag_content").await.unwrap();
    let url = hub.url();
    let fixtures = hub.path().join("fixtures");
    let dest_id = blocking(move || {
        let admin = login(&url, "admin", "pw");
        tags(&admin);
        let built = build_noarch(&fixtures, "hello", "2.0", "1");
        upload(&admin, &built.srpm, "cli-import/a");
        ok(
            &admin,
            "importRPM",
            vec![s("cli-import/a"), s(&file_name(&built.srpm))],
            vec![],
        );
        ok(
            &admin,
            "tagBuildBypass",
            vec![s("dest"), s("hello-2.0-1")],
            vec![],
        );
        id(field(&ok(&admin, "getTag", vec![s("dest")], vec![]), "id"))
    })
    .await;
    let (channel, payload) = tokio::time::timeout(std::time::Duration::from_secs(10), notes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (channel.as_str(), payload),
        ("kiln_tag_content", dest_id.to_string())
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn a_builder_imports_a_build_through_host_calls() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let topdir = hub.topdir();
    let fixtures = hub.path().join("fixtures");
    let pool = hub.ctx.pool.clone();
    let (build_tag_id, admin_task) = blocking({
        let url = url.clone();
        move || {
            let admin = login(&url, "admin", "pw");
            tags(&admin);
            ok(
                &admin,
                "createTag",
                vec![s("build-tag")],
                vec![("arches", s("noarch"))],
            );
            ok(
                &admin,
                "createBuildTarget",
                vec![s("t"), s("build-tag"), s("dest")],
                vec![],
            );
            fails(
                &admin,
                "build",
                vec![s("git+file:///srv/hello.git#abc"), s("nope")],
                vec![],
                FaultCode::Generic,
                "No such build target: nope",
            );
            fails(
                &admin,
                "build",
                vec![s("git://example.com/hello.git#abc"), s("t")],
                vec![],
                FaultCode::Build,
                "example.com:/hello.git is not in the list of allowed SCMs",
            );
            let task_id = id(&ok(
                &admin,
                "build",
                vec![s("git+file:///srv/hello.git#abc"), s("t")],
                vec![("opts", Value::structure([("scratch", Value::Bool(false))]))],
            ));
            assert_eq!(
                ok(&admin, "getTaskRequest", vec![int(task_id)], vec![]),
                Value::Array(vec![
                    s("git+file:///srv/hello.git#abc"),
                    s("t"),
                    Value::structure([("scratch", Value::Bool(false))])
                ])
            );
            (
                id(field(&ok(&admin, "getTag", vec![s("build-tag")], vec![]), "id")),
                task_id,
            )
        }
    })
    .await;
    // The repos area makes repos; this test needs one row for its buildroot.
    let repo_id: i64 = {
        let client = pool.get().await.unwrap();
        client
            .query_one(
                "INSERT INTO repo (create_event, tag_id, state) VALUES (get_event(), $1, 1) RETURNING id",
                &[&build_tag_id],
            )
            .await
            .unwrap()
            .get(0)
    };
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (_, host) = add_host(&url, &admin, "builder1", &["noarch"]);
        let task_id = take_task(&host, &["build"]);
        assert_eq!(task_id, admin_task);
        let dir = format!("tasks/{}/{task_id}", task_id % 10_000);
        let built = build_noarch(&fixtures, "hello", "3.0", "1");
        upload(&host, &built.srpm, &dir);
        upload(&host, &built.rpm, &dir);
        let log = fixtures.join("build.log");
        std::fs::write(&log, "built fine\n").unwrap();
        upload(&host, &log, &dir);

        // The buildroot, with one rpm from an external repo.
        ok(
            &admin,
            "createExternalRepo",
            vec![s("ext"), s("file:///srv/ext")],
            vec![],
        );
        let br = id(&ok(
            &host,
            "host.newBuildRoot",
            vec![int(repo_id), s("noarch")],
            vec![("task_id", int(task_id))],
        ));
        let component = Value::structure([
            ("name", s("bash")),
            ("version", s("5.2")),
            ("release", s("1")),
            ("epoch", Value::Nil),
            ("arch", s("x86_64")),
            ("payloadhash", s("0123456789abcdef0123456789abcdef")),
            ("size", int(1000)),
            ("buildtime", int(1_700_000_000)),
            ("location", s("ext")),
        ]);
        fails(
            &host,
            "host.updateBuildRootList",
            vec![int(br), Value::Array(vec![component.clone()])],
            vec![("task_id", int(task_id))],
            FaultCode::Generic,
            &format!("buildroot {br} in wrong state INIT"),
        );
        ok(
            &host,
            "host.setBuildRootList",
            vec![int(br), Value::Array(vec![component])],
            vec![("task_id", int(task_id))],
        );
        ok(
            &host,
            "host.setBuildRootState",
            vec![int(br), s("BUILDING")],
            vec![("task_id", int(task_id))],
        );
        fails(
            &host,
            "host.setBuildRootState",
            vec![int(br), s("INIT")],
            vec![("task_id", int(task_id))],
            FaultCode::Generic,
            &format!("buildroot {br} cannot go back to INIT"),
        );

        let data = Value::structure([
            ("name", s("hello")),
            ("version", s("3.0")),
            ("release", s("1")),
            ("epoch", Value::Nil),
            ("task_id", int(task_id)),
            ("source", s("git+file:///srv/hello.git#abc")),
        ]);
        let build_id = id(&ok(&host, "host.initBuild", vec![data.clone()], vec![]));
        // A restarted build task gets its build back.
        assert_eq!(
            id(&ok(&host, "host.initBuild", vec![data.clone()], vec![])),
            build_id
        );
        let building = ok(&admin, "getBuild", vec![int(build_id)], vec![]);
        assert_eq!(field(&building, "state"), &int(0));
        assert_eq!(field(&building, "task_id"), &int(task_id));
        assert_eq!(field(&building, "source"), &s("git+file:///srv/hello.git#abc"));

        let srpm_rel = format!("{dir}/{}", file_name(&built.srpm));
        let rpm_rel = format!("{dir}/{}", file_name(&built.rpm));
        // A binary in place of the SRPM is refused, and nothing is imported.
        fails(
            &host,
            "host.completeBuild",
            vec![int(task_id), int(build_id), s(&rpm_rel), Value::Array(vec![])],
            vec![],
            FaultCode::Generic,
            &format!("not a source package: {rpm_rel}"),
        );
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![int(build_id)], vec![]), "state"),
            &int(0)
        );
        let done = ok(
            &host,
            "host.completeBuild",
            vec![
                int(task_id),
                int(build_id),
                s(&srpm_rel),
                Value::Array(vec![s(&rpm_rel)]),
            ],
            vec![
                (
                    "brmap",
                    Value::structure([(rpm_rel.as_str(), int(br)), (srpm_rel.as_str(), int(br))]),
                ),
                (
                    "logs",
                    Value::structure([("noarch", Value::Array(vec![s(&format!("{dir}/build.log"))]))]),
                ),
            ],
        );
        assert_eq!(field(&done, "state"), &int(1));
        assert_eq!(field(&done, "nvr"), &s("hello-3.0-1"));
        fails(
            &host,
            "host.completeBuild",
            vec![
                int(task_id),
                int(build_id),
                s(&srpm_rel),
                Value::Array(vec![s(&rpm_rel)]),
            ],
            vec![],
            FaultCode::Generic,
            "Unable to complete build: state is COMPLETE",
        );
        ok(
            &host,
            "host.setBuildRootState",
            vec![int(br), s("EXPIRED")],
            vec![("task_id", int(task_id))],
        );
        let built_in = ok(&admin, "listRPMs", vec![], vec![("buildrootID", int(br))]);
        assert_eq!(built_in.as_array().unwrap().len(), 2);
        let installed = ok(
            &admin,
            "listRPMs",
            vec![],
            vec![("componentBuildrootID", int(br))],
        );
        let installed = installed.as_array().unwrap();
        assert_eq!(installed.len(), 1);
        assert_eq!(field(&installed[0], "external_repo_name"), &s("ext"));
        assert_eq!(field(&installed[0], "is_update"), &Value::Bool(false));
        let listing = ok(&admin, "getBuildrootListing", vec![int(br)], vec![]);
        assert_eq!(field(&listing.as_array().unwrap()[0], "name"), &s("bash"));
        let buildroot = ok(&admin, "getBuildroot", vec![int(br)], vec![]);
        assert_eq!(field(&buildroot, "state"), &int(3));
        assert_eq!(field(&buildroot, "tag_name"), &s("build-tag"));
        assert_eq!(field(&buildroot, "repo_id"), &int(repo_id));
        let bash_id = field(&installed[0], "id").clone();
        let users = ok(&admin, "listBuildroots", vec![], vec![("rpmID", bash_id)]);
        assert_eq!(users.as_array().unwrap().len(), 1);
        let average = ok(&admin, "getAverageBuildDuration", vec![s("hello")], vec![]);
        assert!(matches!(average, Value::Double(d) if d >= 0.0), "{average:?}");
        assert_eq!(
            ok(&admin, "getAverageBuildDuration", vec![s("nopkg")], vec![]),
            Value::Nil
        );
        let logs = ok(&admin, "getBuildLogs", vec![s("hello-3.0-1")], vec![]);
        assert_eq!(
            logs,
            Value::Array(vec![Value::structure([
                ("name", s("build.log")),
                ("dir", s("noarch")),
                ("path", s("packages/hello/3.0/1/data/logs/noarch/build.log")),
            ])])
        );
        assert!(
            topdir
                .join("packages/hello/3.0/1/noarch/hello-3.0-1.noarch.rpm")
                .is_file()
        );
        assert_eq!(
            nvrs(&ok(&admin, "listBuilds", vec![], vec![("taskID", int(task_id))])),
            ["hello-3.0-1"]
        );
        close(&host, task_id);

        // The same NVR again: Koji's refusal; another package fails and is recycled.
        let again = id(&ok(
            &admin,
            "makeTask",
            vec![],
            vec![("method", s("build")), ("arglist", Value::Array(vec![]))],
        ));
        assert_eq!(take_task(&host, &["build"]), again);
        let (code, message) = fault(host.call_kw(
            "host.initBuild",
            vec![Value::structure([
                ("name", s("hello")),
                ("version", s("3.0")),
                ("release", s("1")),
                ("task_id", int(again)),
            ])],
            vec![],
        ));
        assert_eq!(code, 1000);
        assert!(
            message.starts_with(&format!(
                "Build already exists (id={build_id}, state=COMPLETE): {{"
            )),
            "{message}"
        );
        let world = Value::structure([
            ("name", s("world")),
            ("version", s("1")),
            ("release", s("1")),
            ("task_id", int(again)),
        ]);
        let world_id = id(&ok(&host, "host.initBuild", vec![world.clone()], vec![]));
        ok(&host, "host.failBuild", vec![int(again), int(world_id)], vec![]);
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![int(world_id)], vec![]), "state"),
            &int(3)
        );
        fails(
            &host,
            "host.failBuild",
            vec![int(again), int(world_id)],
            vec![],
            FaultCode::Generic,
            &format!("Build {world_id} is not building (state FAILED)"),
        );
        assert_eq!(id(&ok(&host, "host.initBuild", vec![world], vec![])), world_id);
        assert!(ok(&admin, "cancelBuild", vec![int(world_id)], vec![]).truthy());
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![int(world_id)], vec![]), "state"),
            &int(4)
        );

        // Scratch results go under scratch/<owner>/task_<id>/.
        let scratch = id(&ok(
            &admin,
            "makeTask",
            vec![],
            vec![("method", s("build")), ("arglist", Value::Array(vec![]))],
        ));
        assert_eq!(take_task(&host, &["build"]), scratch);
        let sdir = format!("tasks/{}/{scratch}", scratch % 10_000);
        upload(&host, &built.srpm, &sdir);
        upload(&host, &built.rpm, &sdir);
        ok(
            &host,
            "host.moveBuildToScratch",
            vec![
                int(scratch),
                s(&format!("{sdir}/{}", file_name(&built.srpm))),
                Value::Array(vec![s(&format!("{sdir}/{}", file_name(&built.rpm)))]),
            ],
            vec![],
        );
        assert!(
            topdir
                .join(format!("scratch/admin/task_{scratch}/hello-3.0-1.noarch.rpm"))
                .is_file()
        );
        // Only the host holding the task may act for it.
        let (_, other) = add_host(&url, &admin, "builder2", &["noarch"]);
        fails(
            &other,
            "host.failBuild",
            vec![int(scratch), int(world_id)],
            vec![],
            FaultCode::ActionNotAllowed,
            &format!(
                "host {} does not own task {scratch}",
                id(&ok(&other, "host.getID", vec![], vec![]))
            ),
        );
    })
    .await;
    hub.shutdown().await;
}

#[tokio::test]
async fn signed_rpms_record_their_key() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    let fixtures = hub.path().join("fixtures");
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let built = build_noarch(&fixtures, "signed", "1", "1");
        let sigmd5 = query(&built.rpm, "%{SIGMD5}");
        let key = sign(&fixtures, &[&built.srpm, &built.rpm]);
        upload(&admin, &built.srpm, "cli-import/s");
        upload(&admin, &built.rpm, "cli-import/s");
        ok(
            &admin,
            "importRPM",
            vec![s("cli-import/s"), s(&file_name(&built.srpm))],
            vec![],
        );
        let rpm = ok(
            &admin,
            "importRPM",
            vec![s("cli-import/s"), s(&file_name(&built.rpm))],
            vec![],
        );
        // Signing does not change the payload hash.
        assert_eq!(field(&rpm, "payloadhash"), &s(&sigmd5));
        let sigs = ok(
            &admin,
            "queryRPMSigs",
            vec![],
            vec![("rpm_id", field(&rpm, "id").clone())],
        );
        let sigs = sigs.as_array().unwrap();
        assert_eq!(sigs.len(), 1);
        assert_eq!(field(&sigs[0], "sigkey"), &s(&key));
        assert_eq!(key.len(), 8);
    })
    .await;
    hub.shutdown().await;
}

#[tokio::test]
async fn external_repos_attach_to_tags_with_inheritance() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        tags(&admin);
        let repo = ok(
            &admin,
            "createExternalRepo",
            vec![s("fedora"), s("http://example.com/f40")],
            vec![],
        );
        assert_eq!(field(&repo, "url"), &s("http://example.com/f40/"));
        fails(
            &admin,
            "createExternalRepo",
            vec![s("fedora"), s("http://example.com/x")],
            vec![],
            FaultCode::Generic,
            "An external repo named \"fedora\" already exists",
        );
        ok(
            &admin,
            "createExternalRepo",
            vec![s("updates"), s("file:///srv/updates/")],
            vec![],
        );
        ok(
            &admin,
            "addExternalRepoToTag",
            vec![s("dest"), s("fedora"), int(10)],
            vec![("merge_mode", s("simple"))],
        );
        fails(
            &admin,
            "addExternalRepoToTag",
            vec![s("dest"), s("updates"), int(10)],
            vec![],
            FaultCode::Generic,
            "tag dest already associated with an external repo at priority 10",
        );
        fails(
            &admin,
            "addExternalRepoToTag",
            vec![s("dest"), s("updates"), int(5)],
            vec![("merge_mode", s("weird"))],
            FaultCode::Generic,
            "No such merge mode: weird",
        );
        ok(
            &admin,
            "addExternalRepoToTag",
            vec![s("child"), s("updates"), int(5)],
            vec![],
        );
        let own = ok(&admin, "getTagExternalRepos", vec![s("dest")], vec![]);
        assert_eq!(field(&own.as_array().unwrap()[0], "merge_mode"), &s("simple"));
        let list = ok(&admin, "getExternalRepoList", vec![s("child")], vec![]);
        let names: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| field(r, "external_repo_name"))
            .collect();
        assert_eq!(names, [&s("updates"), &s("fedora")]);
        ok(
            &admin,
            "editTagExternalRepo",
            vec![s("dest"), s("fedora")],
            vec![("priority", int(20))],
        );
        assert_eq!(
            field(
                &ok(&admin, "getTagExternalRepos", vec![s("dest")], vec![])
                    .as_array()
                    .unwrap()[0],
                "priority"
            ),
            &int(20)
        );
        ok(
            &admin,
            "removeExternalRepoFromTag",
            vec![s("dest"), s("fedora")],
            vec![],
        );
        fails(
            &admin,
            "removeExternalRepoFromTag",
            vec![s("dest"), s("fedora")],
            vec![],
            FaultCode::Generic,
            "external repo fedora not associated with tag dest",
        );
        ok(&admin, "deleteExternalRepo", vec![s("updates")], vec![]);
        assert_eq!(
            ok(&admin, "getExternalRepoList", vec![s("child")], vec![]),
            Value::Array(vec![])
        );
        let repos = ok(&admin, "listExternalRepos", vec![], vec![]);
        assert_eq!(repos.as_array().unwrap().len(), 1);
        fails(
            &admin,
            "getExternalRepo",
            vec![s("updates")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such repo: updates",
        );
    })
    .await;
    hub.shutdown().await;
}

/// Tags `nvr` into `tag` directly, creating it as an empty build first if needed.
fn tag_empty(admin: &ClientSession, tag: &str, nvr: &str) -> i64 {
    let parts: Vec<&str> = nvr.rsplitn(3, '-').collect();
    let build = ok(admin, "getBuild", vec![s(nvr)], vec![]);
    let build_id = if build.is_nil() {
        id(&ok(
            admin,
            "createEmptyBuild",
            vec![s(parts[2]), s(parts[1]), s(parts[0]), Value::Nil],
            vec![],
        ))
    } else {
        id(field(&build, "id"))
    };
    ok(
        admin,
        "tagBuildBypass",
        vec![s(tag), s(nvr)],
        vec![("force", Value::Bool(true))],
    );
    build_id
}

#[tokio::test]
async fn the_latest_build_is_the_newest_tagging_in_the_nearest_tag() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("carol", "pw", &[]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let carol = login(&url, "carol", "pw");
        tags(&admin);
        ok(
            &admin,
            "packageListAdd",
            vec![s("dest"), s("world")],
            vec![("owner", s("admin"))],
        );
        tag_empty(&admin, "dest", "hello-2-1");
        tag_empty(&admin, "dest", "hello-1-1");
        tag_empty(&admin, "dest", "world-1-1");
        // The newest tagging wins, not the highest version.
        let latest = ok(&admin, "getLatestBuilds", vec![s("dest")], vec![]);
        assert_eq!(nvrs(&latest), ["world-1-1", "hello-1-1"]);
        tag_empty(&admin, "dest", "hello-2-1");
        let latest = ok(
            &admin,
            "getLatestBuilds",
            vec![s("dest")],
            vec![("package", s("hello"))],
        );
        assert_eq!(nvrs(&latest), ["hello-2-1"]);
        let two = ok(
            &admin,
            "listTagged",
            vec![s("dest")],
            vec![("latest", int(2)), ("package", s("hello"))],
        );
        assert_eq!(nvrs(&two), ["hello-2-1", "hello-1-1"]);
        // A build in the child hides the parent's; a block in the child hides the package.
        ok(
            &admin,
            "packageListAdd",
            vec![s("child"), s("hello")],
            vec![("owner", s("admin"))],
        );
        tag_empty(&admin, "child", "hello-0.5-1");
        let latest = ok(&admin, "getLatestBuilds", vec![s("child")], vec![]);
        assert_eq!(nvrs(&latest), ["hello-0.5-1", "world-1-1"]);
        ok(&admin, "packageListBlock", vec![s("child"), s("world")], vec![]);
        assert_eq!(
            nvrs(&ok(&admin, "getLatestBuilds", vec![s("child")], vec![])),
            ["hello-0.5-1"]
        );
        // As of an earlier event.
        let event = id(field(&ok(&admin, "getLastEvent", vec![], vec![]), "id"));
        ok(&admin, "untagBuild", vec![s("dest"), s("hello-2-1")], vec![]);
        let then = ok(
            &admin,
            "listTagged",
            vec![s("dest")],
            vec![("event", int(event)), ("package", s("hello"))],
        );
        assert_eq!(nvrs(&then), ["hello-2-1", "hello-1-1"]);
        assert_eq!(
            nvrs(&ok(
                &admin,
                "listTagged",
                vec![s("dest")],
                vec![("package", s("hello"))]
            )),
            ["hello-1-1"]
        );

        // moveBuild is a tagBuild task with the source tag.
        ok(
            &admin,
            "packageListAdd",
            vec![s("other"), s("hello")],
            vec![("owner", s("admin"))],
        );
        let task_id = id(&ok(
            &admin,
            "moveBuild",
            vec![s("dest"), s("other"), s("hello-1-1")],
            vec![],
        ));
        let request = ok(&admin, "getTaskRequest", vec![int(task_id)], vec![]);
        let other_id = id(field(&ok(&admin, "getTag", vec![s("other")], vec![]), "id"));
        let dest_id = id(field(&ok(&admin, "getTag", vec![s("dest")], vec![]), "id"));
        assert_eq!(request.as_array().unwrap()[0], int(other_id));
        assert_eq!(request.as_array().unwrap()[3], int(dest_id));
        let (_, host) = add_host(&url, &admin, "builder1", &["noarch"]);
        assert_eq!(take_task(&host, &["tagBuild"]), task_id);
        let build_id = id(field(&ok(&admin, "getBuild", vec![s("hello-1-1")], vec![]), "id"));
        ok(
            &host,
            "host.tagBuild",
            vec![int(task_id), int(other_id), int(build_id)],
            vec![("fromtag", int(dest_id))],
        );
        close(&host, task_id);
        assert_eq!(
            nvrs(&ok(&admin, "listTagged", vec![s("other")], vec![])),
            ["hello-1-1"]
        );
        assert_eq!(
            nvrs(&ok(
                &admin,
                "listTagged",
                vec![s("dest")],
                vec![("package", s("hello"))]
            )),
            Vec::<String>::new()
        );

        // listBuilds filters and paging.
        let complete = ok(
            &admin,
            "listBuilds",
            vec![],
            vec![
                ("state", int(1)),
                ("pattern", s("hello-*")),
                (
                    "queryOpts",
                    Value::structure([("order", s("-build_id")), ("limit", int(2))]),
                ),
            ],
        );
        assert_eq!(nvrs(&complete), ["hello-0.5-1", "hello-1-1"]);
        let count = ok(
            &admin,
            "listBuilds",
            vec![],
            vec![
                ("prefix", s("wor")),
                ("queryOpts", Value::structure([("countOnly", Value::Bool(true))])),
            ],
        );
        assert_eq!(count, int(1));
        assert_eq!(
            ok(
                &admin,
                "getNextRelease",
                vec![Value::structure([("name", s("hello")), ("version", s("2"))])],
                vec![]
            ),
            s("2")
        );

        // Deleting needs an untagged build; resetting forgets everything.
        fails(
            &admin,
            "deleteBuild",
            vec![s("hello-1-1")],
            vec![],
            FaultCode::Generic,
            "Cannot delete build, tagged: other",
        );
        fails(
            &carol,
            "deleteBuild",
            vec![s("hello-2-1")],
            vec![],
            FaultCode::ActionNotAllowed,
            "admin permission required (logged in as carol)",
        );
        assert_eq!(
            ok(&admin, "deleteBuild", vec![s("hello-2-1")], vec![]),
            Value::Bool(true)
        );
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![s("hello-2-1")], vec![]), "state"),
            &int(2)
        );
        ok(&admin, "resetBuild", vec![s("hello-1-1")], vec![]);
        assert_eq!(
            field(&ok(&admin, "getBuild", vec![s("hello-1-1")], vec![]), "state"),
            &int(4)
        );
        assert_eq!(
            ok(&admin, "listTagged", vec![s("other")], vec![]),
            Value::Array(vec![])
        );
        fails(
            &carol,
            "cancelBuild",
            vec![s("world-1-1")],
            vec![],
            FaultCode::ActionNotAllowed,
            "Cannot cancel build, not owner",
        );
        assert_eq!(
            ok(&admin, "cancelBuild", vec![s("world-1-1")], vec![]),
            Value::Bool(false)
        );
        fails(
            &carol,
            "build",
            vec![s("git+file:///srv/x.git#1"), s("nope")],
            vec![("priority", int(-5))],
            FaultCode::ActionNotAllowed,
            "only admins may create high-priority tasks",
        );
    })
    .await;
    hub.shutdown().await;
}
