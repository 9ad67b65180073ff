//! Refused submissions: every MBS error case of mbs.md §3 and every fixture's validation outcome
//! gets MBS's HTTP status and message, and nothing is stored.

mod mbs_support;

use mbs_support::*;
use serde_json::{Value, json};

const SPEC: &str = include_str!("../../common/src/modulemd/fixtures/spec-modulemd_stream_v2.yaml");
const SCALA: &str = include_str!("../../common/src/modulemd/fixtures/scala-2.10.yaml");
const GOOD_COMBO: &str = include_str!("../../common/src/modulemd/fixtures/good_combo_arches_v2.yaml");
const BROKEN_STREAM: &str = include_str!("../../common/src/modulemd/fixtures/broken_stream.yaml");

/// A hub with `platform:f28` imported and the `testmodule` repositories in place.
async fn ready_hub() -> (MbsHub, String) {
    let hub = MbsHub::start().await;
    assert_eq!(import_platform(&hub).await.status, 201);
    let commit = testmodule_repo(&hub);
    (hub, commit)
}

/// Posts `body` as `auth` and checks the error and that nothing was stored.
async fn refused(hub: &MbsHub, body: Value, auth: Auth, status: u16, message: &str) {
    let before = stored(hub).await;
    let answer = call("POST", format!("{}module-builds/", hub.api(2)), Some(body), auth).await;
    assert_error(&answer, status, message);
    assert_eq!(stored(hub).await, before, "{message}");
}

/// Commits `text` as `testmodule.yaml` on `branch` and expects its submission to be refused.
async fn refused_document(hub: &MbsHub, branch: &str, text: &str, status: u16, message: &str) {
    let commit = commit(
        &hub.module_repo("testmodule"),
        branch,
        "2017-09-01T00:00:00Z",
        &[("testmodule.yaml", text)],
    );
    let body = json!({ "scmurl": hub.scmurl("testmodule", &commit), "branch": branch });
    refused(hub, body, Auth::Basic(OWNER), status, message).await;
}

#[tokio::test]
async fn request_checks_come_first() {
    let (hub, commit) = ready_hub().await;
    let scmurl = hub.scmurl("testmodule", &commit);
    let ok = json!({ "scmurl": scmurl, "branch": "master" });
    refused(
        &hub,
        ok.clone(),
        Auth::Anonymous,
        401,
        "No 'authorization' header found.",
    )
    .await;
    refused(
        &hub,
        ok.clone(),
        Auth::Session(1, "forged".into()),
        401,
        "Invalid session or bad credentials",
    )
    .await;

    let before = stored(&hub).await;
    let url = format!("{}module-builds/", hub.api(1));
    let garbage = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut response = agent.post(&url).send("{not json".as_bytes()).unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(garbage.0, 400);
    let body: Value = serde_json::from_str(&garbage.1).unwrap();
    assert_eq!(body["message"], "Invalid JSON submitted");
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(stored(&hub).await, before);

    let mut extra = ok.clone();
    extra["zzz"] = json!(1);
    extra["bogus"] = json!(true);
    refused(
        &hub,
        extra,
        Auth::Basic(OWNER),
        400,
        "The request contains invalid parameters: bogus, zzz",
    )
    .await;
    refused(
        &hub,
        json!({"branch": "master"}),
        Auth::Basic(OWNER),
        400,
        "Missing scmurl",
    )
    .await;
    refused(
        &hub,
        json!({"scmurl": "https://evil.example.com/modules/testmodule.git?#abc", "branch": "master"}),
        Auth::Basic(OWNER),
        403,
        "The submitted scmurl https://evil.example.com/modules/testmodule.git?#abc is not allowed",
    )
    .await;
    let no_fragment = format!("file://{}", hub.module_repo("testmodule").display());
    refused(
        &hub,
        json!({"scmurl": no_fragment, "branch": "master"}),
        Auth::Basic(OWNER),
        400,
        &format!("The submitted scmurl {no_fragment} is not valid.  Expected format is '<url>?[module-path]#[revision]'"),
    )
    .await;
    refused(
        &hub,
        json!({"scmurl": scmurl}),
        Auth::Basic(OWNER),
        400,
        "Missing branch",
    )
    .await;
    let mut named = ok.clone();
    named["module_name"] = json!("other");
    refused(
        &hub,
        named,
        Auth::Basic(OWNER),
        400,
        "Module name override is only allowed when a YAML file is submitted",
    )
    .await;
    let mut scratch = ok.clone();
    scratch["scratch"] = json!(true);
    scratch["srpms"] = json!("x.src.rpm");
    refused(
        &hub,
        scratch,
        Auth::Basic(OWNER),
        400,
        "srpms must be specified as a list",
    )
    .await;
    let mut srpms = ok.clone();
    srpms["srpms"] = json!([]);
    refused(
        &hub,
        srpms,
        Auth::Basic(OWNER),
        403,
        "srpms may only be specified for scratch builds",
    )
    .await;
    let mut owner = ok.clone();
    owner["owner"] = json!("someone");
    refused(
        &hub,
        owner,
        Auth::Basic(OWNER),
        400,
        "The request contains 'owner' parameter, however NO_AUTH is not allowed",
    )
    .await;
    let mut strategy = ok.clone();
    strategy["rebuild_strategy"] = json!("all");
    refused(
        &hub,
        strategy,
        Auth::Basic(OWNER),
        400,
        "The request contains the \"rebuild_strategy\" parameter but overriding the default isn't allowed",
    )
    .await;
    let mut overrides = ok.clone();
    overrides["buildrequire_overrides"] = json!({"platform": "f28"});
    refused(
        &hub,
        overrides,
        Auth::Basic(OWNER),
        400,
        "The \"buildrequire_overrides\" parameter must be an object with the keys as module names and the values as arrays of streams",
    )
    .await;
    let mut not_applicable = ok.clone();
    not_applicable["buildrequire_overrides"] = json!({"nodejs": ["8"]});
    refused(
        &hub,
        not_applicable,
        Auth::Basic(OWNER),
        400,
        "The buildrequire overrides for the following modules aren't applicable: nodejs",
    )
    .await;
    refused(
        &hub,
        json!({"modulemd": TESTMODULE, "module_name": "testmodule"}),
        Auth::Basic(OWNER),
        403,
        "YAML submission is not enabled",
    )
    .await;
}

#[tokio::test]
async fn configuration_gates_scratch_and_strategies() {
    let hub = MbsHub::start_with(|config| {
        config.modules_allow_scratch = false;
        config.rebuild_strategy_allow_override = true;
        config.rebuild_strategies_allowed = vec!["changed-and-after".into(), "all".into()];
    })
    .await;
    import_platform(&hub).await;
    let commit = testmodule_repo(&hub);
    let ok = json!({ "scmurl": hub.scmurl("testmodule", &commit), "branch": "master" });
    let mut scratch = ok.clone();
    scratch["scratch"] = json!(true);
    refused(
        &hub,
        scratch,
        Auth::Basic(OWNER),
        403,
        "Scratch builds are not enabled",
    )
    .await;
    let mut strategy = ok.clone();
    strategy["rebuild_strategy"] = json!("only-changed");
    refused(
        &hub,
        strategy,
        Auth::Basic(OWNER),
        400,
        "The rebuild method of \"only-changed\" is not allowed. Choose from: changed-and-after, all",
    )
    .await;
    let mut all = ok;
    all["rebuild_strategy"] = json!("all");
    let answer = call(
        "POST",
        format!("{}module-builds/", hub.api(1)),
        Some(all),
        Auth::Basic(OWNER),
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.body["rebuild_strategy"], "all");
    let duplicate = submit(&hub, 2, &commit, "master", STRANGER).await;
    assert_error(
        &duplicate,
        409,
        "Module (state=0) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed.",
    );
}

#[tokio::test]
async fn scm_problems_are_refused() {
    let (hub, commit) = ready_hub().await;
    let repo = hub.module_repo("testmodule");
    let other = commit_on(&repo, "side", &[]);
    refused(
        &hub,
        json!({ "scmurl": hub.scmurl("testmodule", &other), "branch": "master" }),
        Auth::Basic(OWNER),
        400,
        &format!("Commit {other} is not in branch master."),
    )
    .await;
    refused(
        &hub,
        json!({ "scmurl": hub.scmurl("testmodule", &commit), "branch": "nope" }),
        Auth::Basic(OWNER),
        400,
        &format!("Commit {commit} is not in branch nope."),
    )
    .await;
    let missing = "0123456789abcdef0123456789abcdef01234567";
    refused(
        &hub,
        json!({ "scmurl": hub.scmurl("testmodule", missing), "branch": "master" }),
        Auth::Basic(OWNER),
        422,
        &format!(
            "checkout: The requested commit hash was not found within the repository. Perhaps you forgot to push. The original message was: error: pathspec '{missing}' did not match any file(s) known to git"
        ),
    )
    .await;
    let empty = commit_on(&hub.module_repo("empty"), "master", &[("README", "x")]);
    refused(
        &hub,
        json!({ "scmurl": hub.scmurl("empty", &empty), "branch": "master" }),
        Auth::Basic(OWNER),
        422,
        "get_module_yaml: The SCM repository doesn't contain a modulemd file. Couldn't access: empty.yaml",
    )
    .await;
}

fn commit_on(repo: &std::path::Path, branch: &str, files: &[(&str, &str)]) -> String {
    commit(repo, branch, "2017-09-02T00:00:00Z", files)
}

#[tokio::test]
async fn document_problems_are_refused() {
    let (hub, _) = ready_hub().await;
    refused_document(
        &hub,
        "master",
        BROKEN_STREAM,
        422,
        "The modulemd testmodule.yaml is invalid. The error was:\n'Data section did not begin with a map.'\nPlease verify the syntax is correct.",
    )
    .await;
    refused_document(&hub, "master", "", 422, "The input modulemd was empty").await;
    let named = TESTMODULE.replace("data:\n", "data:\n  name: othername\n");
    refused_document(
        &hub,
        "master",
        &named,
        400,
        "The name \"othername\" that is stored in the modulemd is not valid",
    )
    .await;
    let streamed = TESTMODULE.replace("data:\n", "data:\n  stream: other\n");
    refused_document(
        &hub,
        "master",
        &streamed,
        400,
        "The stream \"other\" that is stored in the modulemd does not match the stream determined by the branch \"master\"",
    )
    .await;
    let versioned = TESTMODULE.replace("data:\n", "data:\n  version: 7\n");
    refused_document(
        &hub,
        "master",
        &versioned,
        400,
        "The version \"7\" is already defined in the modulemd but it shouldn't be since the version is generated based on the commit time",
    )
    .await;
    let reserved = TESTMODULE.replace("  references:\n", "  xmd:\n    mbs: {mse: TRUE}\n  references:\n");
    refused_document(
        &hub,
        "master",
        &reserved,
        400,
        "The \"mbs\" xmd field is reserved for MBS",
    )
    .await;
    let unknown_stream = TESTMODULE.replace("platform: [f28]", "platform: [f99]");
    refused_document(
        &hub,
        "master",
        &unknown_stream,
        400,
        "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built.",
    )
    .await;
    let mixed = TESTMODULE.replace(
        "        rationale: Provides API for this module.\n",
        "        rationale: Provides API for this module.\n        buildafter: [perl-Tangerine]\n",
    );
    refused_document(
        &hub,
        "master",
        &mixed,
        422,
        "The modulemd testmodule.yaml is invalid. The error was:\n'Cannot mix buildorder and buildafter in the same component'\nPlease verify the syntax is correct.",
    )
    .await;
    let buildafter = mixed.replace("        buildorder: 10\n", "");
    refused_document(
        &hub,
        "master",
        &buildafter,
        400,
        "The usage of \"buildafter\" is not yet supported",
    )
    .await;
    let unresolvable = TESTMODULE.replacen("ref: master", "ref: no-such-branch", 1);
    refused_document(
        &hub,
        "master",
        &unresolvable,
        422,
        &format!(
            "Failed to get the latest commit for file://{}/perl-List-Compare#no-such-branch",
            hub.rpms().display()
        ),
    )
    .await;
    let no_repo = TESTMODULE.replace("      tangerine:\n", "      no-such-package:\n");
    refused_document(
        &hub,
        "master",
        &no_repo,
        422,
        &format!(
            "Failed to get the latest commit for file://{}/no-such-package#master",
            hub.rpms().display()
        ),
    )
    .await;
    let alternatives = TESTMODULE.replace(
        "    requires:\n      platform: [f28]\n",
        "    requires:\n      platform: [f28]\n  - buildrequires:\n      platform: [f28]\n",
    );
    refused_document(
        &hub,
        "master",
        &alternatives,
        400,
        "Stream expansion is not supported yet: the modulemd must have exactly one dependencies entry, not 2",
    )
    .await;
}

/// Every fixture, submitted as a YAML document by an admin: the invalid one gets libmodulemd's
/// message with 422; the valid ones pass validation and meet MBS's later checks.
#[tokio::test]
async fn fixtures_get_their_expected_outcome() {
    let (hub, _) = ready_hub().await;
    let yaml = |text: &str| json!({ "modulemd": text, "module_name": "testmodule" });
    refused(
        &hub,
        yaml(BROKEN_STREAM),
        Auth::Basic(ADMIN),
        422,
        "The modulemd is invalid. The error was:\n'Data section did not begin with a map.'\nPlease verify the syntax is correct.",
    )
    .await;
    refused(
        &hub,
        yaml(SCALA),
        Auth::Basic(ADMIN),
        400,
        "The \"mbs\" xmd field is reserved for MBS",
    )
    .await;
    refused(
        &hub,
        yaml(SPEC),
        Auth::Basic(ADMIN),
        403,
        "Custom module repositories aren't allowed.  'includedmodule' bears repository 'https://pagure.io/includedmodule.git'",
    )
    .await;
    let spec_without_included = SPEC.replace("repository: https://pagure.io/includedmodule.git", "");
    refused(
        &hub,
        yaml(&spec_without_included),
        Auth::Basic(ADMIN),
        400,
        "Stream expansion is not supported yet: the modulemd must have exactly one dependencies entry, not 4",
    )
    .await;
    refused(
        &hub,
        yaml(GOOD_COMBO),
        Auth::Basic(ADMIN),
        400,
        "Stream expansion is not supported yet: the buildrequires of \"platform\" must name exactly one stream, not []",
    )
    .await;
    let answer = call(
        "POST",
        format!("{}module-builds/", hub.api(1)),
        Some(yaml(TESTMODULE)),
        Auth::Basic(ADMIN),
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.body["name"], "testmodule");
    assert_eq!(answer.body["stream"], "master");
    assert!(
        answer.body["version"].as_str().unwrap().starts_with("28"),
        "{answer:?}"
    );
    assert_eq!(answer.body["scmurl"], Value::Null);
    assert_eq!(stored(&hub).await, (2, 3));
}
