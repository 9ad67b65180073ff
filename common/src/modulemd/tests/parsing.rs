//! Scalar typing, `xmd` values and emission details.

use std::collections::{BTreeMap, BTreeSet};

use crate::modulemd::{MbsXmd, ModuleStream, ParseMode, XmdValue, parse_stream};

fn doc(data: &str) -> String {
    let body: String = data.lines().map(|line| format!("  {line}\n")).collect();
    format!(
        "document: modulemd\nversion: 2\ndata:\n  summary: S\n  description: D\n  license:\n    module: [MIT]\n{body}"
    )
}

fn parse(data: &str) -> ModuleStream {
    parse_stream(&doc(data), ParseMode::Strict).expect("parses")
}

/// Reads `stream: <text>` and checks the stream name.
fn check_stream(text: &str, expected: &str) {
    assert_eq!(
        parse(&format!("stream: {text}\n")).stream.as_deref(),
        Some(expected),
        "{text}"
    );
}

#[test]
fn stream_scalars_stay_strings() {
    check_stream("2.10", "2.10");
    check_stream("8", "8");
    check_stream("'2.10'", "2.10");
    check_stream("\"08\"", "08");
    check_stream("0x1F", "0x1F");
    check_stream("1e3", "1e3");
    check_stream("true", "true");
    check_stream("~", "~");
}

#[test]
fn version_zero_is_unset() {
    assert_eq!(parse("version: 0\n").version, None);
    assert_eq!(parse("version: 20180702155503\n").version, Some(20180702155503));
}

#[test]
fn scalar_where_a_list_is_expected_is_a_one_entry_list() {
    let stream = parse("api:\n  rpms: foo\n");
    assert_eq!(stream.api, BTreeSet::from(["foo".to_owned()]));
}

#[test]
fn dependency_stream_lists() {
    let stream = parse(
        "dependencies:\n- buildrequires:\n    platform: []\n    perl: [5.30, '5.32']\n  requires:\n    platform: [-f27]\n",
    );
    let entry = &stream.dependencies[0];
    assert!(entry.buildrequires["platform"].is_empty());
    assert_eq!(
        entry.buildrequires["perl"],
        BTreeSet::from(["5.30".to_owned(), "5.32".to_owned()])
    );
    assert_eq!(entry.requires["platform"], BTreeSet::from(["-f27".to_owned()]));
}

#[test]
fn xmd_scalars_are_strings_except_upper_case_booleans() {
    let stream = parse("xmd:\n  a: TRUE\n  b: FALSE\n  c: true\n  d: 2.10\n  e: [1, {f: g}]\n  h: ''\n");
    let expected = BTreeMap::from([
        ("a".to_owned(), XmdValue::Bool(true)),
        ("b".to_owned(), XmdValue::Bool(false)),
        ("c".to_owned(), XmdValue::from("true")),
        ("d".to_owned(), XmdValue::from("2.10")),
        (
            "e".to_owned(),
            XmdValue::List(vec![
                XmdValue::from("1"),
                XmdValue::Map(BTreeMap::from([("f".to_owned(), XmdValue::from("g"))])),
            ]),
        ),
        ("h".to_owned(), XmdValue::from("")),
    ]);
    assert_eq!(stream.xmd, expected);
}

#[test]
fn xmd_round_trips_through_emission() {
    let stream = parse("xmd:\n  a: TRUE\n  c: 'TRUE '\n  d: 2.10\n  e: []\n  f: {}\n");
    let again = parse_stream(&stream.to_yaml(), ParseMode::Strict).expect("parses");
    assert_eq!(again.xmd, stream.xmd);
}

#[test]
fn mbs_xmd_written_as_mbs_does() {
    let mut stream = parse("");
    let mut xmd = MbsXmd {
        mse: true,
        scmurl: Some("https://src.example/modules/foo.git?#abc".to_owned()),
        commit: Some("abc".to_owned()),
        branch: Some("f39".to_owned()),
        ..MbsXmd::default()
    };
    xmd.other
        .insert("koji_tag".to_owned(), XmdValue::from("module-foo"));
    xmd.rpms.insert(
        "pkg".to_owned(),
        crate::modulemd::XmdRpm {
            git_ref: Some("0123".to_owned()),
            ..Default::default()
        },
    );
    xmd.store(&mut stream);
    let yaml = stream.emit().expect("valid");
    assert!(yaml.contains("    mse: 'TRUE'\n"), "{yaml}");
    let again = parse_stream(&yaml, ParseMode::Strict).expect("parses");
    assert_eq!(MbsXmd::from_stream(&again), Some(xmd));
}

#[test]
fn multiline_text_round_trips() {
    let stream = parse(
        "components:\n  rpms:\n    a:\n      rationale: |\n        line one\n        line two\nbuildopts:\n  rpms:\n    macros: |\n      %a 1\n      %b %{a}\n",
    );
    let again = parse_stream(&stream.to_yaml(), ParseMode::Strict).expect("parses");
    assert_eq!(again, stream);
    assert_eq!(again.rpm_macros(), Some("%a 1\n%b %{a}\n"));
    assert_eq!(
        again.rpm_components["a"].rationale.as_deref(),
        Some("line one\nline two\n")
    );
}

#[test]
fn emission_order_follows_libmodulemd() {
    let stream = parse("name: foo\nstream: '1.0'\nversion: 5\ncontext: c1\narch: x86_64\n");
    let yaml = stream.to_yaml();
    let position = |key: &str| {
        yaml.find(&format!("\n  {key}:"))
            .unwrap_or_else(|| panic!("{key} in {yaml}"))
    };
    let keys = [
        "name",
        "stream",
        "version",
        "context",
        "arch",
        "summary",
        "description",
        "license",
    ];
    assert!(
        keys.windows(2).all(|pair| position(pair[0]) < position(pair[1])),
        "{yaml}"
    );
    assert!(yaml.contains("  stream: '1.0'\n"), "{yaml}");
}

#[test]
fn nsvc_prints_unset_parts_empty() {
    assert_eq!(parse("name: foo\nstream: s\n").nsvc(), "foo:s:0:");
}
