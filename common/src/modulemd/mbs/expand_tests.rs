//! Tests of stream expansion for the simple case, overrides and static contexts.

use super::*;
use crate::modulemd::mbs::names::{build_context, runtime_context};
use crate::modulemd::{ParseMode, parse_stream};

const TESTMODULE: &str = include_str!("../fixtures/mbs-testmodule_v2.yaml");

fn platform(name: &str, stream: &str) -> Option<Vec<ResolvedModule>> {
    (name == "platform" && stream == "f28").then(|| {
        vec![ResolvedModule {
            name: "platform".into(),
            stream: "f28".into(),
            version: 3,
            context: "00000000".into(),
            git_ref: Some("virtual".into()),
            koji_tag: Some("module-f28-build".into()),
            filtered_rpms: Vec::new(),
        }]
    })
}

fn testmodule() -> ModuleStream {
    let mut stream = parse_stream(TESTMODULE, ParseMode::Lenient).expect("fixture");
    stream.name = Some("testmodule".into());
    stream.stream = Some("master".into());
    stream
}

fn submission() -> SubmissionInfo {
    SubmissionInfo {
        scmurl: "https://src.example/modules/testmodule.git?#620ec77".into(),
        commit: "620ec77321b2ea7b0d67d82992dda3e1d67055b4".into(),
        branch: Some("master".into()),
    }
}

#[test]
fn testmodule_expands_against_platform() {
    let config = SubmitConfig::mbs_defaults();
    let expanded =
        expand_simple(&testmodule(), 20180205135154, &submission(), &config, platform).expect("expands");
    let stream = &expanded.stream;
    assert_eq!(stream.version, Some(2820180205135154));
    let build = BTreeMap::from([("platform".to_owned(), "f28".to_owned())]);
    let requires = BTreeMap::from([("platform".to_owned(), BTreeSet::from(["f28".to_owned()]))]);
    assert_eq!(expanded.contexts.build_context, build_context(&build));
    assert_eq!(expanded.contexts.runtime_context, runtime_context(&requires));
    assert_eq!(
        expanded.contexts.build_context_no_bms,
        build_context(&BTreeMap::new())
    );
    assert_eq!(
        stream.context.as_deref(),
        Some(expanded.contexts.context.as_str())
    );
    let xmd = MbsXmd::from_stream(stream).expect("xmd.mbs");
    assert!(xmd.mse);
    assert_eq!(
        xmd.commit.as_deref(),
        Some("620ec77321b2ea7b0d67d82992dda3e1d67055b4")
    );
    assert_eq!(xmd.branch.as_deref(), Some("master"));
    let platform = &xmd.buildrequires["platform"];
    assert_eq!(
        (platform.stream.as_str(), platform.version.as_str()),
        ("f28", "3")
    );
    assert_eq!(platform.koji_tag.as_deref(), Some("module-f28-build"));
    let emitted = stream.emit().expect("valid");
    let again = parse_stream(&emitted, ParseMode::Strict).expect("parses");
    assert_eq!(&again, stream);
}

#[test]
fn transitive_requires_are_recorded() {
    let mut stream = testmodule();
    stream.dependencies[0]
        .buildrequires
        .insert("perl".into(), BTreeSet::from(["5.30".to_owned()]));
    let resolve = |name: &str, module_stream: &str| match name {
        "perl" => Some(vec![
            ResolvedModule {
                name: "perl".into(),
                stream: module_stream.into(),
                version: 1,
                context: "c1".into(),
                ..Default::default()
            },
            ResolvedModule {
                name: "perl-libs".into(),
                stream: "1".into(),
                version: 2,
                context: "c2".into(),
                ..Default::default()
            },
        ]),
        _ => platform(name, module_stream),
    };
    let config = SubmitConfig::mbs_defaults();
    let expanded = expand_simple(&stream, 20180205135154, &submission(), &config, resolve).expect("expands");
    let xmd = MbsXmd::from_stream(&expanded.stream).expect("xmd.mbs");
    assert_eq!(
        xmd.buildrequires.keys().collect::<Vec<_>>(),
        ["perl", "perl-libs", "platform"]
    );
    let without_base = BTreeMap::from([
        ("perl".to_owned(), "5.30".to_owned()),
        ("perl-libs".to_owned(), "1".to_owned()),
    ]);
    assert_eq!(
        expanded.contexts.build_context_no_bms,
        build_context(&without_base)
    );
}

/// Expands `stream` against the platform resolver and returns the error.
fn check_error(stream: &ModuleStream, expected: SubmitError, message: &str) {
    let config = SubmitConfig::mbs_defaults();
    let error = expand_simple(stream, 1, &submission(), &config, platform).expect_err("refused");
    assert_eq!(error.to_string(), message);
    assert_eq!(error, expected);
    assert_eq!(error.status(), 400);
}

#[test]
fn several_build_streams_are_not_supported() {
    let mut stream = testmodule();
    stream.dependencies[0].buildrequires.insert(
        "platform".into(),
        BTreeSet::from(["f28".to_owned(), "f29".to_owned()]),
    );
    check_error(
        &stream,
        SubmitError::UnsupportedStreamExpansion {
            runtime: false,
            module: "platform".into(),
            streams: vec!["f28".into(), "f29".into()],
        },
        "Stream expansion is not supported yet: the buildrequires of \"platform\" must name exactly one stream, not [f28, f29]",
    );
}

#[test]
fn all_streams_are_not_supported() {
    let mut stream = testmodule();
    stream.dependencies[0]
        .buildrequires
        .insert("platform".into(), BTreeSet::new());
    check_error(
        &stream,
        SubmitError::UnsupportedStreamExpansion {
            runtime: false,
            module: "platform".into(),
            streams: Vec::new(),
        },
        "Stream expansion is not supported yet: the buildrequires of \"platform\" must name exactly one stream, not []",
    );
}

#[test]
fn negated_streams_are_not_supported() {
    let mut stream = testmodule();
    stream.dependencies[0]
        .buildrequires
        .insert("platform".into(), BTreeSet::from(["-f27".to_owned()]));
    let error = expand_simple(&stream, 1, &submission(), &SubmitConfig::mbs_defaults(), platform)
        .expect_err("refused");
    assert!(
        matches!(error, SubmitError::UnsupportedStreamExpansion { .. }),
        "{error:?}"
    );
}

#[test]
fn several_dependency_entries_are_not_supported() {
    let mut stream = testmodule();
    stream.dependencies.push(stream.dependencies[0].clone());
    check_error(
        &stream,
        SubmitError::UnsupportedDependencyAlternatives { count: 2 },
        "Stream expansion is not supported yet: the modulemd must have exactly one dependencies entry, not 2",
    );
}

#[test]
fn unknown_buildrequire() {
    let mut stream = testmodule();
    stream.dependencies[0]
        .buildrequires
        .insert("platform".into(), BTreeSet::from(["f99".to_owned()]));
    check_error(
        &stream,
        SubmitError::BuildrequireNotFound {
            module: "platform".into(),
            stream: "f99".into(),
        },
        "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built.",
    );
}

#[test]
fn invalid_expanded_stream_cannot_be_emitted() {
    let mut stream = testmodule();
    stream
        .rpm_components
        .get_mut("perl-List-Compare")
        .expect("component")
        .buildafter
        .insert("tangerine".into());
    let error = expand_simple(&stream, 1, &submission(), &SubmitConfig::mbs_defaults(), platform)
        .expect_err("refused");
    assert_eq!(error.status(), 500);
    assert_eq!(
        error.to_string(),
        "Could not validate stream to emit: Cannot mix buildorder and buildafter in the same stream"
    );
}

#[test]
fn static_context_is_kept() {
    let mut stream = testmodule();
    stream.static_context = true;
    stream.context = Some("ctx1".into());
    let expanded =
        expand_simple(&stream, 1, &submission(), &SubmitConfig::mbs_defaults(), platform).expect("expands");
    assert_eq!(expanded.stream.context.as_deref(), Some("ctx1"));
    assert_eq!(expanded.contexts.context.len(), 8);
}

#[test]
fn overrides_replace_streams() {
    let mut stream = testmodule();
    let overrides = BTreeMap::from([("platform".to_owned(), vec!["f29".to_owned()])]);
    apply_overrides(&mut stream, &overrides, &BTreeMap::new()).expect("applies");
    assert_eq!(
        stream.dependencies[0].buildrequires["platform"],
        BTreeSet::from(["f29".to_owned()])
    );
    assert_eq!(
        stream.dependencies[0].requires["platform"],
        BTreeSet::from(["f28".to_owned()])
    );
}

#[test]
fn overrides_must_name_dependencies() {
    let mut stream = testmodule();
    let overrides = BTreeMap::from([("b".to_owned(), vec![]), ("a".to_owned(), vec![])]);
    assert_eq!(
        apply_overrides(&mut stream, &BTreeMap::new(), &overrides),
        Err(SubmitError::OverridesNotApplicable {
            runtime: true,
            modules: vec!["a".into(), "b".into()]
        })
    );
}

fn with_options(options: &str) -> ModuleStream {
    let text = format!(
        "document: modulemd\nversion: 2\ndata:\n  summary: S\n  description: D\n  license:\n    module: [MIT]\n  xmd:\n    mbs_options:\n{options}"
    );
    parse_stream(&text, ParseMode::Strict).expect("parses")
}

fn check_static(options: &str, expected: Result<Vec<(&str, &str)>, SubmitError>) {
    let actual = static_context_streams(&with_options(options)).map(|streams| {
        streams
            .unwrap_or_default()
            .into_iter()
            .map(|stream| {
                let platform = stream.dependencies[0].buildrequires["platform"]
                    .iter()
                    .next()
                    .cloned()
                    .unwrap_or_default();
                (stream.context.unwrap_or_default(), platform)
            })
            .collect::<Vec<_>>()
    });
    let expected = expected.map(|pairs| {
        pairs
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    });
    assert_eq!(actual, expected);
}

#[test]
fn static_contexts_make_one_stream_each() {
    check_static(
        "      contexts:\n        c1:\n          buildrequires: {platform: f28}\n          requires: {platform: f28}\n        c2:\n          buildrequires: {platform: f29}\n          requires: {platform: f29}\n",
        Ok(vec![("c1", "f28"), ("c2", "f29")]),
    );
}

#[test]
fn static_contexts_missing() {
    check_static(
        "      static_context: TRUE\n",
        Err(SubmitError::StaticContextsMissing),
    );
}

#[test]
fn static_context_without_requires() {
    check_static(
        "      contexts:\n        c1:\n          buildrequires: {platform: f28}\n",
        Err(SubmitError::StaticContextKeyMissing {
            context: "c1".into(),
            key: "requires",
        }),
    );
}

#[test]
fn static_context_with_expansion_syntax() {
    check_static(
        "      contexts:\n        c1:\n          buildrequires: {platform: [f28, f29]}\n          requires: {platform: f28}\n",
        Err(SubmitError::StaticContextStreamSyntax {
            context: "c1".into(),
            module: "platform".into(),
        }),
    );
    check_static(
        "      contexts:\n        c1:\n          buildrequires: {platform: -f28}\n          requires: {platform: f28}\n",
        Err(SubmitError::StaticContextStreamSyntax {
            context: "c1".into(),
            module: "platform".into(),
        }),
    );
}

#[test]
fn no_static_contexts() {
    assert_eq!(static_context_streams(&testmodule()), Ok(None));
}
