//! Koji's `buildArch(pkg, root, arch, keep_srpm, opts=None)`: fetches the SRPM, makes a fresh
//! buildroot from the build tag's repo with `@build` plus the SRPM's BuildRequires
//! (`root.log`, `installed_pkgs.log`), runs `rpmbuild --rebuild` in it without network and
//! without `--nodeps` (`build.log`), uploads the RPMs (and the SRPM with `keep_srpm`) and
//! returns `{rpms, srpms, logs, brootid}`.

use common::FaultCode;
use common::xmlrpc::{Params, Value};

use crate::buildroot::macros::koji_macros;
use crate::buildtask::hubroot::{buildroot_arch, tag_arches};
use crate::buildtask::{Args, BuildSession, HubBuildroot, fetch, int_opt, repo_url, work_url};
use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler};
use crate::rpmbuild::{rebuild, write_macros};
use crate::srpm::read_header;

/// `buildArch`.
#[derive(Debug)]
pub struct BuildArch;

/// What one arch produced, as paths on the hub.
struct Output {
    rpms: Vec<String>,
    srpms: Vec<String>,
    brootid: i64,
}

impl TaskHandler for BuildArch {
    const METHOD: &'static str = "buildArch";
    const WEIGHT: f64 = 1.5;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        let args = Args::bind(
            &params,
            &["pkg", "root", "arch", "keep_srpm", "opts"],
            Self::METHOD,
        )?;
        let pkg = args.string("pkg")?;
        let root = args.required("root")?.clone();
        let arch = args.string("arch")?;
        let keep_srpm = args.get("keep_srpm").is_some_and(Value::truthy);
        let opts = args.opts("opts")?;
        let Some(repo_id) = int_opt(&opts, "repo_id") else {
            return Err(TaskError::new(FaultCode::Build, "A repo id must be provided"));
        };
        let mut session = BuildSession::start(cx)?;
        let mut buildroot = None;
        let outcome = build(&mut session, pkg, &root, arch, keep_srpm, repo_id, &mut buildroot);
        if let Some(root) = buildroot.as_mut() {
            root.expire(&session);
        }
        if let Err(e) = &outcome {
            session.state.failed("buildArch", &e.message);
        }
        let logs = session.finish();
        let output = outcome?;
        let strings = |list: Vec<String>| Value::Array(list.into_iter().map(Value::from).collect());
        Ok(Value::structure([
            ("rpms", strings(output.rpms)),
            ("srpms", strings(output.srpms)),
            ("logs", strings(logs)),
            ("brootid", Value::Int(output.brootid)),
        ]))
    }
}

fn build(
    session: &mut BuildSession<'_>,
    pkg: &str,
    build_tag: &Value,
    arch: &str,
    keep_srpm: bool,
    repo_id: i64,
    buildroot: &mut Option<HubBuildroot>,
) -> Result<Output, TaskError> {
    session.state.start("buildArch");
    let repo = session.call(
        "repoInfo",
        vec![Value::Int(repo_id)],
        vec![("strict", Value::Bool(true))],
    )?;
    let event = repo.get("create_event").cloned().unwrap_or(Value::Nil);
    let buildconfig = session.call("getBuildConfig", vec![build_tag.clone()], vec![("event", event)])?;
    let tag_name = buildconfig
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let repo_tag = repo
        .get("tag_name")
        .and_then(Value::as_str)
        .map_or_else(|| tag_name.clone(), str::to_owned);
    let br_arch = buildroot_arch(arch, &tag_arches(&buildconfig), &tag_name)?;

    session.state.start("fetch srpm");
    let name = pkg.rsplit('/').next().unwrap_or(pkg);
    let local = session.cx.workdir.join(name);
    fetch(&work_url(session.topurl(), pkg), &local)?;
    let header = read_header(&local).map_err(|e| TaskError::new(FaultCode::Build, e))?;
    if !header.is_source {
        return Err(TaskError::new(
            FaultCode::Build,
            format!("not a source package: {pkg}"),
        ));
    }
    session.state.finish("fetch srpm");

    let url = repo_url(session.topurl(), &repo_tag, repo_id, &br_arch);
    let root = buildroot.insert(HubBuildroot::create(
        session,
        repo_id,
        &br_arch,
        &url,
        buildconfig.get("extra"),
    )?);
    let failure = format!("error building package (arch {arch})");
    let packages = root.install(
        session,
        &["build"],
        &header.buildrequires,
        &failure,
        FaultCode::Build,
    )?;
    root.record_list(session, &packages, false)?;
    root.set_state(session, "BUILDING")?;
    write_macros(&root.sandbox, &koji_macros(&br_arch, buildconfig.get("extra")))?;
    session.state.start("rpmbuild --rebuild");
    let rpms = match rebuild(&root.sandbox, &local, arch, &session.log("build.log")) {
        Ok(rpms) => rpms,
        Err(e) => {
            session.state.failed("rpmbuild --rebuild", &e.message);
            return Err(e);
        }
    };
    session.state.finish("rpmbuild --rebuild");
    root.record_list(session, &packages, true)?;

    session.state.start("upload");
    let mut uploaded = Vec::new();
    for rpm in &rpms {
        uploaded.push(session.upload(rpm)?);
    }
    let mut srpms = Vec::new();
    if keep_srpm {
        srpms.push(session.upload(&local)?);
    }
    session.state.finish("upload");
    session.state.finish("buildArch");
    Ok(Output {
        rpms: uploaded,
        srpms,
        brootid: root.id,
    })
}
