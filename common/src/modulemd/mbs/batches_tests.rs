//! Tests of batch planning: MBS's buildorder rule, included modules, buildafter.

use super::*;
use crate::modulemd::{ModuleComponent, RpmComponent};

fn stream(components: &[(&str, i64, &[&str])]) -> ModuleStream {
    let mut stream = ModuleStream {
        name: Some("main".into()),
        ..ModuleStream::default()
    };
    for (key, buildorder, after) in components {
        let component = RpmComponent {
            buildorder: *buildorder,
            buildafter: after.iter().map(|name| (*name).to_owned()).collect(),
            ..RpmComponent::default()
        };
        stream.rpm_components.insert((*key).to_owned(), component);
    }
    stream
}

/// The batches after module-build-macros, numbered, or the error message.
fn check(result: Result<BatchPlan, PlanError>, expected: Result<Vec<(u32, Vec<&str>)>, &str>) {
    let actual = result
        .map(|plan| {
            assert_eq!(
                plan.batches[0],
                Batch {
                    number: 1,
                    components: vec![MODULE_BUILD_MACROS.to_owned()]
                }
            );
            plan.batches
                .into_iter()
                .skip(1)
                .map(|batch| (batch.number, batch.components))
                .collect::<Vec<_>>()
        })
        .map_err(|error| error.to_string());
    let expected = expected
        .map(|batches| {
            batches
                .into_iter()
                .map(|(number, keys)| (number, keys.into_iter().map(str::to_owned).collect()))
                .collect()
        })
        .map_err(str::to_owned);
    assert_eq!(actual, expected);
}

#[test]
fn batches_are_dense_ranks_of_buildorder() {
    let stream = stream(&[("a", -1, &[]), ("b", 0, &[]), ("c", 0, &[]), ("d", 10, &[])]);
    check(
        plan_batches(&stream, &BTreeMap::new()),
        Ok(vec![(2, vec!["a"]), (3, vec!["b", "c"]), (4, vec!["d"])]),
    );
}

#[test]
fn one_component_without_buildorder_is_batch_two() {
    check(
        plan_batches(&stream(&[("only", 0, &[])]), &BTreeMap::new()),
        Ok(vec![(2, vec!["only"])]),
    );
}

#[test]
fn no_components_only_macros() {
    check(plan_batches(&stream(&[]), &BTreeMap::new()), Ok(vec![]));
}

#[test]
fn explicit_pairs_sort_by_key_within_a_buildorder() {
    check(
        Ok(batches_from_buildorder([("z", 5), ("b", 0), ("a", 0), ("m", -3)])),
        Ok(vec![(2, vec!["m"]), (3, vec!["a", "b"]), (4, vec!["z"])]),
    );
}

#[test]
fn buildafter_fails_like_mbs_init() {
    let stream = stream(&[("a", 0, &[]), ("b", 0, &["a"])]);
    check(
        plan_batches(&stream, &BTreeMap::new()),
        Err("The usage of \"buildafter\" is not yet supported"),
    );
}

#[test]
fn buildafter_mixed_with_buildorder_is_invalid() {
    let stream = stream(&[("a", 1, &[]), ("b", 0, &["a"])]);
    check(
        plan_batches(&stream, &BTreeMap::new()),
        Err("Cannot mix buildorder and buildafter in the same stream"),
    );
    check(
        plan_buildafter(&stream),
        Err("Cannot mix buildorder and buildafter in the same stream"),
    );
}

#[test]
fn buildafter_layers_by_longest_path() {
    let stream = stream(&[
        ("a", 0, &[]),
        ("b", 0, &["a"]),
        ("c", 0, &["a", "b"]),
        ("d", 0, &[]),
    ]);
    check(
        plan_buildafter(&stream),
        Ok(vec![(2, vec!["a", "d"]), (3, vec!["b"]), (4, vec!["c"])]),
    );
}

#[test]
fn buildafter_cycle() {
    let stream = stream(&[("a", 0, &["b"]), ("b", 0, &["a"])]);
    check(
        plan_buildafter(&stream),
        Err("components depend on each other in a cycle: a -> b -> a"),
    );
}

fn with_included(buildorder: i64) -> (ModuleStream, BTreeMap<String, ModuleStream>) {
    let mut main = stream(&[("a", 0, &[]), ("z", 20, &[])]);
    main.module_components.insert(
        "inc".into(),
        ModuleComponent {
            buildorder,
            ..ModuleComponent::default()
        },
    );
    let included = stream(&[("i1", 0, &[]), ("i2", 5, &[])]);
    (main, BTreeMap::from([("inc".to_owned(), included)]))
}

#[test]
fn included_module_components_are_inlined_at_its_place() {
    // As in MBS, the module component itself takes batch 3, which stays empty (and is skipped
    // when building); its components continue from there.
    let (main, included) = with_included(10);
    check(
        plan_batches(&main, &included),
        Ok(vec![
            (2, vec!["a"]),
            (4, vec!["i1"]),
            (5, vec!["i2"]),
            (6, vec!["z"]),
        ]),
    );
}

#[test]
fn included_module_sharing_the_buildorder_joins_the_batch() {
    let (main, included) = with_included(0);
    check(
        plan_batches(&main, &included),
        Ok(vec![(2, vec!["a", "i1"]), (3, vec!["i2"]), (4, vec!["z"])]),
    );
}

#[test]
fn included_module_must_be_provided() {
    let (main, _) = with_included(10);
    check(
        plan_batches(&main, &BTreeMap::new()),
        Err("the modulemd of included module inc was not provided"),
    );
}

#[test]
fn included_module_conflicts() {
    let (main, mut included) = with_included(10);
    included.insert("inc".into(), stream(&[("a", 0, &[])]));
    check(
        plan_batches(&main, &included),
        Err("The included module \"inc\" in \"main\" have the following conflicting components: a"),
    );
}

#[test]
fn batch_lookup_and_sizes() {
    let plan = plan_batches(
        &stream(&[("a", 0, &[]), ("b", 0, &[]), ("c", 3, &[])]),
        &BTreeMap::new(),
    )
    .expect("plan");
    assert_eq!(plan.batch_of("c"), Some(3));
    assert_eq!(plan.batch_of(MODULE_BUILD_MACROS), Some(1));
    assert_eq!(plan.batch_of("missing"), None);
    assert_eq!(plan.component_batch_sizes(), [2, 1]);
}
