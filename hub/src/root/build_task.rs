//! `build(src, target, opts=None, priority=None, channel=None)`: the client call that creates
//! the parent `build` task with Koji's request layout `[src, target, opts]`, after checking the
//! target and the source (an SCM URL the hub allows, or an uploaded SRPM).

use common::signature;
use common::states::PRIO_DEFAULT;
use common::xmlrpc::{Params, Signature, Value};
use tracing::info;

use crate::error::{Error, Result};
use crate::files::packages;
use crate::root::lookup::py_str;
use crate::root::targets::targets;
use crate::rpc::call::Call;
use crate::tasks::create::{TaskSpec, create};

/// Shell-style glob matching (`*` any run, `?` one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Checks an SCM URL against the hub's `allowed_scms`, with kojid's messages: the URL must
/// look like `scheme://host/path#ref`, and `host:path` must be allowed.
pub fn check_scm(url: &str, allowed: &[String]) -> Result<()> {
    let invalid = || Error::Generic(format!("Invalid SCM URL: {url}"));
    let (base, commit) = url.split_once('#').ok_or_else(invalid)?;
    if commit.is_empty() {
        return Err(invalid());
    }
    let (scheme, rest) = base.split_once("://").ok_or_else(invalid)?;
    if scheme.is_empty() {
        return Err(invalid());
    }
    let (host, repository) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if allowed.iter().any(|pattern| glob_match(pattern, base)) {
        return Ok(());
    }
    Err(Error::BuildFailure(format!(
        "{host}:{repository} is not in the list of allowed SCMs"
    )))
}

/// `build(src, target, opts=None, priority=None, channel=None)`: creates the `build` task and
/// returns its id. `priority` is relative to the default; only admins may make it negative.
pub async fn build(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("build", ["src", "target"], ["opts", "priority", "channel"]);
    let mut b = params.bind(&SIG)?;
    let src: String = b.arg()?;
    let target = b.next_raw();
    let opts = b.next_raw();
    let priority: Option<i64> = b.arg()?;
    let channel = b.next_raw();
    let who = cx.assert_login()?;
    let opts = match opts {
        Value::Nil => Value::Struct(Default::default()),
        Value::Struct(members) => Value::Struct(members),
        other => {
            return Err(Error::InvalidValue(format!(
                "build opts must be a struct, not {}",
                other.type_name()
            )));
        }
    };
    let mut task_priority = None;
    if let Some(relative) = priority.filter(|p| *p != 0) {
        if relative < 0 && !cx.is_admin().await? {
            return Err(Error::NotAllowed(
                "only admins may create high-priority tasks".into(),
            ));
        }
        task_priority = Some(
            i32::try_from(PRIO_DEFAULT + relative)
                .map_err(|_| Error::InvalidValue(format!("Invalid priority: {relative}")))?,
        );
    }
    if targets(cx.db(), &target, None).await?.len() != 1 {
        return Err(Error::NoSuchTarget {
            target: py_str(&target),
        });
    }
    if src.contains("://") {
        check_scm(&src, &cx.ctx.config.allowed_scms)?;
    } else {
        packages::work_file(&cx.ctx.config.topdir, &src)?;
    }
    let spec = TaskSpec {
        method: "build".into(),
        args: vec![Value::from(src.clone()), target.clone(), opts],
        priority: task_priority,
        channel: (!channel.is_nil()).then_some(channel),
        ..TaskSpec::default()
    };
    let task_id = create(&cx.tx()?, Some(who.user_id), spec).await?;
    info!(
        task.id = task_id,
        "build task {task_id} for {src} into {}",
        py_str(&target)
    );
    Ok(Value::Int(task_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("git+file://*", "git+file:///srv/git/foo.git"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(!glob_match("git+https://*", "git+file:///x"));
        assert!(!glob_match("a*b", "acbx"));
    }

    #[test]
    fn scm_urls_are_checked_like_kojid() {
        let allowed = vec!["git+file://*".to_owned(), "git+https://*".to_owned()];
        assert!(check_scm("git+file:///srv/foo.git#abc123", &allowed).is_ok());
        assert!(check_scm("git+https://example.com/foo.git#main", &allowed).is_ok());
        assert_eq!(
            check_scm("git://example.com/foo.git#main", &allowed)
                .unwrap_err()
                .to_string(),
            "example.com:/foo.git is not in the list of allowed SCMs"
        );
        assert_eq!(
            check_scm("git+file:///srv/foo.git", &allowed)
                .unwrap_err()
                .to_string(),
            "Invalid SCM URL: git+file:///srv/foo.git"
        );
    }
}
