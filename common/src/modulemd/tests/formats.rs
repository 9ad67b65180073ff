//! The other document formats MBS accepts: stream v1, packager v2 and v3, and defaults.

use std::collections::BTreeSet;

use crate::modulemd::mbs::{SubmitError, load_modulemd};
use crate::modulemd::{Defaults, Document, ModulemdError, ParseMode, SourceFormat, parse_document};

const V1: &str = "document: modulemd\nversion: 1\ndata:\n  name: foo\n  stream: bar\n  summary: S\n  description: D\n  eol: 2077-10-23\n  license:\n    module: [MIT]\n  dependencies:\n    buildrequires:\n      platform: f28\n    requires:\n      platform: f28\n";

#[test]
fn stream_v1_is_upgraded() {
    let Document::Stream { source, stream } = parse_document(V1, ParseMode::Strict).expect("parses") else {
        panic!("not a stream");
    };
    assert_eq!(source, SourceFormat::StreamV1);
    assert_eq!(stream.dependencies.len(), 1);
    assert_eq!(
        stream.dependencies[0].buildrequires["platform"],
        BTreeSet::from(["f28".to_owned()])
    );
    assert_eq!(stream.servicelevels["rawhide"].eol.as_deref(), Some("2077-10-23"));
    stream.validate().expect("valid");
}

#[test]
fn packager_v2_reads_only_author_keys() {
    let text = "document: modulemd-packager\nversion: 2\ndata:\n  name: foo\n  version: 3\n  summary: S\n  description: D\n  license:\n    module: [MIT]\n    content: [GPL]\n  xmd: {a: b}\n  buildopts:\n    arches: [x86_64]\n";
    let Document::Stream { source, stream } = parse_document(text, ParseMode::Strict).expect("parses") else {
        panic!("not a stream");
    };
    assert_eq!(source, SourceFormat::PackagerV2);
    assert_eq!(
        (stream.name, stream.version, stream.buildopts),
        (None, None, None)
    );
    assert!(stream.license.content.is_empty() && stream.xmd.is_empty());
}

const V3: &str = "document: modulemd-packager\nversion: 3\ndata:\n  name: foo\n  stream: latest\n  summary: S\n  description: D\n  license: [MIT]\n  configurations:\n  - context: CTX1\n    platform: f39\n    buildrequires:\n      perl: [5.30]\n    requires:\n      perl: [5.30]\n    buildopts:\n      rpms:\n        macros: '%a 1'\n  - context: CTX2\n    platform: f40\n  profiles:\n    common:\n      default: true\n      rpms: [foo]\n  components:\n    rpms:\n      foo:\n        rationale: R\n";

#[test]
fn packager_v3_becomes_one_stream_per_configuration() {
    let loaded = load_modulemd(V3, Some("foo.yaml")).expect("loads");
    assert!(loaded.from_packager_v3);
    let contexts: Vec<_> = loaded
        .streams
        .iter()
        .map(|stream| stream.context.clone().unwrap_or_default())
        .collect();
    assert_eq!(contexts, ["CTX1", "CTX2"]);
    for stream in &loaded.streams {
        assert!(stream.static_context);
        assert_eq!(stream.rpm_macros(), Some("%a 1"));
        assert!(stream.profiles["common"].default);
        stream.validate().expect("valid");
    }
    let second = &loaded.streams[1].dependencies[0];
    assert_eq!(
        second.buildrequires["platform"],
        BTreeSet::from(["f40".to_owned()])
    );
    assert_eq!(second.requires["platform"], BTreeSet::from(["f40".to_owned()]));
    assert_eq!(
        loaded.streams[0].dependencies[0].buildrequires["perl"],
        BTreeSet::from(["5.30".to_owned()])
    );
}

/// Loads a packager v3 document with these configuration lines and checks the error message.
fn check_v3(configurations: &str, expected: &str) {
    let text = format!(
        "document: modulemd-packager\nversion: 3\ndata:\n  summary: S\n  description: D\n  license: [MIT]\n{configurations}"
    );
    match load_modulemd(&text, None) {
        Err(SubmitError::InvalidModulemd { error, .. }) => assert_eq!(error.to_string(), expected),
        other => panic!("{other:?}"),
    }
}

#[test]
fn packager_v3_configuration_errors() {
    check_v3(
        "",
        "Packager document with no build configurations cannot be converted to stream",
    );
    check_v3(
        "  configurations:\n  - platform: f39\n",
        "Empty context in BuildConfig",
    );
    check_v3(
        "  configurations:\n  - context: a-b\n    platform: f39\n",
        "Non-alphanumeric character in BuildConfig context",
    );
    check_v3(
        "  configurations:\n  - context: abcdefghijk\n    platform: f39\n",
        "BuildConfig context exceeds maximum characters",
    );
    check_v3(
        "  configurations:\n  - context: abc\n",
        "Unset platform in BuildConfig",
    );
    check_v3(
        "  configurations:\n  - context: abc\n    platform: f39\n  - context: abc\n    platform: f40\n",
        "Duplicate context: abc",
    );
}

#[test]
fn packager_v3_is_always_strict() {
    check_v3("  colour: blue\n", "Unexpected key in data: colour");
}

#[test]
fn defaults_round_trip() {
    let text = "document: modulemd-defaults\nversion: 1\ndata:\n  module: foo\n  modified: 202401010000\n  stream: '2.10'\n  profiles:\n    '2.10': [default, server]\n";
    let Document::Defaults(defaults) = parse_document(text, ParseMode::Strict).expect("parses") else {
        panic!("not defaults");
    };
    assert_eq!(defaults.stream.as_deref(), Some("2.10"));
    assert_eq!(defaults.profiles["2.10"].len(), 2);
    let again = parse_document(&defaults.to_yaml(), ParseMode::Strict).expect("parses");
    assert_eq!(again, Document::Defaults(defaults));
}

#[test]
fn defaults_need_a_module() {
    let text = "document: modulemd-defaults\nversion: 1\ndata:\n  stream: x\n";
    assert_eq!(
        parse_document(text, ParseMode::Lenient),
        Err(ModulemdError::parse("Module name is missing"))
    );
}

#[test]
fn defaults_are_not_build_input() {
    let defaults = Defaults {
        module: "foo".into(),
        ..Defaults::default()
    };
    let error = load_modulemd(&defaults.to_yaml(), None).expect_err("refused");
    assert_eq!(error.status(), 422);
}

#[test]
fn empty_submission() {
    assert_eq!(load_modulemd("", None), Err(SubmitError::EmptyModulemd));
}
