//! `tags`, `taginfo?tagID=` (inheritance, targets, repo), `buildtargets` and
//! `buildtargetinfo?targetID=`.

use common::xmlrpc::{Struct, Value};

use super::packages::not_nil;
use super::{PER_PAGE, Pager, int_of, jinja, order_links};
use crate::web::api::kwargs;
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::PageRequest;

fn paging(order: &str, start: i64) -> Value {
    Value::Struct(Struct::from([
        ("order".to_owned(), Value::from(order)),
        ("offset".to_owned(), Value::Int(start)),
        ("limit".to_owned(), Value::Int(PER_PAGE)),
    ]))
}

fn count_only() -> Value {
    Value::Struct(Struct::from([("countOnly".to_owned(), Value::Bool(true))]))
}

/// The `tags` page: `start`, `order`, `prefix`.
pub async fn tags(page: &mut PageRequest<'_>) -> WebResult<String> {
    let start = page.query.start()?;
    let order = page.query.order(&["name", "id"], "name")?;
    let prefix = page.query.text("prefix");
    let pattern = prefix.map(|p| Value::from(format!("{p}*"))).unwrap_or(Value::Nil);
    let api = &page.api;
    let listed = api
        .read(
            "listTags",
            vec![kwargs([
                ("queryOpts", paging(order, start)),
                ("pattern", pattern.clone()),
            ])],
        )
        .await?;
    let total = api
        .read(
            "listTags",
            vec![kwargs([("queryOpts", count_only()), ("pattern", pattern)])],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    let shown = listed.as_array().map_or(0, <[Value]>::len);
    let params = vec![("prefix", prefix.unwrap_or_default().to_owned())];
    render::page(
        "tags.html",
        &page.visitor,
        minijinja::context! {
            tags => jinja(&listed),
            pager => Pager::new("tags", &params, order, start, shown, total),
            sort => order_links("tags", &params, order, &["name", "id"]),
            prefix => prefix,
            letters => ('a'..='z').map(String::from).collect::<Vec<_>>(),
        },
    )
}

/// The `taginfo?tagID=` page.
pub async fn taginfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let tag_id = page.query.required_int("tagID")?;
    let api = &page.api;
    let tag = not_nil(api.read("getTag", vec![Value::Int(tag_id)]).await?, "tag", tag_id)?;
    let parents = api.read("getInheritanceData", vec![Value::Int(tag_id)]).await?;
    let ancestors = api.read("getFullInheritance", vec![Value::Int(tag_id)]).await?;
    let descendants = api
        .read(
            "getFullInheritance",
            vec![Value::Int(tag_id), kwargs([("reverse", Value::Bool(true))])],
        )
        .await?;
    let build_targets = api
        .read(
            "getBuildTargets",
            vec![kwargs([("buildTagID", Value::Int(tag_id))])],
        )
        .await?;
    let dest_targets = api
        .read(
            "getBuildTargets",
            vec![kwargs([("destTagID", Value::Int(tag_id))])],
        )
        .await?;
    let repo = api
        .read("getRepo", vec![Value::Int(tag_id)])
        .await
        .unwrap_or(Value::Nil);
    let n_packages = api
        .read(
            "listPackages",
            vec![kwargs([
                ("tagID", Value::Int(tag_id)),
                ("inherited", Value::Bool(true)),
                ("queryOpts", count_only()),
            ])],
        )
        .await?;
    let extra: Vec<(String, String)> = tag
        .get("extra")
        .and_then(Value::as_struct)
        .map(|e| e.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
        .unwrap_or_default();
    render::page(
        "taginfo.html",
        &page.visitor,
        minijinja::context! {
            tag => jinja(&tag),
            parents => jinja(&parents),
            ancestors => jinja(&ancestors),
            descendants => jinja(&descendants),
            build_targets => jinja(&build_targets),
            dest_targets => jinja(&dest_targets),
            repo => jinja(&repo),
            n_packages => jinja(&n_packages),
            extra => extra,
        },
    )
}

/// The `buildtargets` page: `start`, `order`.
pub async fn buildtargets(page: &mut PageRequest<'_>) -> WebResult<String> {
    let start = page.query.start()?;
    let order = page.query.order(&["name", "id"], "name")?;
    let api = &page.api;
    let listed = api
        .read(
            "getBuildTargets",
            vec![kwargs([("queryOpts", paging(order, start))])],
        )
        .await?;
    let total = api
        .read("getBuildTargets", vec![kwargs([("queryOpts", count_only())])])
        .await?
        .as_i64()
        .unwrap_or_default();
    let shown = listed.as_array().map_or(0, <[Value]>::len);
    render::page(
        "buildtargets.html",
        &page.visitor,
        minijinja::context! {
            targets => jinja(&listed),
            pager => Pager::new("buildtargets", &[], order, start, shown, total),
            sort => order_links("buildtargets", &[], order, &["name", "id"]),
        },
    )
}

/// The `buildtargetinfo?targetID=` (or `?name=`) page.
pub async fn buildtargetinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let key = match (page.query.int("targetID")?, page.query.text("name")) {
        (Some(id), _) => Value::Int(id),
        (None, Some(name)) => Value::from(name),
        (None, None) => return Err(WebError::BadRequest("targetID is required".into())),
    };
    let target = page.api.read("getBuildTarget", vec![key.clone()]).await?;
    if int_of(&target, "id").is_none() {
        return Err(WebError::NotFound(format!("no build target {key}")));
    }
    render::page(
        "buildtargetinfo.html",
        &page.visitor,
        minijinja::context! { target => jinja(&target) },
    )
}
