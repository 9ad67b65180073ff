//! `packages` (all packages, a tag's or a user's) and `packageinfo?packageID=`.

use common::xmlrpc::Value;

use super::{PER_PAGE, Pager, int_of, jinja, order_links};
use crate::web::api::kwargs;
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::PageRequest;

/// The `packages` page: `tagID`, `userID`, `prefix`, `inherited`, `start`, `order`.
pub async fn packages(page: &mut PageRequest<'_>) -> WebResult<String> {
    let query = &page.query;
    let tag_id = query.int("tagID")?;
    let user_id = query.int("userID")?;
    let prefix = query.text("prefix");
    let inherited = query.choice("inherited", &["0", "1"], "1")? == "1";
    let start = query.start()?;
    let fields: &[&str] = if tag_id.is_some() || user_id.is_some() {
        &["package_name", "tag_name", "owner_name"]
    } else {
        &["package_name", "package_id"]
    };
    let order = query.order(fields, "package_name")?;
    let api = &page.api;
    let tag = match tag_id {
        Some(id) => Some(not_nil(
            api.read("getTag", vec![Value::Int(id)]).await?,
            "tag",
            id,
        )?),
        None => None,
    };
    let user = match user_id {
        Some(id) => Some(not_nil(
            api.read("getUser", vec![Value::Int(id)]).await?,
            "user",
            id,
        )?),
        None => None,
    };
    let mut args: Vec<(&str, Value)> = Vec::new();
    if let Some(id) = tag_id {
        args.push(("tagID", Value::Int(id)));
        args.push(("inherited", Value::Bool(inherited)));
    }
    if let Some(id) = user_id {
        args.push(("userID", Value::Int(id)));
    }
    if let Some(prefix) = prefix {
        args.push(("prefix", Value::from(prefix)));
    }
    let (listed, total) = api.page_of("listPackages", args, order, start, PER_PAGE).await?;
    let shown = listed.as_array().map_or(0, <[Value]>::len);
    let params = vec![
        ("tagID", tag_id.map(|t| t.to_string()).unwrap_or_default()),
        ("userID", user_id.map(|u| u.to_string()).unwrap_or_default()),
        ("prefix", prefix.unwrap_or_default().to_owned()),
    ];
    render::page(
        "packages.html",
        &page.visitor,
        minijinja::context! {
            packages => jinja(&listed),
            pager => Pager::new("packages", &params, order, start, shown, total),
            sort => order_links("packages", &params, order, fields),
            tag => tag.as_ref().map(jinja),
            user => user.as_ref().map(jinja),
            prefix => prefix,
            letters => ('a'..='z').map(String::from).collect::<Vec<_>>(),
        },
    )
}

/// A `get*` answer, or 404 when it is nil.
pub fn not_nil(value: Value, what: &str, id: i64) -> WebResult<Value> {
    if value.is_nil() {
        Err(WebError::NotFound(format!("no {what} with id {id}")))
    } else {
        Ok(value)
    }
}

/// The `packageinfo?packageID=` page (an id or a name).
pub async fn packageinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let key = page
        .query
        .text("packageID")
        .ok_or_else(|| WebError::BadRequest("packageID is required".into()))?;
    let key_value = match key.parse::<i64>() {
        Ok(id) => Value::Int(id),
        Err(_) => Value::from(key),
    };
    let api = &page.api;
    let package = api.read("getPackage", vec![key_value]).await?;
    let Some(package_id) = int_of(&package, "id") else {
        return Err(WebError::NotFound(format!("no package {key:?}")));
    };
    let tags = api
        .read("listPackages", vec![kwargs([("pkgID", Value::Int(package_id))])])
        .await?;
    render::page(
        "packageinfo.html",
        &page.visitor,
        minijinja::context! { package => jinja(&package), tags => jinja(&tags) },
    )
}
