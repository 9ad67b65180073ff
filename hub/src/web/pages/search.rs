//! `search?terms=&type=&match=`: names by glob, regular expression or exactly; one hit goes
//! straight to its page, as in koji-web.

use common::xmlrpc::Value;

use super::{int_of, jinja};
use crate::web::error::WebResult;
use crate::web::render;
use crate::web::router::{PageRequest, Reply};

/// Search types and the info page each links to.
const TYPES: &[(&str, &str, &str)] = &[
    ("package", "packageinfo", "packageID"),
    ("build", "buildinfo", "buildID"),
    ("tag", "taginfo", "tagID"),
    ("target", "buildtargetinfo", "targetID"),
    ("user", "userinfo", "userID"),
    ("host", "hostinfo", "hostID"),
];

/// The `search` page.
pub async fn search(page: &mut PageRequest<'_>) -> WebResult<Reply> {
    let type_names: Vec<&str> = TYPES.iter().map(|(t, _, _)| *t).collect();
    let kind = page.query.choice("type", &type_names, "package")?;
    let matching = page.query.choice("match", &["glob", "regexp", "exact"], "glob")?;
    let terms = page.query.text("terms");
    let (info_page, id_param) = TYPES
        .iter()
        .find(|(t, _, _)| *t == kind)
        .map(|(_, p, i)| (*p, *i))
        .unwrap_or(("packageinfo", "packageID"));
    let results = match terms {
        Some(terms) => {
            let found = page
                .api
                .read(
                    "search",
                    vec![Value::from(terms), Value::from(kind), Value::from(matching)],
                )
                .await?;
            if let Some([only]) = found.as_array()
                && let Some(id) = int_of(only, "id")
            {
                return Ok(Reply::Redirect {
                    location: format!("/koji/{info_page}?{id_param}={id}"),
                    cookie: None,
                });
            }
            Some(found)
        }
        None => None,
    };
    let html = render::page(
        "search.html",
        &page.visitor,
        minijinja::context! {
            terms => terms,
            kind => kind,
            matching => matching,
            types => type_names,
            results => results.as_ref().map(jinja),
            info_page => info_page,
            id_param => id_param,
        },
    )?;
    Ok(Reply::Html(html))
}
