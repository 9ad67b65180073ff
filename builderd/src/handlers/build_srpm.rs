//! Koji's `buildSRPMFromSCM(url, build_tag, opts=None)`: checks the SCM URL against the
//! builder's `allowed_scms`, checks out the exact commit (`checkout.log`), makes a buildroot
//! with `@srpm-build` from the build tag's repo (`root.log`), runs `rpmbuild -bs` in it
//! (`build.log`), uploads the one SRPM and returns `{srpm, logs, brootid, source}`.

use common::FaultCode;
use common::xmlrpc::{Params, Value};

use crate::buildroot::macros::koji_macros;
use crate::buildtask::hubroot::{buildroot_arch, tag_arches};
use crate::buildtask::{Args, BuildSession, HubBuildroot, int_opt, repo_url};
use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler};
use crate::rpmbuild::{build_srpm, write_macros};
use crate::scm::Scm;
use crate::srpm::read_header;

/// `buildSRPMFromSCM`.
#[derive(Debug)]
pub struct BuildSrpmFromScm;

impl TaskHandler for BuildSrpmFromScm {
    const METHOD: &'static str = "buildSRPMFromSCM";
    const WEIGHT: f64 = 1.0;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        let args = Args::bind(&params, &["url", "build_tag", "opts"], Self::METHOD)?;
        let url = args.string("url")?;
        let build_tag = args.required("build_tag")?.clone();
        let opts = args.opts("opts")?;
        let scm = Scm::parse(url)?;
        let mut session = BuildSession::start(cx)?;
        scm.assert_allowed(&session.settings.allowed_scms)?;
        let Some(repo_id) = int_opt(&opts, "repo_id") else {
            return Err(TaskError::new(FaultCode::Build, "A repo id must be provided"));
        };
        let mut buildroot = None;
        let outcome = build(&mut session, &scm, &build_tag, repo_id, &mut buildroot);
        if let Some(root) = buildroot.as_mut() {
            root.expire(&session);
        }
        if let Err(e) = &outcome {
            session.state.failed("buildSRPMFromSCM", &e.message);
        }
        let logs = session.finish();
        let (srpm, brootid, source) = outcome?;
        Ok(Value::structure([
            ("srpm", Value::from(srpm)),
            ("logs", Value::Array(logs.into_iter().map(Value::from).collect())),
            ("brootid", Value::Int(brootid)),
            (
                "source",
                Value::structure([("source", Value::from(source)), ("url", Value::from(url))]),
            ),
        ]))
    }
}

/// The steps; returns the SRPM's path on the hub, the buildroot id and the source URL with
/// the commit.
fn build(
    session: &mut BuildSession<'_>,
    scm: &Scm,
    build_tag: &Value,
    repo_id: i64,
    buildroot: &mut Option<HubBuildroot>,
) -> Result<(String, i64, String), TaskError> {
    session.state.start("buildSRPMFromSCM");
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
    let arch = buildroot_arch("noarch", &tag_arches(&buildconfig), &tag_name)?;
    let url = repo_url(session.topurl(), &repo_tag, repo_id, &arch);
    let root = buildroot.insert(HubBuildroot::create(
        session,
        repo_id,
        &arch,
        &url,
        buildconfig.get("extra"),
    )?);
    let packages = root.install(
        session,
        &["srpm-build"],
        &[],
        "could not init buildroot",
        FaultCode::Buildroot,
    )?;
    root.record_list(session, &packages, false)?;

    session.state.start("checkout");
    let checkout = scm.checkout(
        &session.cx.workdir.join("scmroot"),
        &session.log("checkout.log"),
        &session.cancel,
    );
    let checkout = match checkout {
        Ok(checkout) => checkout,
        Err(e) => {
            session.state.failed("checkout", &e.message);
            return Err(e);
        }
    };
    session.state.finish("checkout");

    root.set_state(session, "BUILDING")?;
    write_macros(&root.sandbox, &koji_macros(&arch, buildconfig.get("extra")))?;
    session.state.start("rpmbuild -bs");
    let srpm = build_srpm(&root.sandbox, &checkout.sourcedir, &session.log("build.log"));
    let srpm = match srpm {
        Ok(srpm) => srpm,
        Err(e) => {
            session.state.failed("rpmbuild -bs", &e.message);
            return Err(e);
        }
    };
    session.state.finish("rpmbuild -bs");
    let header = read_header(&srpm).map_err(|e| TaskError::new(FaultCode::Build, e))?;
    let expected = format!("{}.src.rpm", header.nvr());
    let actual = srpm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if expected != actual {
        return Err(TaskError::new(
            FaultCode::Build,
            format!("srpm name mismatch: {expected} != {actual}"),
        ));
    }
    session.state.start("upload");
    let relpath = session.upload(&srpm)?;
    session.state.finish("upload");
    session.state.finish("buildSRPMFromSCM");
    Ok((relpath, root.id, checkout.source))
}
