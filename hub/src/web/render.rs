//! Templates (embedded, HTML-escaped automatically) and the filters they use.

use std::sync::LazyLock;

use common::states::TaskState;
use minijinja::{Environment, Value as JinjaValue};

use super::auth::Visitor;
use super::error::{WebError, WebResult};
use crate::error::Error;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("error.html", include_str!("templates/error.html")),
    ("index.html", include_str!("templates/index.html")),
    ("tasks.html", include_str!("templates/tasks.html")),
    ("taskinfo.html", include_str!("templates/taskinfo.html")),
    ("tasklog.html", include_str!("templates/tasklog.html")),
    ("builds.html", include_str!("templates/builds.html")),
    ("buildinfo.html", include_str!("templates/buildinfo.html")),
    ("modules.html", include_str!("templates/modules.html")),
    ("moduleinfo.html", include_str!("templates/moduleinfo.html")),
    ("packages.html", include_str!("templates/packages.html")),
    ("packageinfo.html", include_str!("templates/packageinfo.html")),
    ("tags.html", include_str!("templates/tags.html")),
    ("taginfo.html", include_str!("templates/taginfo.html")),
    ("buildtargets.html", include_str!("templates/buildtargets.html")),
    (
        "buildtargetinfo.html",
        include_str!("templates/buildtargetinfo.html"),
    ),
    ("hosts.html", include_str!("templates/hosts.html")),
    ("hostinfo.html", include_str!("templates/hostinfo.html")),
    ("channelinfo.html", include_str!("templates/channelinfo.html")),
    ("users.html", include_str!("templates/users.html")),
    ("userinfo.html", include_str!("templates/userinfo.html")),
    ("search.html", include_str!("templates/search.html")),
    ("login.html", include_str!("templates/login.html")),
];

/// The stylesheet served at `/koji/static/kiln.css`.
pub const STYLESHEET: &str = include_str!("static/kiln.css");

/// The script served at `/koji/static/kiln.js`: page refresh and the log follower.
pub const SCRIPT: &str = include_str!("static/kiln.js");

/// The lower-case name of a task state code (`open`), for labels and CSS classes.
pub fn task_state_name(code: i64) -> String {
    i32::try_from(code)
        .ok()
        .and_then(TaskState::from_code)
        .map_or_else(|| "unknown".to_owned(), |s| s.name().to_lowercase())
}

/// Koji's times (`2026-11-23 13:40:00.123456+00:00`) to the second.
fn koji_time(value: JinjaValue) -> String {
    match value.as_str() {
        Some(text) => text.get(..19).unwrap_or(text).to_owned(),
        None if value.is_none() || value.is_undefined() => String::new(),
        None => value.to_string(),
    }
}

fn state_filter(value: JinjaValue) -> String {
    value
        .as_i64()
        .map_or_else(|| "unknown".to_owned(), task_state_name)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(error = %e, "template {name} does not compile: {e}");
        }
    }
    env.add_filter("kojitime", koji_time);
    env.add_filter("taskstate", state_filter);
    env
}

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// Renders a page template for a visitor; `context` holds the page's values.
pub fn page(template: &str, visitor: &Visitor, context: JinjaValue) -> WebResult<String> {
    let template = ENVIRONMENT
        .get_template(template)
        .map_err(|e| WebError::Hub(Error::Internal(format!("template {template}: {e}"))))?;
    let user = visitor.session.as_ref().map(|s| s.user_name.clone());
    let full = minijinja::context! {
        visitor_name => user,
        csrf => visitor.csrf.clone(),
        ..context
    };
    template
        .render(full)
        .map_err(|e| WebError::Hub(Error::Internal(format!("rendering {}: {e}", template.name()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn names_states_and_times() {
        assert_eq!(task_state_name(1), "open");
        assert_eq!(task_state_name(99), "unknown");
        assert_eq!(
            koji_time(JinjaValue::from("2026-11-23 13:40:00.123456+00:00")),
            "2026-11-23 13:40:00"
        );
        assert_eq!(koji_time(JinjaValue::from(())), "");
    }

    #[test]
    fn escapes_markup() {
        let html = page(
            "error.html",
            &Visitor::default(),
            minijinja::context! { status => 404, title => "Not found", message => "<script>x</script>" },
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;"), "{html}");
        assert!(!html.contains("<script>x"), "{html}");
    }
}
