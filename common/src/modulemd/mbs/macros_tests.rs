//! Tests of the generated `module-build-macros` sources.

use super::*;
use crate::modulemd::{Buildopts, XmdBuildrequire};

const NSVC: Nsvc<'static> = Nsvc {
    name: "testmodule",
    stream: "master",
    version: 20170109091357,
    context: "7c29193d",
};

fn input(rpm_macros: Option<&'static str>, conflicts: Vec<(String, Vec<String>)>) -> MacrosInput<'static> {
    MacrosInput {
        nsvc: NSVC,
        dist_tag: "module+f28+2+814cfa39",
        rpm_macros,
        conflicts,
        changelog_date: "Mon Jan 09 2017",
    }
}

fn check_lines(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            text.lines().any(|actual| actual == *line),
            "missing line {line:?} in:\n{text}"
        );
    }
}

#[test]
fn macros_file_sets_the_module_identity() {
    let text = macros_file(&input(None, Vec::new()));
    check_lines(
        &text,
        &[
            "%dist .module+f28+2+814cfa39",
            "%modularitylabel testmodule:master:20170109091357:7c29193d",
            "%_module_build 1",
            "%_module_name testmodule",
            "%_module_stream master",
            "%_module_version 20170109091357",
            "%_module_context 7c29193d",
        ],
    );
}

#[test]
fn macros_file_appends_buildopts_macros_verbatim() {
    let text = macros_file(&input(
        Some("%demomacro 1\n%demomacro2 %{demomacro}23\n"),
        Vec::new(),
    ));
    assert!(
        text.ends_with("\n%demomacro 1\n%demomacro2 %{demomacro}23\n"),
        "{text}"
    );
    let text = macros_file(&input(Some("%x 1"), Vec::new()));
    assert!(text.ends_with("\n%x 1\n"), "{text}");
}

#[test]
fn spec_has_globals_name_and_install() {
    let package = module_build_macros(&input(None, Vec::new()));
    assert_eq!(package.spec_file_name, "module-build-macros.spec");
    check_lines(
        &package.spec,
        &[
            "%global dist .module+f28+2+814cfa39",
            "%global modularitylabel testmodule:master:20170109091357:7c29193d",
            "%global _module_name testmodule",
            "%global _module_stream master",
            "%global _module_version 20170109091357",
            "%global _module_context 7c29193d",
            "Name:           module-build-macros",
            "Version:        0.1",
            "Release:        1%{?dist}",
            "License:        MIT",
            "BuildArch:      noarch",
            "Source1:        macros.modules",
            "install -D -p -m 0644 %{SOURCE1} %{buildroot}/etc/rpm/macros.zz-modules",
            "/etc/rpm/macros.zz-modules",
            "* Mon Jan 09 2017 Module Build Service - 0.1-1.module+f28+2+814cfa39",
        ],
    );
    assert!(!package.spec.contains("Conflicts:"));
}

#[test]
fn spec_conflicts_with_filtered_rpms() {
    let conflicts = vec![
        ("platform".to_owned(), Vec::new()),
        (
            "perl".to_owned(),
            vec![
                "perl-Foo-1:2.0-3.module+f28+1+abc".to_owned(),
                "perl-Bar-0:1-1".to_owned(),
            ],
        ),
    ];
    let package = module_build_macros(&input(None, conflicts));
    check_lines(
        &package.spec,
        &[
            "# RPMs filtered out of module perl",
            "Conflicts: perl-Foo = 1:2.0-3.module+f28+1+abc",
            "Conflicts: perl-Bar = 0:1-1",
        ],
    );
    assert!(!package.spec.contains("module platform"));
}

#[test]
fn conflicts_line_defaults_the_epoch() {
    assert_eq!(conflicts_line("foo-1.0-2"), "Conflicts: foo = 0:1.0-2");
}

#[test]
fn conflicts_from_xmd_skip_reused_self_builds() {
    let mut stream = ModuleStream {
        name: Some("perl".into()),
        ..ModuleStream::default()
    };
    let mut xmd = MbsXmd::default();
    let entry = XmdBuildrequire {
        stream: "5.30".into(),
        filtered_rpms: vec!["perl-A-0:1-1".into(), "perl-B-0:2-1".into()],
        ..XmdBuildrequire::default()
    };
    xmd.buildrequires.insert("perl".into(), entry.clone());
    xmd.buildrequires.insert("other".into(), entry);
    xmd.store(&mut stream);
    let reused = BTreeSet::from(["perl-A-1-1".to_owned()]);
    assert_eq!(
        conflicts_from_xmd(&stream, &reused),
        vec![
            (
                "other".to_owned(),
                vec!["perl-A-0:1-1".to_owned(), "perl-B-0:2-1".to_owned()]
            ),
            ("perl".to_owned(), vec!["perl-B-0:2-1".to_owned()]),
        ]
    );
}

#[test]
fn package_list_is_the_whitelist_when_set() {
    let mut stream = ModuleStream::default();
    stream.rpm_components.insert("foo".into(), Default::default());
    let expected: BTreeSet<String> = ["foo", "module-build-macros"].map(str::to_owned).into();
    assert_eq!(koji_package_list(&stream), expected);
    stream.buildopts = Some(Buildopts {
        rpm_whitelist: BTreeSet::from(["fooscl-1-bar".to_owned()]),
        ..Buildopts::default()
    });
    let expected: BTreeSet<String> = ["fooscl-1-bar", "module-build-macros"].map(str::to_owned).into();
    assert_eq!(koji_package_list(&stream), expected);
}
