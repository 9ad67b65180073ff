//! The module build backend's hub side (Kiln extensions, no Koji counterpart), only for the
//! host holding the module's `moduleBuild` task open: `host.moduleInit` runs MBS's init and
//! wait steps, `host.moduleStep` one step of the batch progression (`mbs::backend`).

use std::collections::{BTreeMap, BTreeSet};

use common::modulemd::mbs::{MacrosInput, Nsvc, koji_package_list, koji_target, macros_file};
use common::modulemd::{MbsXmd, ModuleStream, ParseMode, parse_stream};
use common::signature;
use common::states::ModuleBuildState;
use common::xmlrpc::{Params, Signature, Struct, Value};
use tracing::info;

use crate::db::groups::{GroupSettings, PackageSettings};
use crate::db::inheritance::NewLink;
use crate::db::modules::ModuleBuildRow;
use crate::db::names::{NameOrId, Registry};
use crate::db::packages::EntryFilter;
use crate::db::query::QueryOpts;
use crate::db::tags::TagConfig;
use crate::db::targets::TargetFilter;
use crate::db::versioned::Change;
use crate::db::{self, Tx};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::mbs::backend::{self, StepInput, module_dist};
use crate::mbs::state::transition;
use crate::pyjson;
use crate::root::groups::{read_tag_groups, tag_groups};
use crate::rpc::call::Call;
use crate::tasks::lifecycle;

/// MBS's `KOJI_TAG_EXTRA_OPTS` defaults, as the JSON text tag extra values are stored as.
const TAG_EXTRA_DEFAULTS: &[(&str, &str)] = &[
    ("mock.package_manager", "\"dnf\""),
    ("repo_include_all", "true"),
    ("mock.new_chroot", "0"),
    ("mock.yum.module_hotfixes", "1"),
];

/// The buildroot groups MBS adds to the build tag, each the union of one profile of the
/// buildrequired modules.
const GROUPS: &[(&str, &str)] = &[("build", "buildroot"), ("srpm-build", "srpm-buildroot")];

/// What the init and wait steps did, returned to the `moduleBuild` handler.
struct InitOutcome {
    koji_tag: String,
    build_tag: String,
    target: String,
    arches: Vec<String>,
    created_tags: Vec<String>,
    parents: Vec<String>,
    groups: BTreeMap<String, Vec<String>>,
    packages: Vec<String>,
    state: ModuleBuildState,
}

impl InitOutcome {
    fn to_value(&self) -> Value {
        let strings =
            |items: &[String]| Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect());
        let mut groups = Struct::new();
        for (name, packages) in &self.groups {
            groups.insert(name.clone(), strings(packages));
        }
        Value::structure([
            ("koji_tag", Value::from(self.koji_tag.as_str())),
            ("build_tag", Value::from(self.build_tag.as_str())),
            ("target", Value::from(self.target.as_str())),
            ("arches", strings(&self.arches)),
            ("created_tags", strings(&self.created_tags)),
            ("parents", strings(&self.parents)),
            ("groups", Value::Struct(groups)),
            ("packages", strings(&self.packages)),
            ("state", Value::from(self.state.to_string().as_str())),
        ])
    }
}

/// `host.moduleInit(module_build_id)` (a Kiln extension): for the host holding the module
/// build's `moduleBuild` task open, runs MBS's init and wait steps in one transaction (arches,
/// the tags `T` and `T-build`, package lists, the `build` and `srpm-build` groups, the
/// macros in `T-build`'s extra, the target and `T-build`'s inheritance from the buildrequired
/// modules' tags) and moves the module from `init` through `wait` to `build`. Idempotent on
/// what exists; refused outside `init` and `wait`.
pub async fn module_init(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("moduleInit", ["module_build_id"], []);
    let mut b = params.bind(&SIG)?;
    let module_id: i64 = b.arg()?;
    let tx = cx.tx()?;
    let module = db::modules::lock(&tx, module_id)
        .await?
        .ok_or(Error::NoSuchModuleBuild { module_id })?;
    let refuse = |reason: String| Error::ModuleBuildRefused {
        module_id,
        nsvc: module.nsvc(),
        reason,
    };
    if !matches!(module.state, ModuleBuildState::Init | ModuleBuildState::Wait) {
        return Err(refuse(format!(
            "it is in state {}, and the init step runs only in init or wait",
            module.state
        )));
    }
    let task_id = module
        .task_id
        .ok_or_else(|| refuse("it has no moduleBuild task".to_owned()))?;
    lifecycle::assert_host(&tx, task_id, host.id).await?;
    let koji_tag = module
        .koji_tag
        .clone()
        .ok_or_else(|| refuse("it has no Koji tag".to_owned()))?;
    let stream = parse_stream(&module.modulemd, ParseMode::Lenient)
        .map_err(|error| refuse(format!("its modulemd does not parse: {error}")))?;
    let version: u64 = module
        .version
        .parse()
        .map_err(|_| refuse(format!("its version {} is not a number", module.version)))?;
    let xmd = MbsXmd::from_stream(&stream).unwrap_or_default();
    let buildrequires = db::modules::buildrequires(&tx, module_id).await?;

    let change = Change {
        event_id: cx.event().await?,
        user_id: host.user_id,
    };
    cx.note_tag_change().await?;

    // The dependency tags, in xmd order; each must exist.
    let mut dependency_tags = Vec::new();
    for requirement in xmd.buildrequires.values() {
        let Some(tag_name) = &requirement.koji_tag else {
            continue;
        };
        let tag = db::tags::get(&tx, &NameOrId::Name(tag_name.clone()), None)
            .await?
            .ok_or_else(|| {
                refuse(format!(
                    "Failed to add dependencies to buildroot: no tag {tag_name}"
                ))
            })?;
        dependency_tags.push(tag);
    }

    let arches = module_arches(&module, &stream, &buildrequires, &dependency_tags);
    db::modules::set_arches(&tx, module_id, &arches).await?;
    let arches_text = arches.join(" ");

    let build_tag_name = format!("{koji_tag}-build");
    let mut created_tags = Vec::new();
    let mut tag_ids = Vec::new();
    for name in [&koji_tag, &build_tag_name] {
        let (tag_id, created) = ensure_tag(&tx, name, &arches_text, change).await?;
        if created {
            created_tags.push(name.clone());
        }
        tag_ids.push(tag_id);
    }
    let (dest_tag_id, build_tag_id) = match tag_ids.as_slice() {
        [dest, build] => (*dest, *build),
        _ => return Err(Error::Internal("two tags were made".into())),
    };

    let packages: Vec<String> = koji_package_list(&stream).into_iter().collect();
    let owner = module.owner_id.unwrap_or(host.user_id);
    for tag_id in [dest_tag_id, build_tag_id] {
        add_packages(&tx, tag_id, &packages, owner, change).await?;
    }

    let groups = add_groups(&tx, build_tag_id, &buildrequires, dependency_tags.first(), change).await?;
    set_macros(&tx, &module, &stream, version, build_tag_id, change).await?;

    let scratch_id = module.scratch.then(|| u64::try_from(module_id).unwrap_or(0));
    let nsvc = Nsvc {
        name: &module.name,
        stream: &module.stream,
        version,
        context: &module.context,
    };
    let target = koji_target(nsvc, scratch_id);
    ensure_target(&tx, &target, build_tag_id, dest_tag_id, &build_tag_name, change).await?;

    let parents = add_parents(&tx, build_tag_id, &dependency_tags, change).await?;

    if module.state == ModuleBuildState::Init {
        transition(&tx, module_id, ModuleBuildState::Wait, None, None).await?;
    }
    let now = transition(&tx, module_id, ModuleBuildState::Build, None, None).await?;
    info!(
        module.id = module_id,
        module.nsvc = %module.nsvc(),
        task.id = task_id,
        "module build {module_id} initialised: tags {koji_tag} and {build_tag_name}, target {target}"
    );
    Ok(InitOutcome {
        koji_tag,
        build_tag: build_tag_name,
        target,
        arches,
        created_tags,
        parents,
        groups,
        packages,
        state: now.state,
    }
    .to_value())
}

/// `host.moduleStep(module_build_id, macros_srpm=None)` (a Kiln extension): one step of the
/// module's build for the host holding its `moduleBuild` task open (see `mbs::backend`);
/// returns what the parent task does next as a struct with `action` = `init`, `macros`,
/// `wait`, `repo`, `done` or `failed`.
pub async fn module_step(cx: &mut Call<'_>, host: Host, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("moduleStep", ["module_build_id"], ["macros_srpm"]);
    let mut b = params.bind(&SIG)?;
    let module_id: i64 = b.arg()?;
    let macros_srpm: Option<String> = b.arg()?;
    if let Some(path) = &macros_srpm {
        crate::files::paths::upload_components(path)?;
    }
    let tx = cx.tx()?;
    let module = db::modules::get(&tx, module_id)
        .await?
        .ok_or(Error::NoSuchModuleBuild { module_id })?;
    let task_id = module.task_id.ok_or_else(|| Error::ModuleBuildRefused {
        module_id,
        nsvc: module.nsvc(),
        reason: "it has no moduleBuild task".to_owned(),
    })?;
    lifecycle::assert_host(&tx, task_id, host.id).await?;
    let input = StepInput {
        module_id,
        change: Change {
            event_id: cx.event().await?,
            user_id: host.user_id,
        },
        topdir: cx.ctx.config.topdir.clone(),
        max_building: cx.ctx.config.mbs.num_concurrent_builds,
        macros_srpm,
    };
    cx.note_tag_change().await?;
    let step = backend::step(&tx, &input).await?;
    Ok(step.to_value())
}

/// MBS's init step 1: `buildopts.arches` if set, else the arches of the first base module's
/// Koji tag, else those recorded at submission (`ARCHES`).
fn module_arches(
    module: &ModuleBuildRow,
    stream: &ModuleStream,
    buildrequires: &[ModuleBuildRow],
    dependency_tags: &[db::tags::TagRow],
) -> Vec<String> {
    if let Some(buildopts) = &stream.buildopts
        && !buildopts.arches.is_empty()
    {
        return buildopts.arches.iter().cloned().collect();
    }
    let base_tag = buildrequires
        .iter()
        .find(|dependency| dependency.stream_version.is_some())
        .and_then(|base| base.koji_tag.as_deref());
    if let Some(base_tag) = base_tag
        && let Some(tag) = dependency_tags.iter().find(|tag| tag.name == base_tag)
    {
        let arches: Vec<String> = tag
            .arches
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !arches.is_empty() {
            return arches;
        }
    }
    module.arches.clone()
}

/// Creates tag `name` with MBS's extra options unless it exists; returns its id and whether it
/// was created.
async fn ensure_tag(tx: &Tx<'_>, name: &str, arches: &str, change: Change) -> Result<(i64, bool)> {
    if let Some(tag) = db::tags::get(tx, &NameOrId::Name(name.to_owned()), None).await? {
        return Ok((tag.id, false));
    }
    let tag = db::names::ensure(tx, Registry::Tag, name).await?;
    let config = TagConfig {
        arches: Some(arches.to_owned()),
        perm_id: None,
        locked: false,
        maven_support: false,
        maven_include_all: false,
    };
    db::tags::insert_config(tx, tag.id, &config, change).await?;
    for (key, value) in TAG_EXTRA_DEFAULTS {
        db::tags::set_extra(tx, tag.id, key, Some(value), change).await?;
    }
    info!(tag.name = %name, tag.id = tag.id, "created module tag {name}");
    Ok((tag.id, true))
}

/// Adds the packages not yet listed in the tag, owned by `owner`.
async fn add_packages(
    tx: &Tx<'_>,
    tag_id: i64,
    packages: &[String],
    owner: i64,
    change: Change,
) -> Result<()> {
    let filter = EntryFilter {
        tags: Some(vec![tag_id]),
        with_blocked: true,
        ..EntryFilter::default()
    };
    let listed: BTreeSet<String> = db::packages::entries(tx, &filter, None)
        .await?
        .into_iter()
        .map(|entry| entry.package_name)
        .collect();
    for package in packages.iter().filter(|package| !listed.contains(*package)) {
        let row = db::names::ensure(tx, Registry::Package, package).await?;
        db::packages::set_entry(tx, tag_id, row.id, owner, false, None, change).await?;
    }
    Ok(())
}

/// Adds the `build` and `srpm-build` groups to the build tag unless it has them: the union of
/// the buildrequired modules' `buildroot` and `srpm-buildroot` profiles, or (when those are
/// empty) the same group of the first dependency tag. Returns the groups it added.
async fn add_groups(
    tx: &Tx<'_>,
    build_tag_id: i64,
    buildrequires: &[ModuleBuildRow],
    first_dependency_tag: Option<&db::tags::TagRow>,
    change: Change,
) -> Result<BTreeMap<String, Vec<String>>> {
    let existing: BTreeSet<String> = tag_groups(tx, build_tag_id, None, false, false, false)
        .await?
        .into_iter()
        .map(|group| group.group.name)
        .collect();
    let inherited = match first_dependency_tag {
        Some(tag) => read_tag_groups(tx, tag.id, None, true, true, false, false).await?,
        None => Vec::new(),
    };
    let mut added = BTreeMap::new();
    for (group_name, profile) in GROUPS {
        if existing.contains(*group_name) {
            continue;
        }
        let mut packages = BTreeSet::new();
        for dependency in buildrequires {
            if let Ok(stream) = parse_stream(&dependency.modulemd, ParseMode::Lenient)
                && let Some(found) = stream.profiles.get(*profile)
            {
                packages.extend(found.rpms.iter().cloned());
            }
        }
        if packages.is_empty()
            && let Some(group) = inherited.iter().find(|group| group.name == *group_name)
        {
            packages.extend(
                group
                    .packagelist
                    .iter()
                    .flatten()
                    .filter(|entry| !entry.blocked)
                    .map(|entry| entry.package.clone()),
            );
        }
        let group = db::names::ensure(tx, Registry::Group, group_name).await?;
        let settings = GroupSettings {
            blocked: false,
            exported: None,
            display_name: (*group_name).to_owned(),
            is_default: None,
            uservisible: None,
            description: None,
            langonly: None,
            biarchonly: None,
        };
        db::groups::set_config(tx, build_tag_id, group.id, &settings, change).await?;
        let entry = PackageSettings {
            blocked: false,
            kind: "mandatory".to_owned(),
            basearchonly: None,
            requires: None,
        };
        for package in &packages {
            db::groups::set_package(tx, build_tag_id, group.id, package, &entry, change).await?;
        }
        added.insert((*group_name).to_owned(), packages.into_iter().collect());
    }
    Ok(added)
}

/// Puts the module's macros (those `module-build-macros` installs) into the build tag's extra as
/// `rpm.macro.<name>`, so every buildroot of the tag defines them.
async fn set_macros(
    tx: &Tx<'_>,
    module: &ModuleBuildRow,
    stream: &ModuleStream,
    version: u64,
    build_tag_id: i64,
    change: Change,
) -> Result<()> {
    let nsvc = Nsvc {
        name: &module.name,
        stream: &module.stream,
        version,
        context: &module.context,
    };
    let dist = module_dist(tx, module).await?;
    let text = macros_file(&MacrosInput {
        nsvc,
        dist_tag: &dist,
        rpm_macros: stream.buildopts.as_ref().and_then(|b| b.rpm_macros.as_deref()),
        conflicts: Vec::new(),
        changelog_date: "",
    });
    for (name, value) in macro_definitions(&text) {
        let json = pyjson::dumps(&Value::from(value.as_str())).map_err(|e| Error::Internal(e.to_string()))?;
        db::tags::set_extra(
            tx,
            build_tag_id,
            &format!("rpm.macro.{name}"),
            Some(&json),
            change,
        )
        .await?;
    }
    Ok(())
}

/// The one-line `%name value` definitions of a macros file, in order.
fn macro_definitions(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.strip_prefix('%'))
        .filter_map(|line| {
            let (name, value) = line.split_once(char::is_whitespace)?;
            let value = value.trim();
            (!name.is_empty() && !value.is_empty() && !value.ends_with('\\'))
                .then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Creates the target (build tag `T-build`, destination `T`) unless it exists; an existing
/// target must point at the build tag.
async fn ensure_target(
    tx: &Tx<'_>,
    name: &str,
    build_tag_id: i64,
    dest_tag_id: i64,
    build_tag_name: &str,
    change: Change,
) -> Result<()> {
    let filter = TargetFilter {
        target: Some(NameOrId::Name(name.to_owned())),
        ..TargetFilter::default()
    };
    let existing = db::targets::list(tx, &filter, None, &QueryOpts::default()).await?;
    if let Some(target) = existing.first() {
        if target.build_tag != build_tag_id {
            return Err(Error::Generic(format!(
                "Target references unexpected build_tag_name. Got '{}', expected '{build_tag_name}'. Please contact the administrator.",
                target.build_tag_name
            )));
        }
        return Ok(());
    }
    let target = db::names::ensure(tx, Registry::BuildTarget, name).await?;
    db::targets::insert_config(tx, target.id, build_tag_id, dest_tag_id, change).await?;
    info!(target.name = %name, "created module target {name}");
    Ok(())
}

/// Appends the dependency tags the build tag does not inherit yet, after its existing parents
/// in steps of 10; returns the build tag's parents, in priority order.
async fn add_parents(
    tx: &Tx<'_>,
    build_tag_id: i64,
    dependency_tags: &[db::tags::TagRow],
    change: Change,
) -> Result<Vec<String>> {
    let existing = db::inheritance::parents(tx, build_tag_id, None).await?;
    let mut priority = existing.iter().map(|link| link.priority + 10).max().unwrap_or(0);
    let mut known: BTreeSet<i64> = existing.iter().map(|link| link.parent_id).collect();
    for tag in dependency_tags {
        if !known.insert(tag.id) {
            continue;
        }
        let link = NewLink {
            parent_id: tag.id,
            priority: i32::try_from(priority).unwrap_or(i32::MAX),
            maxdepth: None,
            intransitive: false,
            noconfig: false,
            pkg_filter: Some(String::new()),
        };
        db::inheritance::insert(tx, build_tag_id, &link, change).await?;
        priority += 10;
    }
    let mut parents = db::inheritance::parents(tx, build_tag_id, None).await?;
    parents.sort_by_key(|link| link.priority);
    Ok(parents.into_iter().map(|link| link.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_definitions_take_one_line_macros() {
        let text = "# comment\n\n%dist .module+f28+2+abc\n%_module_build 1\n%multi \\\n  more\n%empty\n";
        assert_eq!(
            macro_definitions(text),
            vec![
                ("dist".to_owned(), ".module+f28+2+abc".to_owned()),
                ("_module_build".to_owned(), "1".to_owned()),
            ]
        );
    }
}
