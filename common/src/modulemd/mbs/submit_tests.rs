//! Tests of the submit-time identity checks, document checks and init-step defaults.

use std::collections::BTreeMap;

use super::*;
use crate::modulemd::mbs::reason_phrase;
use crate::modulemd::{ModuleComponent, RpmComponent, XmdValue};

fn config() -> SubmitConfig {
    SubmitConfig::mbs_defaults()
}

fn named(name: Option<&str>, stream: Option<&str>, version: Option<u64>) -> ModuleStream {
    ModuleStream {
        name: name.map(str::to_owned),
        stream: stream.map(str::to_owned),
        version,
        ..ModuleStream::default()
    }
}

/// Applies the SCM identity of repository `testmodule`, branch `branch`, version 7.
fn check_scm(mut stream: ModuleStream, branch: &str, expected: Result<(&str, &str, u64), SubmitError>) {
    let actual = apply_scm_identity(&mut stream, "testmodule", branch, 7, &config()).map(|()| {
        (
            stream.name.clone().unwrap_or_default(),
            stream.stream.clone().unwrap_or_default(),
            stream.version.unwrap_or(0),
        )
    });
    let expected = expected.map(|(name, stream, version)| (name.to_owned(), stream.to_owned(), version));
    assert_eq!(actual, expected);
}

#[test]
fn scm_fills_name_stream_and_version() {
    check_scm(named(None, None, None), "f39", Ok(("testmodule", "f39", 7)));
}

#[test]
fn scm_branch_dashes_become_underscores() {
    check_scm(
        named(None, None, None),
        "my-branch",
        Ok(("testmodule", "my_branch", 7)),
    );
}

#[test]
fn scm_matching_name_and_stream_are_kept() {
    check_scm(
        named(Some("testmodule"), Some("f39"), None),
        "f39",
        Ok(("testmodule", "f39", 7)),
    );
}

#[test]
fn scm_name_mismatch() {
    check_scm(
        named(Some("other"), None, None),
        "f39",
        Err(SubmitError::NameMismatch { name: "other".into() }),
    );
}

#[test]
fn scm_stream_mismatch() {
    check_scm(
        named(None, Some("f38"), None),
        "f39",
        Err(SubmitError::StreamMismatch {
            stream: "f38".into(),
            branch: "f39".into(),
        }),
    );
}

#[test]
fn scm_dash_in_stream() {
    check_scm(
        named(None, Some("a-b"), None),
        "a-b",
        Err(SubmitError::DashInStreamValue { stream: "a-b".into() }),
    );
}

#[test]
fn scm_version_defined() {
    check_scm(
        named(None, None, Some(5)),
        "f39",
        Err(SubmitError::VersionDefined { version: 5 }),
    );
}

#[test]
fn yaml_identity_sources() {
    let config = config();
    let mut stream = named(None, None, None);
    apply_yaml_identity(&mut stream, Some("given"), None, Some("file"), 9, &config).expect("ok");
    assert_eq!(
        (stream.name.as_deref(), stream.stream.as_deref(), stream.version),
        (Some("given"), Some("master"), Some(9))
    );
    let mut stream = named(Some("doc"), Some("s"), Some(3));
    apply_yaml_identity(&mut stream, Some("given"), Some("override"), None, 9, &config).expect("ok");
    assert_eq!(
        (stream.name.as_deref(), stream.stream.as_deref(), stream.version),
        (Some("doc"), Some("override"), Some(3))
    );
    let mut stream = named(None, None, None);
    apply_yaml_identity(&mut stream, None, None, Some("file"), 9, &config).expect("ok");
    assert_eq!(stream.name.as_deref(), Some("file"));
    let mut stream = named(None, None, None);
    assert_eq!(
        apply_yaml_identity(&mut stream, None, None, None, 9, &config),
        Err(SubmitError::NameMissing)
    );
}

fn with_xmd_mbs(name: &str, keys: &[&str]) -> ModuleStream {
    let mut stream = named(Some(name), None, None);
    let map = keys
        .iter()
        .map(|key| ((*key).to_owned(), XmdValue::from("x")))
        .collect();
    stream.xmd.insert("mbs".into(), XmdValue::Map(map));
    stream
}

fn check_document_result(stream: &ModuleStream, config: &SubmitConfig, expected: Result<(), SubmitError>) {
    assert_eq!(check_document(stream, config), expected);
}

#[test]
fn xmd_mbs_is_reserved() {
    check_document_result(
        &with_xmd_mbs("foo", &["disttag_marking"]),
        &config(),
        Err(SubmitError::MbsXmdReserved),
    );
}

#[test]
fn privileged_modules_may_set_some_xmd_mbs_keys() {
    let mut config = config();
    config.privileged_module_names.push("bootstrap".into());
    check_document_result(
        &with_xmd_mbs("bootstrap", &["disttag_marking", "koji_tag_arches"]),
        &config,
        Ok(()),
    );
    check_document_result(
        &with_xmd_mbs("bootstrap", &["buildrequires"]),
        &config,
        Err(SubmitError::MbsXmdReserved),
    );
}

#[test]
fn base_module_names_cannot_be_built() {
    check_document_result(
        &named(Some("platform"), None, None),
        &config(),
        Err(SubmitError::BaseModuleName {
            name: "platform".into(),
        }),
    );
}

#[test]
fn custom_module_repository_is_forbidden() {
    let mut stream = named(Some("foo"), None, None);
    let component = ModuleComponent {
        repository: Some("https://x/inc.git".into()),
        ..ModuleComponent::default()
    };
    stream.module_components.insert("inc".into(), component);
    let error = check_document(&stream, &config()).expect_err("forbidden");
    assert_eq!(error.status(), 403);
    let mut allowing = config();
    allowing.modules_allow_repository = true;
    check_document_result(&stream, &allowing, Ok(()));
}

#[test]
fn dashes_in_generated_values() {
    let mut stream = named(Some("foo"), Some("s"), Some(1));
    stream.context = Some("ab-cd".into());
    assert_eq!(
        check_dashes(&stream, &config()),
        Err(SubmitError::DashesNotAllowed {
            field: "context",
            value: "ab-cd".into()
        })
    );
    let mut allowing = config();
    allowing.allow_dashes_in_svc = true;
    assert_eq!(check_dashes(&stream, &allowing), Ok(()));
}

fn with_component(component: RpmComponent) -> ModuleStream {
    let mut stream = named(Some("foo"), Some("s"), None);
    stream.rpm_components = BTreeMap::from([("pkg".to_owned(), component)]);
    stream
}

#[test]
fn init_fills_component_defaults() {
    let mut stream = with_component(RpmComponent::default());
    stream
        .module_components
        .insert("inc".into(), ModuleComponent::default());
    fill_component_defaults(&mut stream, Some("f39"), &config()).expect("ok");
    let component = &stream.rpm_components["pkg"];
    assert_eq!(
        component.repository.as_deref(),
        Some("https://src.fedoraproject.org/rpms/pkg")
    );
    assert_eq!(
        component.cache.as_deref(),
        Some("http://pkgs.fedoraproject.org/repo/pkgs/pkg")
    );
    assert_eq!(component.git_ref.as_deref(), Some("f39"));
    assert_eq!(component.arches.iter().collect::<Vec<_>>(), ["x86_64"]);
    assert_eq!(
        stream.module_components["inc"].repository.as_deref(),
        Some("https://src.fedoraproject.org/modules/inc")
    );
    let mut stream = with_component(RpmComponent {
        git_ref: Some("main".into()),
        ..RpmComponent::default()
    });
    fill_component_defaults(&mut stream, None, &config()).expect("ok");
    assert_eq!(stream.rpm_components["pkg"].git_ref.as_deref(), Some("main"));
    let mut stream = with_component(RpmComponent::default());
    fill_component_defaults(&mut stream, None, &config()).expect("ok");
    assert_eq!(stream.rpm_components["pkg"].git_ref.as_deref(), Some("master"));
}

#[test]
fn init_refuses_custom_sources_and_buildafter() {
    let check = |component: RpmComponent, expected: InitError| {
        let mut stream = with_component(component);
        assert_eq!(
            fill_component_defaults(&mut stream, None, &config()),
            Err(expected)
        );
    };
    check(
        RpmComponent {
            repository: Some("https://x/pkg".into()),
            ..RpmComponent::default()
        },
        InitError::CustomComponentRepository {
            component: "pkg".into(),
            repository: "https://x/pkg".into(),
        },
    );
    check(
        RpmComponent {
            cache: Some("https://c/pkg".into()),
            ..RpmComponent::default()
        },
        InitError::CustomComponentCache {
            component: "pkg".into(),
            cache: "https://c/pkg".into(),
        },
    );
    check(
        RpmComponent {
            buildafter: ["x".to_owned()].into(),
            ..RpmComponent::default()
        },
        InitError::BuildafterNotSupported {
            component: "pkg".into(),
        },
    );
}

#[test]
fn reason_phrases() {
    let phrases: Vec<_> = [400, 401, 403, 404, 409, 422, 500]
        .into_iter()
        .map(reason_phrase)
        .collect();
    assert_eq!(
        phrases,
        [
            "Bad Request",
            "Unauthorized",
            "Forbidden",
            "Not Found",
            "Conflict",
            "Unprocessable Entity",
            "Internal Server Error"
        ]
    );
}
