//! What a logged-in visitor can do: log in and out, cancel a task, resubmit a failed one. Each
//! change is a POST carrying the CSRF token, and runs the same handler (and permission check)
//! as the XML-RPC call of the same name.

use common::xmlrpc::Value;
use http::Method;
use tracing::info;

use super::auth::{self, check_csrf};
use super::error::{WebError, WebResult};
use super::render;
use super::router::{PageRequest, Reply};
use crate::db;
use crate::mbs::auth::Caller;
use crate::mbs::state::CancelRefusal;

fn post_only(page: &PageRequest<'_>) -> WebResult<()> {
    if page.method == Method::POST {
        Ok(())
    } else {
        Err(WebError::MethodNotAllowed(
            "this action needs a POST from its form".into(),
        ))
    }
}

/// Only local paths under the web interface are followed after a login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with("/koji/") && !path.contains("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/koji/".to_owned(),
    }
}

/// `login`: GET shows the form, POST checks a password (`user`, `password`) or, with
/// `method=ssl`, the client certificate, and stores the new session in the cookie.
pub async fn login(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    let next = safe_next(page.query.text("next").or(page.form.text("next")));
    let certificate = page.peer.certificate.as_ref().map(|c| c.subject.clone());
    if page.method != Method::POST {
        let html = render::page(
            "login.html",
            &page.visitor,
            minijinja::context! { next => next, certificate => certificate, error => None::<String> },
        )?;
        return Ok(Reply::Html(html));
    }
    let by_certificate = page.form.text("method") == Some("ssl");
    let args = if by_certificate {
        vec![]
    } else {
        let user = page.form.text("user").unwrap_or_default();
        let password = page.form.text("password").unwrap_or_default();
        vec![Value::from(user), Value::from(password)]
    };
    let method = if by_certificate { "sslLogin" } else { "login" };
    // A login needs no session: the old one, if any, is simply replaced.
    page.api.set_session(None);
    let credentials = page.api.write(method, args).await?;
    let session_id = credentials.get("session-id").and_then(Value::as_i64);
    let key = credentials.get("session-key").and_then(Value::as_str);
    let (Some(session_id), Some(key)) = (session_id, key) else {
        return Err(WebError::Hub(crate::error::Error::Internal(
            "login answered without credentials".into(),
        )));
    };
    let secure = auth::secure_cookies(page.api.ctx(), page.peer);
    info!(session.id = session_id, "web login ({method})");
    Ok(Reply::Redirect {
        location: next,
        cookie: auth::session_cookie(session_id, key, secure),
    })
}

/// `logout` (POST with the token): closes the session and forgets the cookie.
pub async fn logout(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    post_only(page)?;
    check_csrf(&page.visitor, page.form.text("a"))?;
    page.api.write("logout", vec![]).await?;
    let secure = auth::secure_cookies(page.api.ctx(), page.peer);
    Ok(Reply::Redirect {
        location: "/koji/".into(),
        cookie: Some(auth::clear_cookie(secure)),
    })
}

/// `canceltask` (POST `taskID`, `a`): `cancelTask` as the visitor.
pub async fn cancel_task(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    post_only(page)?;
    let task_id = page.form.required_int("taskID")?;
    check_csrf(&page.visitor, page.form.text("a"))?;
    page.api.write("cancelTask", vec![Value::Int(task_id)]).await?;
    Ok(Reply::Redirect {
        location: format!("/koji/taskinfo?taskID={task_id}"),
        cookie: None,
    })
}

/// `resubmittask` (POST `taskID`, `a`): `resubmitTask` as the visitor, then the new task.
pub async fn resubmit_task(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    post_only(page)?;
    let task_id = page.form.required_int("taskID")?;
    check_csrf(&page.visitor, page.form.text("a"))?;
    let new_id = page.api.write("resubmitTask", vec![Value::Int(task_id)]).await?;
    let new_id = new_id.as_i64().unwrap_or(task_id);
    Ok(Reply::Redirect {
        location: format!("/koji/taskinfo?taskID={new_id}"),
        cookie: None,
    })
}

/// `cancelbuild` (POST `buildID`, `a`): `cancelBuild` as the visitor.
pub async fn cancel_build(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    post_only(page)?;
    let build_id = page.form.required_int("buildID")?;
    check_csrf(&page.visitor, page.form.text("a"))?;
    let canceled = page.api.write("cancelBuild", vec![Value::Int(build_id)]).await?;
    if !canceled.truthy() {
        return Err(WebError::Hub(crate::error::Error::Generic(format!(
            "build {build_id} is not building; nothing was canceled"
        ))));
    }
    Ok(Reply::Redirect {
        location: format!("/koji/buildinfo?buildID={build_id}"),
        cookie: None,
    })
}

/// `cancelmodule` (POST `moduleID`, `a`): MBS's cancel (the owner or an MBS admin, holding the
/// submit permission when one is configured; only `init`, `wait` and `build` modules).
pub async fn cancel_module(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    post_only(page)?;
    let module_id = page.form.required_int("moduleID")?;
    check_csrf(&page.visitor, page.form.text("a"))?;
    let session = page
        .visitor
        .session
        .clone()
        .ok_or_else(|| WebError::Forbidden("you must log in first".into()))?;
    let client = page.api.db()?;
    let permissions = db::users::user_permissions(client, session.user_id, true).await?;
    let caller = Caller {
        user_id: session.user_id,
        name: session.user_name.clone(),
        permissions,
    };
    let config = &page.api.ctx().config.mbs;
    if let Some(permission) = &config.submit_permission
        && !caller.has(permission)
    {
        return Err(WebError::Forbidden(format!(
            "{} lacks the {permission} permission",
            caller.name
        )));
    }
    let module = db::modules::get(client, module_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no module build with id {module_id}")))?;
    match crate::mbs::state::check_cancel(&module, &caller, page.api.ctx()) {
        Ok(()) => {}
        Err(refusal @ CancelRefusal::NotOwner) => return Err(WebError::Forbidden(refusal.message().into())),
        Err(refusal @ CancelRefusal::Finished) => {
            return Err(WebError::Hub(crate::error::Error::Generic(
                refusal.message().into(),
            )));
        }
    }
    let reason = format!("Canceled by {}.", caller.name);
    page.api
        .in_transaction(|tx| {
            Box::pin(async move {
                crate::mbs::state::cancel(tx, module_id, &reason)
                    .await
                    .map(|_| ())
            })
        })
        .await?;
    info!(
        module.id = module_id,
        "module build {module_id} canceled from the web"
    );
    Ok(Reply::Redirect {
        location: format!("/koji/moduleinfo?moduleID={module_id}"),
        cookie: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_only_local_pages() {
        assert_eq!(
            safe_next(Some("/koji/taskinfo?taskID=1")),
            "/koji/taskinfo?taskID=1"
        );
        assert_eq!(safe_next(Some("https://evil.example/")), "/koji/");
        assert_eq!(safe_next(Some("/koji//evil.example")), "/koji/");
        assert_eq!(safe_next(None), "/koji/");
    }
}
