//! The ways callers name tags, targets, packages and groups (an id, a name, or a struct with
//! `id` or `name`), resolved Koji's way, and the checks every change to a tag goes through.

use common::xmlrpc::Value;

use crate::db::names::{NameOrId, NameRow, Registry};
use crate::db::tags::TagRow;
use crate::db::{self, Client};
use crate::error::{Error, Result};
use crate::rpc::call::{Authorized, Call};

/// Python's `str()` of a value: strings as they are, everything else as `repr()`.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Koji's `name_or_id_clause`: an int is an id, a string a name, a struct holds `id` or `name`.
pub fn name_or_id(value: &Value) -> Result<NameOrId> {
    let invalid = || Error::InvalidNameOrId { value: py_str(value) };
    match value {
        Value::Int(id) => Ok(NameOrId::Id(*id)),
        Value::String(name) => Ok(NameOrId::Name(name.clone())),
        Value::Struct(members) => {
            if let Some(id) = members.get("id") {
                id.as_i64().map(NameOrId::Id).ok_or_else(invalid)
            } else if let Some(name) = members.get("name") {
                name_or_id(name)
            } else {
                Err(invalid())
            }
        }
        _ => Err(invalid()),
    }
}

/// The registry row `value` names, if any.
pub async fn lookup(client: &Client, registry: Registry, value: &Value) -> Result<Option<NameRow>> {
    db::names::lookup(client, registry, &name_or_id(value)?).await
}

/// The registry row `value` names; "No such entry in table …" when there is none.
pub async fn require(client: &Client, registry: Registry, value: &Value) -> Result<NameRow> {
    lookup(client, registry, value)
        .await?
        .ok_or_else(|| Error::NoSuchEntry {
            table: registry.table(),
            key: py_str(value),
        })
}

/// The tag `value` names as it was at `event` (now when `None`), if it existed then.
pub async fn get_tag(client: &Client, value: &Value, event: Option<i64>) -> Result<Option<TagRow>> {
    db::tags::get(client, &name_or_id(value)?, event).await
}

/// Like [`get_tag`], but a missing tag is Koji's "No such tagInfo: 'x'".
pub async fn require_tag(client: &Client, value: &Value, event: Option<i64>) -> Result<TagRow> {
    get_tag(client, value, event)
        .await?
        .ok_or_else(|| Error::NoSuchTag {
            tag: value.to_string(),
        })
}

/// Refuses names Kiln does not store for tags, targets, packages or groups (Koji's
/// `verify_name_internal` with its default pattern).
pub fn validate_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_.+-".contains(c);
    if name.is_empty() || name.len() > 256 || !name.chars().all(allowed) {
        return Err(Error::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Koji's `parse_arches(arches, strict=True, allow_none=True)`: nil becomes `""`, and only
/// space-separated names of letters, digits, `_` and `-` pass.
pub fn parse_arches(value: &Value) -> Result<String> {
    let text = match value {
        Value::Nil => "",
        Value::String(s) => s.as_str(),
        other => {
            return Err(Error::InvalidValue(format!(
                "Invalid type for arches: {}",
                other.type_name()
            )));
        }
    };
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ' ')
    {
        return Err(Error::Generic("Architecture can be only [a-zA-Z0-9_-]".into()));
    }
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Reads an optional event argument (nil or an event id).
pub fn event_arg(value: &Value) -> Result<Option<i64>> {
    match value {
        Value::Nil => Ok(None),
        other => other
            .as_i64()
            .filter(|_| !matches!(other, Value::Bool(_)))
            .map(Some)
            .ok_or_else(|| Error::Generic(format!("Invalid event: {other}"))),
    }
}

/// What a change to a tag's contents must satisfy before the tag's own lock and permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// Koji's `assertPerm(…)`: the permission or admin.
    Perm(&'static str),
    /// Koji's default `package_list` policy: admin or `tag`, else "policy violation".
    PackageList,
}

/// Authorizes a change to `tag` (`None` for a deleted tag): the base check, then, for
/// non-admins, the tag's lock and its required permission.
pub async fn authorize_tag_change(
    cx: &mut Call<'_>,
    tag: Option<&TagRow>,
    how: TagChange,
) -> Result<Authorized> {
    let who = match how {
        TagChange::Perm(perm) => cx.assert_perm(perm).await?,
        TagChange::PackageList => {
            let who = cx.assert_login()?;
            if !(cx.has_perm("admin").await? || cx.has_perm("tag").await?) {
                return Err(Error::PolicyViolation {
                    policy: "package_list",
                    user: who.user_name,
                });
            }
            who
        }
    };
    let Some(tag) = tag else {
        return Ok(who);
    };
    if cx.is_admin().await? {
        return Ok(who);
    }
    if tag.locked {
        return Err(Error::TagLocked {
            tag: tag.name.clone(),
        });
    }
    if let Some(perm) = &tag.perm
        && !cx.has_perm(perm).await?
    {
        return Err(Error::TagPermissionRequired {
            tag: tag.name.clone(),
            perm: perm.clone(),
        });
    }
    Ok(who)
}

/// The change record for the call's event, made by `who`.
pub async fn change(cx: &mut Call<'_>, who: &Authorized) -> Result<db::versioned::Change> {
    Ok(db::versioned::Change {
        event_id: cx.event().await?,
        user_id: who.user_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_or_ids() {
        assert_eq!(name_or_id(&Value::Int(5)).unwrap(), NameOrId::Id(5));
        assert_eq!(
            name_or_id(&Value::from("f40")).unwrap(),
            NameOrId::Name("f40".into())
        );
        assert_eq!(
            name_or_id(&Value::structure([("name", Value::from("x"))])).unwrap(),
            NameOrId::Name("x".into())
        );
        assert_eq!(
            name_or_id(&Value::structure([("id", Value::from("7"))])).unwrap(),
            NameOrId::Id(7)
        );
        assert_eq!(
            name_or_id(&Value::Array(vec![])).unwrap_err().to_string(),
            "Invalid name or id value: []"
        );
        assert_eq!(
            name_or_id(&Value::structure([("x", Value::Int(1))]))
                .unwrap_err()
                .to_string(),
            "Invalid name or id value: {'x': 1}"
        );
    }

    #[test]
    fn arches_are_normalized() {
        assert_eq!(parse_arches(&Value::Nil).unwrap(), "");
        assert_eq!(
            parse_arches(&Value::from(" x86_64  aarch64 ")).unwrap(),
            "x86_64 aarch64"
        );
        assert_eq!(
            parse_arches(&Value::from("x86_64,aarch64"))
                .unwrap_err()
                .to_string(),
            "Architecture can be only [a-zA-Z0-9_-]"
        );
    }

    #[test]
    fn names() {
        assert!(validate_name("f40-build_2.x+y/z").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_name(&"x".repeat(257)).is_err());
    }
}
