//! Kiln's opt-in `buildorder: auto`: batches derived from what each component BuildRequires and
//! Provides, so packagers need not maintain `buildorder` by hand.
//!
//! A component comes after every other component that provides one of its BuildRequires; the
//! batches are the longest-path layers of that graph, numbered from 2 (after
//! `module-build-macros`). BuildRequires nobody in the module provides come from the buildroot
//! and impose no order.

use std::collections::{BTreeMap, BTreeSet};

use super::batches::{BatchPlan, PlanError, layers};

/// What the auto mode needs to know about one component (read from its spec or SRPM by the
/// caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoComponent {
    /// The component key.
    pub key: String,
    /// Its BuildRequires, as rpm prints them (`libfoo-devel >= 2.0`, `(a or b)`).
    pub build_requires: Vec<String>,
    /// What its binary packages provide (package names and virtual provides, versions allowed).
    pub provides: Vec<String>,
}

/// The capability name of a dependency string: the first word (`libfoo-devel >= 2.0` →
/// `libfoo-devel`); `None` for rich dependencies and rpmlib internals.
fn capability(dependency: &str) -> Option<&str> {
    let name = dependency.split_whitespace().next()?;
    if name.starts_with('(') || name.starts_with("rpmlib(") {
        return None;
    }
    Some(name)
}

/// Batches for components ordered by their BuildRequires and Provides.
///
/// Fails with [`PlanError::Cycle`] naming the components that BuildRequire each other.
pub fn auto_batches(components: &[AutoComponent]) -> Result<BatchPlan, PlanError> {
    let mut providers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for component in components {
        for provide in &component.provides {
            if let Some(name) = capability(provide) {
                providers.entry(name).or_default().insert(&component.key);
            }
        }
    }
    let graph: BTreeMap<String, BTreeSet<String>> = components
        .iter()
        .map(|component| {
            let after = component
                .build_requires
                .iter()
                .filter_map(|requirement| capability(requirement))
                .filter_map(|name| providers.get(name))
                .flatten()
                .filter(|provider| **provider != component.key)
                .map(|provider| (*provider).to_owned())
                .collect();
            (component.key.clone(), after)
        })
        .collect();
    let mut batches = layers(&graph)?;
    batches.insert(
        0,
        super::batches::Batch {
            number: 1,
            components: vec![super::batches::MODULE_BUILD_MACROS.to_owned()],
        },
    );
    Ok(BatchPlan { batches })
}

/// The `xmd` key of Kiln's extensions and its opt-in value: `xmd: {kiln: {buildorder: auto}}`.
pub const AUTO_ORDER_XMD: (&str, &str, &str) = ("kiln", "buildorder", "auto");

/// Whether a stream asks for `buildorder: auto` (in `xmd.kiln.buildorder`).
pub fn wants_auto_order(stream: &crate::modulemd::ModuleStream) -> bool {
    let (section, key, value) = AUTO_ORDER_XMD;
    match stream.xmd.get(section) {
        Some(crate::modulemd::XmdValue::Map(map)) => map.get(key).and_then(|v| v.as_str()) == Some(value),
        _ => false,
    }
}

/// Reads what ordering needs from a spec file without evaluating it (no shell, no Lua): the
/// `BuildRequires`, and as provides the package name, every `%package` name and every
/// `Provides`. `%global`/`%define` of plain values, `%{name}` and `%{version}` are expanded;
/// other macros in a name make it unknown, and conditionals are ignored (both branches count),
/// so the order is a safe over-approximation.
pub fn spec_component(key: &str, spec: &str) -> AutoComponent {
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    let mut name = key.to_owned();
    let mut build_requires = Vec::new();
    let mut provides = Vec::new();
    let mut subpackages = Vec::new();
    for raw in spec.lines() {
        let line = raw.trim();
        if let Some(rest) = line
            .strip_prefix("%global")
            .or_else(|| line.strip_prefix("%define"))
            .filter(|rest| rest.starts_with(char::is_whitespace))
        {
            let mut parts = rest.trim().splitn(2, char::is_whitespace);
            if let (Some(macro_name), Some(value)) = (parts.next(), parts.next()) {
                macros.insert(macro_name.to_owned(), expand(value.trim(), &macros));
            }
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            if let Some(rest) = line.strip_prefix("%package") {
                subpackages.push(rest.trim().to_owned());
            }
            continue;
        };
        let value = value.trim();
        match tag.trim().to_ascii_lowercase().as_str() {
            "name" => {
                name = expand(value, &macros);
                macros.insert("name".to_owned(), name.clone());
            }
            "version" => {
                macros.insert("version".to_owned(), expand(value, &macros));
            }
            "buildrequires" => build_requires.extend(capabilities(&expand(value, &macros))),
            "provides" => provides.extend(capabilities(&expand(value, &macros))),
            _ => {
                if let Some(rest) = line.strip_prefix("%package") {
                    subpackages.push(rest.trim().to_owned());
                }
            }
        }
    }
    provides.push(name.clone());
    for subpackage in subpackages {
        let words: Vec<&str> = subpackage.split_whitespace().collect();
        let package = match words.as_slice() {
            ["-n", explicit, ..] => expand(explicit, &macros),
            [suffix, ..] => format!("{name}-{}", expand(suffix, &macros)),
            [] => continue,
        };
        provides.push(package);
    }
    AutoComponent {
        key: key.to_owned(),
        build_requires,
        provides,
    }
}

/// Expands `%{name}`-style macros from `macros`; `%{?x}` of an unknown macro is empty; other
/// unknown macros stay as written.
fn expand(text: &str, macros: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let (inner, consumed) = if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => (&body[..end], end + 2),
                None => (body, body.len() + 1),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        let (optional, macro_name) = match inner.strip_prefix('?') {
            Some(name) => (true, name.split(':').next().unwrap_or(name)),
            None => (false, inner),
        };
        match macros.get(macro_name) {
            Some(value) => out.push_str(value),
            None if optional => {}
            None => {
                out.push('%');
                out.push_str(&after[..consumed.min(after.len())]);
            }
        }
        rest = &after[consumed.min(after.len())..];
    }
    out.push_str(rest);
    out
}

/// The dependency strings of a `BuildRequires:`/`Provides:` value (`a >= 1, b c`), each a
/// capability with its version when it has one; rich dependencies are skipped.
fn capabilities(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut words = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .peekable();
    while let Some(word) = words.next() {
        if word.starts_with('(') {
            // A rich dependency: skip to its closing parenthesis.
            let mut depth = word.matches('(').count() - word.matches(')').count();
            while depth > 0 {
                let Some(next) = words.next() else { break };
                depth = depth + next.matches('(').count() - next.matches(')').count().min(depth);
            }
            continue;
        }
        if word.contains('%') {
            continue;
        }
        if matches!(words.peek(), Some(&(">=" | "<=" | "=" | "<" | ">"))) {
            let operator = words.next().unwrap_or_default();
            let version = words.next().unwrap_or_default();
            found.push(format!("{word} {operator} {version}"));
        } else {
            found.push(word.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(key: &str, build_requires: &[&str], provides: &[&str]) -> AutoComponent {
        AutoComponent {
            key: key.to_owned(),
            build_requires: build_requires.iter().map(|text| (*text).to_owned()).collect(),
            provides: provides.iter().map(|text| (*text).to_owned()).collect(),
        }
    }

    fn check(components: &[AutoComponent], expected: Result<Vec<Vec<&str>>, Vec<&str>>) {
        let actual = auto_batches(components).map(|plan| {
            plan.batches
                .into_iter()
                .skip(1)
                .map(|batch| batch.components)
                .collect::<Vec<_>>()
        });
        let expected = expected
            .map(|batches| {
                batches
                    .into_iter()
                    .map(|batch| batch.into_iter().map(str::to_owned).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            })
            .map_err(|cycle| PlanError::Cycle {
                cycle: cycle.into_iter().map(str::to_owned).collect(),
            });
        assert_eq!(actual, expected);
    }

    #[test]
    fn independent_components_share_one_batch() {
        check(
            &[component("a", &["gcc"], &["a"]), component("b", &[], &["b"])],
            Ok(vec![vec!["a", "b"]]),
        );
    }

    #[test]
    fn three_levels_from_devel_packages() {
        check(
            &[
                component("app", &["libmid-devel >= 1.0", "gcc"], &["app"]),
                component("libbase", &["gcc"], &["libbase", "libbase-devel = 1.2-1"]),
                component("libmid", &["libbase-devel"], &["libmid", "libmid-devel"]),
                component("docs", &[], &["docs"]),
            ],
            Ok(vec![vec!["docs", "libbase"], vec!["libmid"], vec!["app"]]),
        );
    }

    #[test]
    fn longest_path_wins() {
        check(
            &[
                component("a", &[], &["a"]),
                component("b", &["a"], &["b"]),
                component("c", &["a", "b"], &["c"]),
            ],
            Ok(vec![vec!["a"], vec!["b"], vec!["c"]]),
        );
    }

    #[test]
    fn self_provides_are_ignored() {
        check(
            &[component("a", &["a-devel"], &["a", "a-devel"])],
            Ok(vec![vec!["a"]]),
        );
    }

    #[test]
    fn rich_and_rpmlib_dependencies_are_ignored() {
        check(
            &[
                component("a", &["(b or c)", "rpmlib(CompressedFileNames) <= 3.0.4-1"], &[]),
                component("b", &[], &["b"]),
            ],
            Ok(vec![vec!["a", "b"]]),
        );
    }

    #[test]
    fn cycles_are_named() {
        check(
            &[
                component("a", &["b-devel"], &["a-devel"]),
                component("b", &["a-devel"], &["b-devel"]),
            ],
            Err(vec!["a", "b", "a"]),
        );
    }

    #[test]
    fn cycle_error_message() {
        let error = PlanError::Cycle {
            cycle: vec!["a".into(), "b".into(), "a".into()],
        };
        assert_eq!(
            error.to_string(),
            "components depend on each other in a cycle: a -> b -> a"
        );
    }

    #[test]
    fn specs_give_their_build_requires_and_what_they_provide() {
        let spec = "%global soname 3\nName: libfoo\nVersion: 2.0\nRelease: 1%{?dist}\n\
            BuildRequires: gcc, make >= 4.0 zlib-devel%{?_isa}\nBuildRequires: (python3 or python2)\n\
            Provides: foo(api) = %{version}\n%package devel\nRequires: %{name} = %{version}\n\
            %package -n foo-tools\nSummary: tools\nProvides: foo-cli\n%package -n %{name}%{soname}\n";
        let component = spec_component("libfoo", spec);
        assert_eq!(component.build_requires, ["gcc", "make >= 4.0", "zlib-devel"]);
        assert_eq!(
            component.provides,
            [
                "foo(api) = 2.0",
                "foo-cli",
                "libfoo",
                "libfoo-devel",
                "foo-tools",
                "libfoo3"
            ]
        );
    }

    #[test]
    fn specs_order_components_by_what_they_build_require() {
        let specs = [
            ("app", "Name: app\nBuildRequires: libfoo-devel\n"),
            ("libfoo", "Name: libfoo\n%package devel\n"),
            ("doc", "Name: doc\nBuildRequires: app\n"),
        ];
        let components: Vec<AutoComponent> = specs
            .iter()
            .map(|(key, spec)| spec_component(key, spec))
            .collect();
        let plan = auto_batches(&components).unwrap();
        assert_eq!(plan.batch_of("libfoo"), Some(2));
        assert_eq!(plan.batch_of("app"), Some(3));
        assert_eq!(plan.batch_of("doc"), Some(4));
    }
}
