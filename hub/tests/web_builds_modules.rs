//! The web interface's build and module pages against a real hub: `builds` and `buildinfo`
//! for imported builds, `modules` and `moduleinfo` (batches, components, history, reasons) for
//! a submitted module, and the CSRF and permission checks of cancelling a build or a module.

use common::xmlrpc::Value;
use hub::test_clients::{blocking, login};
use hub::test_rpms::build_noarch;
use hub::testing::TestHub;
use mbs_support::{MbsHub, OWNER, STRANGER, import_platform, submit, testmodule_repo};
use web_support::{Browser, assert_escaped, assert_status};

#[expect(dead_code, reason = "the MBS tests' helpers, of which these tests use a few")]
mod mbs_support;
#[expect(dead_code, reason = "these tests read no timings")]
mod web_support;

fn upload(session: &common::client::ClientSession, local: &std::path::Path, dir: &str) -> String {
    let name = local.file_name().unwrap().to_string_lossy().into_owned();
    session.upload_file(local, dir, &name, 1 << 20).unwrap();
    name
}

#[tokio::test]
async fn build_pages_show_rpms_tags_and_refuse_bad_cancels() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("carol", "pw", &[]).await;
    let url = hub.url();
    let fixtures = hub.path().join("fixtures");
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        admin.call("createTag", vec![Value::from("f44")]).unwrap();
        admin
            .call_kw(
                "packageListAdd",
                vec![Value::from("f44"), Value::from("hello")],
                vec![("owner", Value::from("admin"))],
            )
            .unwrap();
        let built = build_noarch(&fixtures, "hello", "1.0", "1");
        let srpm = upload(&admin, &built.srpm, "web-import/a");
        let rpm = upload(&admin, &built.rpm, "web-import/b");
        admin
            .call(
                "importRPM",
                vec![Value::from("web-import/a"), Value::from(srpm.as_str())],
            )
            .unwrap();
        admin
            .call(
                "importRPM",
                vec![Value::from("web-import/b"), Value::from(rpm.as_str())],
            )
            .unwrap();
        let build = admin.call("getBuild", vec![Value::from("hello-1.0-1")]).unwrap();
        let build_id = build.get("id").and_then(Value::as_i64).unwrap();
        admin
            .call("tagBuildBypass", vec![Value::from("f44"), Value::Int(build_id)])
            .unwrap();

        let mut browser = Browser::new(&url);
        for path in [
            "builds".to_owned(),
            "builds?state=complete&order=-nvr".to_owned(),
            "builds?userID=1&prefix=h".to_owned(),
            format!("buildinfo?buildID={build_id}"),
        ] {
            let page = assert_status(&browser, &path, 200);
            assert_escaped(&page, &path);
        }
        let list = browser.get("builds").body;
        assert!(list.contains(&format!("buildinfo?buildID={build_id}")) && list.contains("hello-1.0-1"));
        assert!(list.contains("1 through 1 of 1"), "{list}");
        let info = browser.get(&format!("buildinfo?buildID={build_id}")).body;
        assert!(
            info.contains("hello-1.0-1.noarch.rpm") && info.contains("hello-1.0-1.src.rpm"),
            "{info}"
        );
        assert!(
            info.contains("taginfo?tagID=") && info.contains(">f44<"),
            "{info}"
        );
        assert!(info.contains("complete"), "{info}");
        assert!(browser.get("builds?state=failed").body.contains("No builds"));
        let hit = browser.get("search?terms=hello-1.0-*&type=build&match=glob");
        assert_eq!(hit.location, Some(format!("/koji/buildinfo?buildID={build_id}")));
        assert!(
            browser
                .get("search?terms=nothing*&type=build")
                .body
                .contains("No matches")
        );
        assert_status(&browser, "buildinfo?buildID=999999", 404);
        assert_status(&browser, "buildinfo?buildID=x", 400);
        assert_status(&browser, "builds?state=bogus", 400);
        assert_status(&browser, "builds?userID=999999", 404);

        // Cancelling: a token is needed, and only a building build can be canceled.
        let id = build_id.to_string();
        browser.log_in("carol", "pw");
        assert_eq!(browser.post("cancelbuild", &[("buildID", &id)]).status, 403);
        let token = browser.token();
        let refused = browser.post("cancelbuild", &[("buildID", &id), ("a", &token)]);
        assert_eq!(refused.status, 403, "not the owner: {}", refused.body);
        let mut admin_browser = Browser::new(&url);
        admin_browser.log_in("admin", "pw");
        let token = admin_browser.token();
        let finished = admin_browser.post("cancelbuild", &[("buildID", &id), ("a", &token)]);
        assert_eq!(finished.status, 409, "{}", finished.body);
        assert!(finished.body.contains("is not building"));
        let state = admin.call("getBuild", vec![Value::Int(build_id)]).unwrap();
        assert_eq!(state.get("state").and_then(Value::as_i64), Some(1));
    })
    .await;
}

#[tokio::test]
async fn module_pages_show_batches_and_cancel_for_the_owner_only() {
    let mbs = MbsHub::start().await;
    assert_eq!(import_platform(&mbs).await.status, 201);
    let commit = testmodule_repo(&mbs);
    let answer = submit(&mbs, 1, &commit, "master", OWNER).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let module_id = answer.body["id"].as_i64().unwrap();
    let url = mbs.hub.url();
    blocking(move || {
        let mut browser = Browser::new(&url);
        for path in [
            "modules".to_owned(),
            "modules?state=init&order=-time_submitted".to_owned(),
            format!("moduleinfo?moduleID={module_id}"),
        ] {
            let page = assert_status(&browser, &path, 200);
            assert_escaped(&page, &path);
        }
        let list = browser.get("modules").body;
        assert!(
            list.contains(&format!("moduleinfo?moduleID={module_id}")),
            "{list}"
        );
        assert!(list.contains("testmodule:master:"), "{list}");
        let info = browser.get(&format!("moduleinfo?moduleID={module_id}")).body;
        for package in ["perl-List-Compare", "perl-Tangerine", "tangerine"] {
            assert!(info.contains(package), "component {package}: {info}");
        }
        assert!(info.contains("batch 2") && info.contains("batch 3"), "{info}");
        assert!(
            info.contains("data-refresh"),
            "an unfinished module refreshes itself"
        );
        assert_status(&browser, "moduleinfo?moduleID=999999", 404);
        assert_status(&browser, "moduleinfo?moduleID=abc", 400);
        assert_status(&browser, "modules?state=bogus", 400);
        assert_status(&browser, "modules?order=owner;%20DROP", 400);

        let id = module_id.to_string();
        browser.log_in(STRANGER, "pw");
        let token = browser.token();
        assert_eq!(browser.post("cancelmodule", &[("moduleID", &id)]).status, 403);
        let refused = browser.post("cancelmodule", &[("moduleID", &id), ("a", &token)]);
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused.body.contains("You are not owner of this build"),
            "{}",
            refused.body
        );
        assert!(
            browser
                .get(&format!("moduleinfo?moduleID={id}"))
                .body
                .contains("module-init")
        );

        let mut owner = Browser::new(&url);
        owner.log_in(OWNER, "pw");
        let token = owner.token();
        let page = owner.get(&format!("moduleinfo?moduleID={id}")).body;
        assert!(
            page.contains("action=\"cancelmodule\""),
            "the owner sees the button"
        );
        let done = owner.post("cancelmodule", &[("moduleID", &id), ("a", &token)]);
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location, Some(format!("/koji/moduleinfo?moduleID={id}")));
        let after = owner.get(&format!("moduleinfo?moduleID={id}")).body;
        assert!(
            after.contains("module-failed") && after.contains("Canceled by alice."),
            "{after}"
        );
        let again = owner.post("cancelmodule", &[("moduleID", &id), ("a", &token)]);
        assert_eq!(again.status, 409, "{}", again.body);
    })
    .await;
}
