//! Every libmodulemd message of modulemd.md §6.1 that Kiln reproduces, and every MBS submit
//! error of §6.2 / mbs.md §3 that lives in this library, with its status.

use crate::modulemd::mbs::{InitError, SubmitError};
use crate::modulemd::{ModulemdError, ParseMode, parse_stream};

const BASE: &str = "summary: S\ndescription: D\nlicense:\n  module: [MIT]\n";

/// A stream v2 document with `data` (indented by the helper).
fn doc(data: &str) -> String {
    let body: String = data.lines().map(|line| format!("  {line}\n")).collect();
    format!("document: modulemd\nversion: 2\ndata:\n{body}")
}

/// Parses and validates `text`; `expected` is the error message or `None` for valid.
fn check(text: &str, expected: Option<&str>) {
    let actual = parse_stream(text, ParseMode::Lenient).and_then(|stream| stream.validate());
    assert_eq!(
        actual.map_err(|error| error.to_string()).err().as_deref(),
        expected,
        "{text}"
    );
}

fn check_strict(text: &str, expected: &str) {
    let actual = parse_stream(text, ParseMode::Strict)
        .map(|_| ())
        .map_err(|error| error.to_string());
    assert_eq!(actual, Err(expected.to_owned()), "{text}");
}

#[test]
fn valid_minimal() {
    check(&doc(BASE), None);
}

#[test]
fn summary_missing() {
    check(
        &doc("description: D\nlicense:\n  module: [MIT]\n"),
        Some("Summary is missing"),
    );
}

#[test]
fn description_missing() {
    check(
        &doc("summary: S\nlicense:\n  module: [MIT]\n"),
        Some("Description is missing"),
    );
}

#[test]
fn module_license_missing() {
    check(
        &doc("summary: S\ndescription: D\n"),
        Some("Module license is missing"),
    );
}

#[test]
fn data_not_a_map() {
    check(
        "document: modulemd\nversion: 2\ndata: foobar\n",
        Some("Data section did not begin with a map."),
    );
}

#[test]
fn more_than_one_document() {
    check(
        &format!("---\n{}...\n---\n{}...\n", doc(BASE), doc(BASE)),
        Some("YAML contained more than a single subdocument"),
    );
}

#[test]
fn no_document_type() {
    check("version: 2\ndata: {}\n", Some("No document type specified"));
}

#[test]
fn unknown_document_type() {
    check(
        "document: modulemd-foo\nversion: 2\ndata: {}\n",
        Some("Document type modulemd-foo unknown."),
    );
}

#[test]
fn no_metadata_version() {
    check(
        "document: modulemd\ndata: {}\n",
        Some("No metadata version specified"),
    );
}

#[test]
fn unknown_metadata_version() {
    check(
        "document: modulemd\nversion: 3\ndata: {}\n",
        Some("Unknown modulemd version 3"),
    );
}

#[test]
fn no_data() {
    check(
        "document: modulemd\nversion: 2\n",
        Some("No data section provided"),
    );
}

#[test]
fn document_not_a_mapping() {
    check("- a\n", Some("Document did not start with a mappping"));
}

#[test]
fn yaml_syntax_error() {
    let error = parse_stream("document: [modulemd\n", ParseMode::Lenient).expect_err("bad YAML");
    assert!(matches!(error, ModulemdError::Yaml { .. }), "{error:?}");
}

#[test]
fn boolean_must_be_lowercase() {
    check(
        &doc(&format!("{BASE}static_context: TRUE\ncontext: abc\n")),
        Some("Boolean value was neither \"true\" nor \"false\": TRUE"),
    );
}

#[test]
fn boolean_must_be_a_scalar() {
    check(
        &doc(&format!("{BASE}static_context: [true]\n")),
        Some("Expected a scalar boolean"),
    );
}

#[test]
fn version_out_of_range() {
    check(
        &doc(&format!("{BASE}version: 18446744073709551616\n")),
        Some("The integer value 18446744073709551616 is too large"),
    );
}

#[test]
fn version_not_a_number() {
    check(
        &doc(&format!("{BASE}version: 42foo\n")),
        Some("Could not parse an integer value: 42foo"),
    );
}

#[test]
fn negative_version() {
    check(
        &doc(&format!("{BASE}version: -42\n")),
        Some("The integer value -42 is negative"),
    );
}

#[test]
fn buildorder_out_of_range() {
    check(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a:\n      buildorder: -9223372036854775809\n"
        )),
        Some("Failed to parse buildorder in component: The integer value -9223372036854775809 is too small"),
    );
}

#[test]
fn component_string_not_a_scalar() {
    check(
        &doc(&format!("{BASE}components:\n  rpms:\n    a:\n      ref: [x]\n")),
        Some("Failed to parse ref in component: String was not a scalar"),
    );
}

#[test]
fn dependencies_not_a_sequence() {
    check(
        &doc(&format!("{BASE}dependencies:\n  buildrequires: {{}}\n")),
        Some("Got YAML_MAPPING_START_EVENT instead of SEQUENCE_START in dependencies."),
    );
}

#[test]
fn summary_not_a_scalar() {
    check(&doc("summary: [S]\n"), Some("String was not a scalar"));
}

#[test]
fn empty_static_context() {
    check(
        &doc(&format!("{BASE}static_context: true\n")),
        Some("Empty stream context"),
    );
}

#[test]
fn static_context_too_long() {
    check(
        &doc(&format!("{BASE}static_context: true\ncontext: abcdefghijklmn\n")),
        Some("Stream context 'abcdefghijklmn' exceeds maximum length (13)"),
    );
}

#[test]
fn static_context_bad_characters() {
    check(
        &doc(&format!("{BASE}static_context: true\ncontext: a-b\n")),
        Some("Stream context 'a-b' can only contain [a-zA-Z0-9_] characters"),
    );
}

#[test]
fn static_context_valid() {
    check(
        &doc(&format!("{BASE}static_context: true\ncontext: abc_DEF_123\n")),
        None,
    );
}

#[test]
fn context_without_static_flag_is_not_checked() {
    check(&doc(&format!("{BASE}context: a-b-c-d-e-f-g-h\n")), None);
}

#[test]
fn mixed_buildtime_streams() {
    check(
        &doc(&format!(
            "{BASE}dependencies:\n- buildrequires:\n    platform: [f28, -f27]\n"
        )),
        Some("Buildtime dependency platform contained a mix of positive and negative entries."),
    );
}

#[test]
fn mixed_runtime_streams() {
    check(
        &doc(&format!(
            "{BASE}dependencies:\n- requires:\n    platform: [-f27, f28]\n"
        )),
        Some("Runtime dependency platform contained a mix of positive and negative entries."),
    );
}

#[test]
fn buildorder_and_buildafter_in_one_component() {
    check(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a: {{}}\n    b:\n      buildorder: 1\n      buildafter: [a]\n"
        )),
        Some("Cannot mix buildorder and buildafter in the same component"),
    );
}

#[test]
fn buildorder_and_buildafter_in_one_stream() {
    check(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a:\n      buildorder: 1\n    b:\n      buildafter: [c]\n    c: {{}}\n"
        )),
        Some("Cannot mix buildorder and buildafter in the same stream"),
    );
}

#[test]
fn buildafter_unknown_component() {
    check(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a:\n      buildafter: [missing]\n"
        )),
        Some("Buildafter 'missing' not found in components list"),
    );
}

#[test]
fn buildafter_alone_is_valid_modulemd() {
    check(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a: {{}}\n    b:\n      buildafter: [a]\n"
        )),
        None,
    );
}

#[test]
fn component_arch_outside_buildopts() {
    check(
        &doc(&format!(
            "{BASE}buildopts:\n  arches: [x86_64]\ncomponents:\n  rpms:\n    a:\n      arches: [x86_64, s390x]\n"
        )),
        Some("Component rpm 'a' arch 's390x' not in module buildopts.arches"),
    );
}

#[test]
fn invalid_artifact() {
    check(
        &doc(&format!("{BASE}artifacts:\n  rpms: [bar-1.23-1.x86_64]\n")),
        Some("Artifact 'bar-1.23-1.x86_64' was not in valid N-E:V-R.A format."),
    );
}

#[test]
fn strict_unknown_data_key() {
    check_strict(&doc(&format!("{BASE}foo: bar\n")), "Unexpected key in data: foo");
}

#[test]
fn strict_unknown_component_key() {
    check_strict(
        &doc(&format!(
            "{BASE}components:\n  rpms:\n    a:\n      colour: blue\n"
        )),
        "Unexpected key in rpm component body: colour",
    );
}

#[test]
fn lenient_skips_unknown_keys() {
    check(
        &doc(&format!(
            "{BASE}foo: bar\ncomponents:\n  rpms:\n    a:\n      colour: blue\n"
        )),
        None,
    );
}

/// A submit error's (status, message).
fn check_submit(error: SubmitError, status: u16, message: &str) {
    assert_eq!((error.status(), error.to_string().as_str()), (status, message));
}

#[test]
fn submit_error_messages() {
    check_submit(SubmitError::EmptyModulemd, 422, "The input modulemd was empty");
    check_submit(
        SubmitError::NameMismatch { name: "foo".into() },
        400,
        "The name \"foo\" that is stored in the modulemd is not valid",
    );
    check_submit(
        SubmitError::StreamMismatch {
            stream: "s1".into(),
            branch: "s2".into(),
        },
        400,
        "The stream \"s1\" that is stored in the modulemd does not match the stream determined by the branch \"s2\"",
    );
    check_submit(
        SubmitError::DashInStreamValue { stream: "a-b".into() },
        400,
        "Dashes are not allowed in the stream value",
    );
    check_submit(
        SubmitError::VersionDefined { version: 5 },
        400,
        "The version \"5\" is already defined in the modulemd but it shouldn't be since the version is generated based on the commit time",
    );
    check_submit(
        SubmitError::MbsXmdReserved,
        400,
        "The \"mbs\" xmd field is reserved for MBS",
    );
    check_submit(
        SubmitError::BaseModuleName {
            name: "platform".into(),
        },
        400,
        "You cannot build a module named \"platform\" since it is a base module",
    );
    check_submit(
        SubmitError::CustomModuleRepository {
            module: "inc".into(),
            repository: "https://x/inc.git".into(),
        },
        403,
        "Custom module repositories aren't allowed.  'inc' bears repository 'https://x/inc.git'",
    );
    check_submit(
        SubmitError::OverridesNotApplicable {
            runtime: false,
            modules: vec!["a".into(), "b".into()],
        },
        400,
        "The buildrequire overrides for the following modules aren't applicable: a, b",
    );
    check_submit(
        SubmitError::OverridesNotApplicable {
            runtime: true,
            modules: vec!["c".into()],
        },
        400,
        "The require overrides for the following modules aren't applicable: c",
    );
    check_submit(
        SubmitError::NoDependencyCombination,
        400,
        "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built.",
    );
    for field in ["stream", "version", "context"] {
        check_submit(
            SubmitError::DashesNotAllowed {
                field,
                value: "a-b".into(),
            },
            400,
            &format!("Dashes not allowed in {field}"),
        );
    }
    check_submit(
        SubmitError::StaticContextsMissing,
        400,
        "The 'xmd' property of the modulemd yaml file does not contain the 'contexts' key.",
    );
    check_submit(
        SubmitError::StaticContextKeyMissing {
            context: "c1".into(),
            key: "requires",
        },
        400,
        "The context 'c1' is missing the 'requires' key!",
    );
    check_submit(
        SubmitError::CouldNotValidate {
            error: ModulemdError::BuildorderAndBuildafterInStream,
        },
        500,
        "Could not validate stream to emit: Cannot mix buildorder and buildafter in the same stream",
    );
    check_submit(
        SubmitError::NameMissing,
        400,
        "The module's name was not present in the modulemd file. Please use the \"module_name\" parameter",
    );
}

#[test]
fn init_error_messages() {
    let check = |error: InitError, message: &str| assert_eq!(error.to_string(), message);
    check(
        InitError::BuildafterNotSupported {
            component: "a".into(),
        },
        "The usage of \"buildafter\" is not yet supported",
    );
    check(
        InitError::CustomComponentRepository {
            component: "pkg".into(),
            repository: "https://x/pkg".into(),
        },
        "Custom component repositories aren't allowed.  'pkg' bears repository 'https://x/pkg'",
    );
    check(
        InitError::CustomComponentCache {
            component: "pkg".into(),
            cache: "https://c/pkg".into(),
        },
        "Custom component caches aren't allowed.  'pkg' bears cache 'https://c/pkg'",
    );
    check(
        InitError::RefsNotResolved {
            unresolved: vec![
                ("https://x/a".into(), "main".into()),
                ("https://x/b".into(), "f1".into()),
            ],
        },
        "Failed to get the latest commit for https://x/a#main\nFailed to get the latest commit for https://x/b#f1",
    );
    check(
        InitError::IncludedModuleConflicts {
            included: "inc".into(),
            main: "main".into(),
            conflicts: vec!["a".into(), "b".into()],
        },
        "The included module \"inc\" in \"main\" have the following conflicting components: a, b",
    );
}
