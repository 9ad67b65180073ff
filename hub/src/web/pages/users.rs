//! `users` (`prefix`, `start`, `order`) and `userinfo?userID=` (permissions, packages, tasks).

use common::xmlrpc::{Struct, Value};

use super::packages::not_nil;
use super::tasks::{TaskNode, host_names};
use super::{PER_PAGE, Pager, int_of, jinja, order_links};
use crate::web::api::kwargs;
use crate::web::error::{WebError, WebResult};
use crate::web::render;
use crate::web::router::PageRequest;

/// The `users` page.
pub async fn users(page: &mut PageRequest<'_>) -> WebResult<String> {
    let start = page.query.start()?;
    let order = page.query.order(&["name", "id"], "name")?;
    let prefix = page.query.text("prefix");
    let prefix_value = prefix.map(Value::from).unwrap_or(Value::Nil);
    let api = &page.api;
    let listed = api
        .read(
            "listUsers",
            vec![kwargs([
                ("prefix", prefix_value.clone()),
                (
                    "queryOpts",
                    Value::Struct(Struct::from([
                        ("order".to_owned(), Value::from(order)),
                        ("offset".to_owned(), Value::Int(start)),
                        ("limit".to_owned(), Value::Int(PER_PAGE)),
                    ])),
                ),
            ])],
        )
        .await?;
    let total = api
        .read(
            "listUsers",
            vec![kwargs([
                ("prefix", prefix_value),
                (
                    "queryOpts",
                    Value::Struct(Struct::from([("countOnly".to_owned(), Value::Bool(true))])),
                ),
            ])],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    let shown = listed.as_array().map_or(0, <[Value]>::len);
    let params = vec![("prefix", prefix.unwrap_or_default().to_owned())];
    render::page(
        "users.html",
        &page.visitor,
        minijinja::context! {
            users => jinja(&listed),
            pager => Pager::new("users", &params, order, start, shown, total),
            sort => order_links("users", &params, order, &["name", "id"]),
            prefix => prefix,
            letters => ('a'..='z').map(String::from).collect::<Vec<_>>(),
        },
    )
}

/// The `userinfo?userID=` page (an id or a name).
pub async fn userinfo(page: &mut PageRequest<'_>) -> WebResult<String> {
    let key = page
        .query
        .text("userID")
        .ok_or_else(|| WebError::BadRequest("userID is required".into()))?;
    let key_value = match key.parse::<i64>() {
        Ok(id) => Value::Int(id),
        Err(_) => Value::from(key),
    };
    let api = &page.api;
    let user = api.read("getUser", vec![key_value]).await?;
    let Some(user_id) = int_of(&user, "id") else {
        return Err(WebError::NotFound(format!("no user {key:?}")));
    };
    let user = not_nil(user, "user", user_id)?;
    let perms = api
        .read("getUserPerms", vec![Value::Int(user_id), Value::Bool(true)])
        .await?;
    let packages = api
        .read("listPackages", vec![kwargs([("userID", Value::Int(user_id))])])
        .await?;
    let opts = Value::Struct(Struct::from([
        ("owner".to_owned(), Value::Int(user_id)),
        ("parent".to_owned(), Value::Nil),
    ]));
    let recent = Value::Struct(Struct::from([
        ("order".to_owned(), Value::from("-id")),
        ("limit".to_owned(), Value::Int(10)),
    ]));
    let tasks = api.read("listTasks", vec![opts, recent]).await?;
    let hosts = host_names(api).await?;
    let tasks: Vec<TaskNode> = tasks
        .as_array()
        .map(|l| l.iter().map(|t| TaskNode::of(t, &hosts)).collect())
        .unwrap_or_default();
    render::page(
        "userinfo.html",
        &page.visitor,
        minijinja::context! {
            user => jinja(&user),
            perms => jinja(&perms),
            packages => jinja(&packages),
            tasks => tasks,
        },
    )
}
