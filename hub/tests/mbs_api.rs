//! The Module Build Service's REST API over HTTP against a real hub and database: bootstrap
//! imports, submissions from git repositories (names, contexts, resolved refs, batches),
//! duplicates, cancel rules, resume, queries and paging, and every refused input with MBS's
//! status and message, storing nothing.

mod mbs_support;

use mbs_support::*;
use serde_json::{Value, json};

/// `platform:f28` built at 2017-08-16 08:08:15 UTC: the version gets the `28` prefix; the
/// context is `sha1(sha1('{"platform": "f28"}') + ":" + sha1('{"platform": ["f28"]}'))[:8]`,
/// computed independently with Python's `hashlib` and `json.dumps`.
const VERSION: &str = "2820170816080815";
const CONTEXT: &str = "9c690d0e";

#[tokio::test]
async fn import_then_submit_from_git_records_the_build_in_init() {
    let hub = MbsHub::start().await;
    let imported = import_platform(&hub).await;
    assert_eq!(imported.status, 201, "{imported:?}");
    assert_eq!(
        imported.body["messages"],
        json!(["Module platform:f28:3:00000000 imported"])
    );
    assert_eq!(imported.body["module"]["state_name"], "ready");
    assert_eq!(imported.body["module"]["owner"], "mbs_import");
    assert_eq!(imported.body["module"]["koji_tag"], "f28-build");
    assert!(imported.body["module"].get("tasks").is_none());

    let commit = testmodule_repo(&hub);
    let answer = submit(&hub, 2, &commit, "master", OWNER).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let build = &answer.body[0];
    assert_eq!(build["name"], "testmodule");
    assert_eq!(build["stream"], "master");
    assert_eq!(build["version"], VERSION);
    assert_eq!(build["context"], CONTEXT);
    assert_eq!(build["state"], 0);
    assert_eq!(build["state_name"], "init");
    assert_eq!(build["owner"], OWNER);
    assert_eq!(build["rebuild_strategy"], "changed-and-after");
    assert_eq!(
        build["koji_tag"],
        format!("module-testmodule-master-{VERSION}-{CONTEXT}")
    );
    assert_eq!(build["buildrequires"]["platform"]["stream"], "f28");
    assert_eq!(build["buildrequires"]["platform"]["koji_tag"], "f28-build");
    assert_eq!(build["base_module_buildrequires"][0]["name"], "platform");
    assert_eq!(build["base_module_buildrequires"][0]["stream_version"], 280000);
    assert_eq!(build["state_trace"][0]["state_name"], "init");
    let modulemd = build["modulemd"].as_str().unwrap();
    assert!(modulemd.contains(&format!("commit: {commit}")), "{modulemd}");

    // The components: refs resolved to the commits their branch pointed to, batches from
    // buildorder (batch 1 is module-build-macros, added by the backend).
    let module_id = build["id"].as_i64().unwrap();
    let components = call(
        "GET",
        format!(
            "{}component-builds/?module_build={module_id}&verbose=true&order_by=id",
            hub.api(1)
        ),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(components.status, 200);
    let items = components.body["items"].as_array().unwrap();
    let batches: Vec<(String, i64)> = items
        .iter()
        .map(|c| {
            (
                c["package"].as_str().unwrap().to_owned(),
                c["batch"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        batches,
        [
            ("perl-List-Compare".to_owned(), 2),
            ("perl-Tangerine".to_owned(), 2),
            ("tangerine".to_owned(), 3)
        ]
    );
    assert!(
        items
            .iter()
            .all(|c| c["state"].is_null() && c["state_name"].is_null())
    );
    let rows = {
        let client = hub.hub.ctx.pool.get().await.unwrap();
        client
            .query(
                "SELECT package, ref, scmurl FROM component_builds ORDER BY package",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                )
            })
            .collect::<Vec<_>>()
    };
    for (package, git_ref, scmurl) in rows {
        let expected = git(
            &hub.rpms().join(&package),
            "2017-08-01T00:00:00Z",
            &["rev-parse", "master"],
        );
        assert_eq!(git_ref, expected);
        assert_eq!(
            scmurl,
            format!("file://{}/{package}?#{expected}", hub.rpms().display())
        );
        assert!(modulemd.contains(&format!("ref: {expected}")), "{modulemd}");
    }

    // v1 answers one object; GET by id; the duplicate gets 409 and stores nothing.
    let one = call(
        "GET",
        format!("{}module-builds/{module_id}", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["tasks"]["rpms"]["tangerine"]["state"], Value::Null);
    assert_eq!(one.body["component_builds"].as_array().unwrap().len(), 3);
    let before = stored(&hub).await;
    let duplicate = submit(&hub, 1, &commit, "master", OWNER).await;
    assert_error(
        &duplicate,
        409,
        "Module (state=0) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed.",
    );
    assert_eq!(stored(&hub).await, before);
}

#[tokio::test]
async fn cancel_follows_owner_and_admin_rules_and_resubmission_resumes() {
    let hub = MbsHub::start().await;
    import_platform(&hub).await;
    let commit = testmodule_repo(&hub);
    let answer = submit(&hub, 1, &commit, "master", OWNER).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let module_id = answer.body["id"].as_i64().unwrap();
    let url = format!("{}module-builds/{module_id}", hub.api(1));
    let cancel = json!({"state": "failed"});

    let anonymous = call("PATCH", url.clone(), Some(cancel.clone()), Auth::Anonymous).await;
    assert_error(&anonymous, 401, "No 'authorization' header found.");
    let stranger = call("PATCH", url.clone(), Some(cancel.clone()), Auth::Basic(STRANGER)).await;
    assert_error(
        &stranger,
        403,
        "You are not owner of this build and therefore cannot modify it.",
    );
    let unknown = call(
        "PATCH",
        format!("{}module-builds/999999", hub.api(1)),
        Some(cancel.clone()),
        Auth::Basic(OWNER),
    )
    .await;
    assert_error(&unknown, 404, "No such module found.");
    let bad_state = call(
        "PATCH",
        url.clone(),
        Some(json!({"state": "ready"})),
        Auth::Basic(OWNER),
    )
    .await;
    assert_error(
        &bad_state,
        400,
        "An invalid state was submitted. Valid states values are: failed, 4",
    );
    let no_state = call("PATCH", url.clone(), Some(json!({})), Auth::Basic(OWNER)).await;
    assert_error(&no_state, 400, "Invalid JSON submitted");
    let unchanged = call("GET", url.clone(), None, Auth::Anonymous).await;
    assert_eq!(unchanged.body["state_name"], "init");

    let canceled = call("PATCH", url.clone(), Some(cancel.clone()), Auth::Basic(OWNER)).await;
    assert_eq!(canceled.status, 200, "{canceled:?}");
    assert_eq!(canceled.body["state_name"], "failed");
    assert_eq!(canceled.body["state_reason"], format!("Canceled by {OWNER}."));
    assert!(canceled.body["time_completed"].is_string());
    // The module's moduleBuild task is canceled with it: no builder takes it up.
    let task_state = {
        let object = hub.hub.ctx.pool.get().await.unwrap();
        let client = hub::db::Client::of(&object);
        let module = hub::db::modules::get(client, module_id).await.unwrap().unwrap();
        let task_id = module.task_id.expect("a submitted module has a moduleBuild task");
        client
            .query_one("SELECT state FROM task WHERE id = $1", &[&task_id])
            .await
            .unwrap()
            .get::<_, i32>(0)
    };
    assert_eq!(task_state, 3, "the moduleBuild task is CANCELED");
    let again = call("PATCH", url.clone(), Some(cancel.clone()), Auth::Basic(OWNER)).await;
    assert_error(
        &again,
        400,
        "To cancel a module build, it must be in one of the following states: build, init, wait",
    );

    // Resubmitting the failed build resumes it in place: same id, back to init (it failed there).
    let resumed = submit(&hub, 2, &commit, "master", OWNER).await;
    assert_eq!(resumed.status, 201, "{resumed:?}");
    assert_eq!(resumed.body[0]["id"], module_id);
    assert_eq!(resumed.body[0]["state_name"], "init");
    assert_eq!(resumed.body[0]["state_reason"], format!("Resubmitted by {OWNER}"));
    let trace: Vec<&str> = resumed.body[0]["state_trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state_name"].as_str().unwrap())
        .collect();
    assert_eq!(trace, ["init", "failed", "init"]);
    assert_eq!(stored(&hub).await, (2, 3));

    // An admin may cancel someone else's build.
    let by_admin = call("PATCH", url, Some(cancel), Auth::Basic(ADMIN)).await;
    assert_eq!(by_admin.status, 200, "{by_admin:?}");
    assert_eq!(by_admin.body["state_reason"], format!("Canceled by {ADMIN}."));
}

#[tokio::test]
async fn lists_filter_order_and_page() {
    let hub = MbsHub::start().await;
    import_platform(&hub).await;
    let mut commits = vec![testmodule_repo(&hub)];
    for day in ["17", "18"] {
        commits.push(commit(
            &hub.module_repo("testmodule"),
            "master",
            &format!("2017-08-{day}T08:08:15Z"),
            &[],
        ));
    }
    for commit in &commits {
        let answer = submit(&hub, 1, commit, "master", OWNER).await;
        assert_eq!(answer.status, 201, "{answer:?}");
    }
    let list = |query: &str| {
        call(
            "GET",
            format!("{}module-builds/{query}", hub.api(1)),
            None,
            Auth::Anonymous,
        )
    };

    let page = list("?owner=alice&order_by=version&per_page=2").await;
    assert_eq!(page.status, 200);
    let versions: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2820170816080815", "2820170817080815"]);
    let meta = &page.body["meta"];
    assert_eq!(
        (
            meta["page"].as_i64(),
            meta["pages"].as_i64(),
            meta["total"].as_i64()
        ),
        (Some(1), Some(2), Some(3))
    );
    assert_eq!(meta["prev"], Value::Null);
    let next = meta["next"].as_str().unwrap().to_owned();
    assert!(
        next.ends_with("?owner=alice&order_by=version&per_page=2&page=2"),
        "{next}"
    );
    let second = call("GET", next, None, Auth::Anonymous).await;
    let versions: Vec<&str> = second.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2820170818080815"]);
    assert_eq!(second.body["meta"]["next"], Value::Null);

    // Default order is newest id first; state names and numbers; nsvc prefixes; short JSON.
    let all = list("").await;
    let ids: Vec<i64> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(list("?state=init").await.body["meta"]["total"], 3);
    assert_eq!(list("?state=ready&state=1").await.body["meta"]["total"], 1);
    assert_eq!(
        list("?nsvc=platform:f28").await.body["items"][0]["name"],
        "platform"
    );
    assert_eq!(
        list("?nsvc=testmodule:master:2820170817080815").await.body["meta"]["total"],
        1
    );
    let short = list("?short=true&name=platform").await;
    let keys: Vec<&String> = short.body["items"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{keys:?}");
    assert_eq!(list("?page=9").await.body["items"], json!([]));
    assert_eq!(
        list("?submitted_after=2000-01-01T00:00:00Z").await.body["meta"]["total"],
        4
    );
    assert_eq!(
        list("?submitted_before=2000-01-01T00:00:00Z").await.body["meta"]["total"],
        0
    );

    assert_error(
        &list("?state=bogus").await,
        400,
        "Invalid state was supplied: bogus",
    );
    assert_error(
        &list("?order_by=id&order_desc_by=id").await,
        400,
        "You may not specify both order_by and order_desc_by",
    );
    assert_error(
        &list("?order_by=secret").await,
        400,
        "An invalid ordering key of \"secret\" was supplied",
    );
    assert_error(
        &list("?completed_after=tomorrow").await,
        400,
        "An invalid Zulu ISO 8601 timestamp was provided for the \"completed_after\" parameter",
    );
    let missing = call(
        "GET",
        format!("{}module-builds/424242", hub.api(2)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_error(&missing, 404, "No such module found.");
    let missing = call(
        "GET",
        format!("{}component-builds/424242", hub.api(2)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_error(&missing, 404, "No such component found.");
    let version = call(
        "GET",
        format!("http://{}/module-build-service/3/about/", hub.hub.addr),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_error(&version, 404, "The requested API version is not available");
    let about = call("GET", format!("{}about/", hub.api(1)), None, Auth::Anonymous).await;
    assert_eq!(about.body["api_version"], 2);
    let strategies = call(
        "GET",
        format!("{}rebuild-strategies/", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(strategies.body["items"][1]["name"], "changed-and-after");
    assert_eq!(strategies.body["items"][1]["default"], true);
    assert_eq!(strategies.body["items"][0]["allowed"], false);
}

#[tokio::test]
async fn session_headers_authenticate_and_bad_credentials_are_refused() {
    let hub = MbsHub::start().await;
    import_platform(&hub).await;
    let commit = testmodule_repo(&hub);
    let url = hub.hub.url();
    let (id, key) = hub::test_clients::blocking(move || {
        hub::test_clients::login(&url, OWNER, "pw").credentials().unwrap()
    })
    .await;
    let body = json!({ "scmurl": hub.scmurl("testmodule", &commit), "branch": "master" });
    let answer = call(
        "POST",
        format!("{}module-builds/", hub.api(1)),
        Some(body.clone()),
        Auth::Session(id, key),
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.body["owner"], OWNER);
    let forged = call(
        "POST",
        format!("{}module-builds/", hub.api(1)),
        Some(body.clone()),
        Auth::Session(id, "x".into()),
    )
    .await;
    assert_error(&forged, 401, "Invalid session or bad credentials");
    let token = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode("alice:wrong")
    };
    let wrong = tokio::task::spawn_blocking({
        let url = format!("{}module-builds/", hub.api(1));
        move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent();
            let mut response = agent
                .post(&url)
                .header("Authorization", format!("Basic {token}"))
                .send(body.to_string().as_bytes())
                .unwrap();
            (
                response.status().as_u16(),
                response.body_mut().read_to_string().unwrap(),
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(wrong.0, 401);
    assert!(wrong.1.contains("Invalid username or password"), "{}", wrong.1);
}

#[tokio::test]
async fn import_is_for_admins_and_checks_the_document() {
    let hub = MbsHub::start().await;
    let url = format!("{}import-module/", hub.api(1));
    let platform = json!({ "modulemd": PLATFORM_F28 });
    let anonymous = call("POST", url.clone(), Some(platform.clone()), Auth::Anonymous).await;
    assert_error(&anonymous, 401, "No 'authorization' header found.");
    let packager = call("POST", url.clone(), Some(platform.clone()), Auth::Basic(OWNER)).await;
    assert_error(&packager, 403, "alice is not in any of {'mbs-admin'}, only set()");
    let no_tag = call("POST", url.clone(), Some(platform.clone()), Auth::Basic(ADMIN)).await;
    assert_error(
        &no_tag,
        422,
        "The Koji tag f28-build of the imported module does not exist",
    );
    let two_deps = PLATFORM_F28.replace(
        "  xmd:\n",
        "  dependencies:\n  - requires: {a: [b]}\n  - requires: {c: [d]}\n  xmd:\n",
    );
    let refused = call(
        "POST",
        url.clone(),
        Some(json!({ "modulemd": two_deps })),
        Auth::Basic(ADMIN),
    )
    .await;
    assert_error(
        &refused,
        422,
        "The imported module's dependencies list should contain just one element",
    );
    let unlisted = PLATFORM_F28.replace(
        "  xmd:\n",
        "  dependencies:\n  - buildrequires: {bootstrap: [x]}\n  xmd:\n",
    );
    let refused = call(
        "POST",
        url.clone(),
        Some(json!({ "modulemd": unlisted })),
        Auth::Basic(ADMIN),
    )
    .await;
    assert_error(
        &refused,
        422,
        "The imported module buildrequires other modules, but the metadata in the xmd[\"mbs\"][\"buildrequires\"] dictionary is missing entries",
    );
    assert_eq!(stored(&hub).await, (0, 0));

    assert_eq!(import_platform(&hub).await.status, 201);
    let again = call("POST", url, Some(platform), Auth::Basic(ADMIN)).await;
    assert_eq!(again.status, 201);
    assert_eq!(
        again.body["messages"],
        json!([
            "Updating existing module build platform:f28:3:00000000.",
            "Module platform:f28:3:00000000 imported"
        ])
    );
    assert_eq!(stored(&hub).await, (1, 0));
}

#[tokio::test]
async fn scratch_builds_get_numbered_contexts_and_their_own_tags() {
    let hub = MbsHub::start().await;
    import_platform(&hub).await;
    let commit = testmodule_repo(&hub);
    let body = json!({ "scmurl": hub.scmurl("testmodule", &commit), "branch": "master", "scratch": true });
    let mut ids = Vec::new();
    for n in 1..=2 {
        let answer = call(
            "POST",
            format!("{}module-builds/", hub.api(1)),
            Some(body.clone()),
            Auth::Basic(OWNER),
        )
        .await;
        assert_eq!(answer.status, 201, "{answer:?}");
        let id = answer.body["id"].as_i64().unwrap();
        assert_eq!(answer.body["scratch"], true);
        assert_eq!(answer.body["context"], format!("{CONTEXT}_{n}"));
        assert_eq!(
            answer.body["koji_tag"],
            format!("scrmod-testmodule-master-{VERSION}-{CONTEXT}_{n}+{id}")
        );
        ids.push(id);
    }
    // Scratch builds never count as duplicates; a regular build of the same commit still may.
    assert_eq!(submit(&hub, 1, &commit, "master", OWNER).await.status, 201);
    let scratch = call(
        "GET",
        format!("{}module-builds/?scratch=true", hub.api(1)),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(scratch.body["meta"]["total"], 2);
    let siblings = call(
        "GET",
        format!("{}module-builds/{}", hub.api(1), ids[0]),
        None,
        Auth::Anonymous,
    )
    .await;
    assert_eq!(siblings.body["siblings"], json!([ids[1]]));
    let wrong_method = call(
        "PATCH",
        format!("{}about/", hub.api(1)),
        Some(json!({})),
        Auth::Anonymous,
    )
    .await;
    assert_error(
        &wrong_method,
        405,
        "The method is not allowed for the requested URL.",
    );
    assert_eq!(wrong_method.body["error"], "Method Not Allowed");
}
