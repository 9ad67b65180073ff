//! Every fixture of `fixtures/SOURCES.md` with its expected outcome (validity and MBS batches),
//! and a parse → emit → parse round trip of every valid one.

use std::collections::BTreeMap;

use crate::modulemd::mbs::{SubmitError, load_modulemd, plan_batches};
use crate::modulemd::{ModuleStream, ModulemdError, ParseMode, RpmComponent, parse_stream};

const SPEC: &str = include_str!("../fixtures/spec-modulemd_stream_v2.yaml");
const SCALA: &str = include_str!("../fixtures/scala-2.10.yaml");
const TESTMODULE: &str = include_str!("../fixtures/mbs-testmodule_v2.yaml");
const GOOD_COMBO: &str = include_str!("../fixtures/good_combo_arches_v2.yaml");
const BROKEN_STREAM: &str = include_str!("../fixtures/broken_stream.yaml");

/// What a fixture should give.
enum Expected<'a> {
    /// Valid; the batches after module-build-macros, as component keys.
    Valid(Vec<Vec<&'a str>>),
    /// Invalid with this libmodulemd message.
    Invalid(&'a str),
}

/// The included module of the spec fixture, as if fetched: one component.
fn included_modules() -> BTreeMap<String, ModuleStream> {
    let mut included = ModuleStream::default();
    included
        .rpm_components
        .insert("included-pkg".to_owned(), RpmComponent::default());
    BTreeMap::from([("includedmodule".to_owned(), included)])
}

fn check(text: &str, expected: Expected<'_>) {
    let parsed = parse_stream(text, ParseMode::Lenient).and_then(|stream| stream.validate().map(|()| stream));
    match expected {
        Expected::Valid(batches) => {
            let stream = parsed.expect("fixture parses and validates");
            let plan = plan_batches(&stream, &included_modules()).expect("fixture has a plan");
            let actual: Vec<Vec<String>> = plan
                .batches
                .iter()
                .skip(1)
                .map(|batch| batch.components.clone())
                .collect();
            assert_eq!(actual, batches);
            assert_eq!(plan.batches[0].components, ["module-build-macros"]);
            check_round_trip(&stream);
        }
        Expected::Invalid(message) => {
            assert_eq!(parsed.map_err(|error| error.to_string()), Err(message.to_owned()));
        }
    }
}

fn check_round_trip(stream: &ModuleStream) {
    let emitted = stream.emit().expect("a valid stream emits");
    assert!(
        emitted.starts_with("---\ndocument: modulemd\nversion: 2\ndata:\n"),
        "{emitted}"
    );
    assert!(emitted.ends_with("\n...\n"), "{emitted}");
    let reparsed = parse_stream(&emitted, ParseMode::Strict).expect("emitted YAML parses strictly");
    assert_eq!(&reparsed, stream, "round trip changed the stream:\n{emitted}");
    assert_eq!(reparsed.to_yaml(), emitted, "emission is stable");
}

#[test]
fn spec_stream_v2() {
    check(
        SPEC,
        Expected::Valid(vec![
            vec!["baz"],
            vec!["bar", "xxx"],
            vec!["xyz"],
            vec!["included-pkg"],
        ]),
    );
}

#[test]
fn scala_2_10() {
    check(
        SCALA,
        Expected::Valid(vec![
            vec!["hawtjni"],
            vec!["jansi-native"],
            vec!["jansi"],
            vec!["jline"],
            vec!["scala"],
        ]),
    );
}

#[test]
fn mbs_testmodule_v2() {
    check(
        TESTMODULE,
        Expected::Valid(vec![
            vec!["perl-List-Compare", "perl-Tangerine"],
            vec!["tangerine"],
        ]),
    );
}

#[test]
fn good_combo_arches_v2() {
    check(
        GOOD_COMBO,
        Expected::Valid(vec![vec!["http-parser", "libuv", "nghttp2", "nodejs"]]),
    );
}

#[test]
fn broken_stream() {
    check(
        BROKEN_STREAM,
        Expected::Invalid("Data section did not begin with a map."),
    );
}

#[test]
fn broken_stream_as_mbs_reports_it() {
    let error = load_modulemd(BROKEN_STREAM, None).expect_err("invalid");
    assert_eq!(error.status(), 422);
    assert_eq!(error.reason(), "Unprocessable Entity");
    assert_eq!(
        error.to_string(),
        "The modulemd is invalid. The error was:\n'Data section did not begin with a map.'\nPlease verify the syntax is correct."
    );
    let error = load_modulemd(BROKEN_STREAM, Some("broken_stream.yaml")).expect_err("invalid");
    assert_eq!(
        error,
        SubmitError::InvalidModulemd {
            file: Some("broken_stream.yaml".to_owned()),
            error: ModulemdError::parse("Data section did not begin with a map."),
        }
    );
    assert_eq!(
        error.to_string(),
        "The modulemd broken_stream.yaml is invalid. The error was:\n'Data section did not begin with a map.'\nPlease verify the syntax is correct."
    );
}

#[test]
fn scala_keeps_its_scalars_as_written() {
    let stream = parse_stream(SCALA, ParseMode::Strict).expect("valid");
    assert_eq!(stream.stream.as_deref(), Some("2.10"));
    assert_eq!(stream.version, Some(20180702155503));
    assert_eq!(stream.context.as_deref(), Some("819b5873"));
    let xmd = crate::modulemd::MbsXmd::from_stream(&stream).expect("xmd.mbs");
    assert!(xmd.mse);
    assert_eq!(xmd.buildrequires["platform"].context, "00000000");
    assert_eq!(xmd.buildrequires["javapackages-tools"].stream, "201801");
    assert_eq!(xmd.buildrequires["javapackages-tools"].version, "20180629150827");
    assert_eq!(
        xmd.rpms["scala"].git_ref.as_deref(),
        Some("da70d06a833057731e73c845aa338b1bd6d04ded")
    );
    assert_eq!(
        stream.rpm_components["hawtjni"].rationale.as_deref(),
        Some("Runtime dependency of jansi, jansi-native.\n")
    );
}

#[test]
fn good_combo_refs_are_strings() {
    let stream = parse_stream(GOOD_COMBO, ParseMode::Strict).expect("valid");
    assert_eq!(stream.rpm_components["libuv"].git_ref.as_deref(), Some("1"));
    assert_eq!(stream.rpm_components["nodejs"].git_ref.as_deref(), Some("10"));
    assert!(stream.dependencies[0].buildrequires["platform"].is_empty());
}

#[test]
fn spec_fixture_reads_every_field() {
    let stream = parse_stream(SPEC, ParseMode::Strict).expect("valid");
    assert_eq!(stream.name.as_deref(), Some("foo"));
    assert_eq!(stream.stream.as_deref(), Some("latest"));
    assert!(!stream.static_context);
    assert_eq!(stream.servicelevels["rawhide"].eol.as_deref(), Some("2077-10-23"));
    assert_eq!(stream.dependencies.len(), 4);
    assert_eq!(stream.dependencies[0].buildrequires["platform"].len(), 3);
    assert_eq!(
        stream.profiles["minimal"].description.as_deref(),
        Some("Minimal profile installing only the bar package.")
    );
    assert_eq!(
        stream.rpm_macros(),
        Some("%demomacro 1\n%demomacro2 %{demomacro}23\n")
    );
    assert_eq!(stream.rpm_components["bar"].name.as_deref(), Some("bar-real"));
    assert_eq!(stream.rpm_components["baz"].buildorder, -1);
    assert!(stream.rpm_components["baz"].srpm_buildroot);
    assert_eq!(stream.module_components["includedmodule"].buildorder, 100);
    assert_eq!(stream.artifacts.rpms.len(), 7);
    let entry = &stream.artifacts.rpm_map["sha256"]["ee47083ed80146eb2c84e9a94d0836393912185dcda62b9d93ee0c2ea5dc795b"];
    assert_eq!(entry.epoch, Some(0));
    assert_eq!(entry.version.as_deref(), Some("1.23"));
    assert_eq!(stream.demodularized.len(), 1);
}
