//! Test vectors of mbs.md §2.6–2.7 (from MBS's own tests) for the name generators.

use super::*;
use crate::modulemd::{MbsXmd, XmdBuildrequire};

const TESTMODULE: Nsvc<'static> = Nsvc {
    name: "testmodule",
    stream: "master",
    version: 20170816080815,
    context: "37c6c57",
};

fn check<T: PartialEq + std::fmt::Debug>(actual: T, expected: T) {
    assert_eq!(actual, expected);
}

#[test]
fn version_is_the_commit_time_in_utc() {
    check(version_from_time(1_534_422_862), 20180816123422);
    check(version_from_time(0), 19700101000000);
}

#[test]
fn version_prefix_f29() {
    check(prefixed_version(20180816123422, "f29"), 2920180816123422);
}

#[test]
fn version_prefix_el8_1_0() {
    check(prefixed_version(20180816123422, "el8.1.0"), 8010020180816123422);
}

#[test]
fn version_prefix_el8() {
    check(prefixed_version(20180816123422, "el8"), 820180816123422);
}

#[test]
fn version_prefix_needs_digits() {
    check(prefixed_version(20180816123422, "rawhide"), 20180816123422);
}

#[test]
fn version_prefix_that_overflows_is_dropped() {
    check(prefixed_version(20180816123422, "f999999"), 20180816123422);
}

#[test]
fn stream_version_is_right_padded() {
    check(stream_version("f27"), Some(270000));
    check(stream_version("f27.0.1"), Some(270001));
    check(stream_version("el8.1.0"), Some(80100));
    check(stream_version("rawhide"), None);
}

#[test]
fn build_context_vector() {
    let buildrequires = BTreeMap::from([
        ("base-runtime".to_owned(), "f28".to_owned()),
        ("fluffy".to_owned(), "foo".to_owned()),
        ("zebra".to_owned(), "2.0".to_owned()),
    ]);
    check(
        build_context(&buildrequires),
        "089df24993c037e10174f3fa7342ab4dc191a4d4".to_owned(),
    );
}

fn vector_requires() -> BTreeMap<String, BTreeSet<String>> {
    [
        ("base-runtime", "master"),
        ("fidget", "spinner"),
        ("glass", "water"),
        ("silly", "puddy"),
    ]
    .into_iter()
    .map(|(name, stream)| (name.to_owned(), BTreeSet::from([stream.to_owned()])))
    .collect()
}

#[test]
fn runtime_context_vector() {
    check(
        runtime_context(&vector_requires()),
        "bbc84c7b817ab3dd54916c0bcd6c6bdf512f7f9c".to_owned(),
    );
}

#[test]
fn context_vector() {
    check(
        context_from(
            "089df24993c037e10174f3fa7342ab4dc191a4d4",
            "bbc84c7b817ab3dd54916c0bcd6c6bdf512f7f9c",
        ),
        "3ee22b28".to_owned(),
    );
}

#[test]
fn contexts_from_an_expanded_stream() {
    let mut stream = ModuleStream::default();
    let mut xmd = MbsXmd {
        mse: true,
        ..MbsXmd::default()
    };
    for (name, module_stream) in [("base-runtime", "f28"), ("fluffy", "foo"), ("zebra", "2.0")] {
        let entry = XmdBuildrequire {
            stream: module_stream.to_owned(),
            ..XmdBuildrequire::default()
        };
        xmd.buildrequires.insert(name.to_owned(), entry);
    }
    xmd.store(&mut stream);
    let requires = vector_requires();
    let (first, second): (Vec<_>, Vec<_>) = requires
        .into_iter()
        .enumerate()
        .partition(|(index, _)| index % 2 == 0);
    for half in [first, second] {
        let requires = half.into_iter().map(|(_, entry)| entry).collect();
        stream.dependencies.push(crate::modulemd::Dependencies {
            requires,
            ..Default::default()
        });
    }
    let contexts = compute_contexts(&stream, &["base-runtime"]);
    check(
        contexts.build_context.as_str(),
        "089df24993c037e10174f3fa7342ab4dc191a4d4",
    );
    check(
        contexts.runtime_context.as_str(),
        "bbc84c7b817ab3dd54916c0bcd6c6bdf512f7f9c",
    );
    check(contexts.context.as_str(), "3ee22b28");
    let no_bms = BTreeMap::from([
        ("fluffy".to_owned(), "foo".to_owned()),
        ("zebra".to_owned(), "2.0".to_owned()),
    ]);
    check(contexts.build_context_no_bms, build_context(&no_bms));
}

#[test]
fn koji_tag_in_nsvc_form() {
    check(
        koji_tag(TESTMODULE, None),
        "module-testmodule-master-20170816080815-37c6c57".to_owned(),
    );
}

#[test]
fn scratch_koji_tag() {
    check(
        koji_tag(TESTMODULE, Some(1000)),
        "scrmod-testmodule-master-20170816080815-37c6c57+1000".to_owned(),
    );
}

#[test]
fn long_koji_tag_is_hashed() {
    let stream = format!("this-is-a-stream-with-very-looooong-name{}", "-blah".repeat(50));
    let nsvc = Nsvc {
        stream: &stream,
        ..TESTMODULE
    };
    check(koji_tag(nsvc, None), "module-1cf457d452e54dda".to_owned());
    check(koji_tag(nsvc, Some(7)), "scrmod-1cf457d452e54dda+7".to_owned());
}

#[test]
fn target_is_the_tag_when_short() {
    check(
        koji_target(TESTMODULE, None),
        "module-testmodule-master-20170816080815-37c6c57".to_owned(),
    );
}

#[test]
fn target_over_fifty_characters_is_hashed() {
    let nsvc = Nsvc {
        name: "a-rather-long-module-name",
        ..TESTMODULE
    };
    let tag = koji_tag(nsvc, None);
    check(tag.len() > 50, true);
    let target = koji_target(nsvc, None);
    check(
        target.starts_with("module-") && target.len() == "module-".len() + 16,
        true,
    );
}

#[test]
fn target_of_exactly_fifty_characters_is_kept() {
    let nsvc = Nsvc {
        name: "testmodule-ab",
        ..TESTMODULE
    };
    let tag = koji_tag(nsvc, None);
    check(tag.len(), 50);
    check(koji_target(nsvc, None), tag);
}

const DIST_MODULE: Nsvc<'static> = Nsvc {
    name: "testmodule",
    stream: "master",
    version: 20170109091357,
    context: "7c29193d",
};

#[test]
fn dist_tag_with_platform_stream() {
    let input = DistTagInput {
        prefix: "module+",
        marking: Some("f28"),
        index: 2,
        nsvc: DIST_MODULE,
        scratch: false,
    };
    check(dist_tag(input), "module+f28+2+814cfa39".to_owned());
}

#[test]
fn dist_tag_with_disttag_marking() {
    let input = DistTagInput {
        prefix: "module+",
        marking: Some("fedora28"),
        index: 2,
        nsvc: DIST_MODULE,
        scratch: false,
    };
    check(dist_tag(input), "module+fedora28+2+814cfa39".to_owned());
}

#[test]
fn dist_tag_without_base_module() {
    let input = DistTagInput {
        prefix: "module_",
        marking: None,
        index: 2,
        nsvc: DIST_MODULE,
        scratch: false,
    };
    check(dist_tag(input), "module_2+814cfa39".to_owned());
}

#[test]
fn scratch_dist_tag() {
    let input = DistTagInput {
        prefix: "module_",
        marking: None,
        index: 2,
        nsvc: DIST_MODULE,
        scratch: true,
    };
    check(dist_tag(input), "scrmod+2+814cfa39".to_owned());
}

#[test]
fn modularity_label() {
    check(
        TESTMODULE.modularity_label(),
        "testmodule:master:20170816080815:37c6c57".to_owned(),
    );
}

#[test]
fn component_nvr_appends_the_dist_tag() {
    check(
        component_nvr("perl-Tangerine", "0.23", "1", "module+f28+2+814cfa39"),
        "perl-Tangerine-0.23-1.module+f28+2+814cfa39".to_owned(),
    );
}

#[test]
fn module_nvr_for_content_generator() {
    let nsvc = Nsvc {
        stream: "my-stream",
        ..TESTMODULE
    };
    check(
        module_nvr(nsvc),
        (
            "testmodule".to_owned(),
            "my_stream".to_owned(),
            "20170816080815.37c6c57".to_owned(),
        ),
    );
}

#[test]
fn base_module_stream_follows_the_configured_order() {
    let mut xmd = MbsXmd::default();
    for (name, stream) in [("bootstrap", "el9"), ("platform", "f39")] {
        xmd.buildrequires.insert(
            name.to_owned(),
            XmdBuildrequire {
                stream: stream.to_owned(),
                ..Default::default()
            },
        );
    }
    check(base_module_stream(&xmd, &["platform", "bootstrap"]), Some("f39"));
    check(base_module_stream(&xmd, &["bootstrap", "platform"]), Some("el9"));
    check(base_module_stream(&xmd, &["other"]), None);
}
