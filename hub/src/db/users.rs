//! Users, groups, Kerberos principals and permissions.

use common::states::{UserStatus, UserType};
use tokio_postgres::Row;

use super::Client;
use super::query::{QueryOpts, SqlBuilder};
use super::types::Tx;
use crate::error::{Error, Result};

/// A `users` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user id.
    pub id: i64,
    /// The login name.
    pub name: String,
    /// NORMAL or BLOCKED.
    pub status: UserStatus,
    /// NORMAL, HOST or GROUP.
    pub usertype: UserType,
    /// The argon2 hash of the password, if password login is allowed.
    pub password_hash: Option<String>,
}

const USER_COLUMNS: &str = "users.id, users.name, users.status, users.usertype, users.password_hash";

impl UserRow {
    fn from_row(row: &Row) -> Result<UserRow> {
        let status: i32 = row.try_get("status")?;
        let usertype: i32 = row.try_get("usertype")?;
        Ok(UserRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            status: UserStatus::from_code(status).ok_or_else(|| Error::CorruptRow {
                table: "users",
                detail: format!("status {status}"),
            })?,
            usertype: UserType::from_code(usertype).ok_or_else(|| Error::CorruptRow {
                table: "users",
                detail: format!("usertype {usertype}"),
            })?,
            password_hash: row.try_get("password_hash")?,
        })
    }
}

/// A user by id.
pub async fn get_by_id(client: &Client, user_id: i64) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    client
        .query_opt(&sql, &[&user_id])
        .await?
        .as_ref()
        .map(UserRow::from_row)
        .transpose()
}

/// A user by name.
pub async fn get_by_name(client: &Client, name: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1");
    client
        .query_opt(&sql, &[&name])
        .await?
        .as_ref()
        .map(UserRow::from_row)
        .transpose()
}

/// A user by Kerberos principal.
pub async fn get_by_principal(client: &Client, principal: &str) -> Result<Option<UserRow>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users JOIN user_krb_principals p ON p.user_id = users.id WHERE p.krb_principal = $1"
    );
    client
        .query_opt(&sql, &[&principal])
        .await?
        .as_ref()
        .map(UserRow::from_row)
        .transpose()
}

/// The Kerberos principals of a user.
pub async fn principals(client: &Client, user_id: i64) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT krb_principal FROM user_krb_principals WHERE user_id = $1 ORDER BY krb_principal",
            &[&user_id],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Adds a Kerberos principal to a user.
pub async fn add_principal(tx: &Tx<'_>, user_id: i64, principal: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO user_krb_principals (user_id, krb_principal) VALUES ($1, $2)",
        &[&user_id, &principal],
    )
    .await?;
    Ok(())
}

/// Creates a user and returns its id.
pub async fn create(
    tx: &Tx<'_>,
    name: &str,
    usertype: UserType,
    status: UserStatus,
    password_hash: Option<&str>,
) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO users (name, usertype, status, password_hash) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&name, &usertype.code(), &status.code(), &password_hash],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Sets a user's status.
pub async fn set_status(tx: &Tx<'_>, user_id: i64, status: UserStatus) -> Result<()> {
    tx.execute(
        "UPDATE users SET status = $2 WHERE id = $1",
        &[&user_id, &status.code()],
    )
    .await?;
    Ok(())
}

/// Renames a user.
pub async fn rename(tx: &Tx<'_>, user_id: i64, name: &str) -> Result<()> {
    tx.execute("UPDATE users SET name = $2 WHERE id = $1", &[&user_id, &name])
        .await?;
    Ok(())
}

/// Sets (or clears) a user's password hash.
pub async fn set_password_hash(tx: &Tx<'_>, user_id: i64, password_hash: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&user_id, &password_hash],
    )
    .await?;
    Ok(())
}

/// Changes a NORMAL user into another type (Koji's `addHost(force=True)`).
pub async fn set_usertype(tx: &Tx<'_>, user_id: i64, usertype: UserType) -> Result<()> {
    tx.execute(
        "UPDATE users SET usertype = $2 WHERE id = $1",
        &[&user_id, &usertype.code()],
    )
    .await?;
    Ok(())
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this type.
    pub usertype: Option<UserType>,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Only users holding this permission directly (or through a group when `inherited_perm`).
    pub perm: Option<String>,
    /// Count permissions held through groups.
    pub inherited_perm: bool,
}

/// Lists users.
pub async fn list(client: &Client, filter: &UserFilter, opts: &QueryOpts) -> Result<Vec<UserRow>> {
    let mut q = SqlBuilder::new(USER_COLUMNS, "users");
    if let Some(usertype) = filter.usertype {
        q.filter("users.usertype = {}", usertype.code());
    }
    if let Some(prefix) = &filter.prefix {
        q.filter("users.name LIKE {} || '%'", escape_like(prefix));
    }
    if let Some(perm) = &filter.perm {
        if filter.inherited_perm {
            q.filter(
                "users.id IN (SELECT m.user_id FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
                 JOIN (SELECT id AS user_id, id AS holder FROM users \
                       UNION SELECT user_id, group_id FROM user_groups WHERE active) m ON m.holder = up.user_id \
                 WHERE up.active AND p.name = {})",
                perm.clone(),
            );
        } else {
            q.filter(
                "users.id IN (SELECT up.user_id FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
                 WHERE up.active AND p.name = {})",
                perm.clone(),
            );
        }
    }
    q.order_and_page(
        opts,
        &[
            ("id", "users.id"),
            ("name", "users.name"),
            ("status", "users.status"),
            ("usertype", "users.usertype"),
        ],
        "users.id",
    )?;
    let rows = client.query(&q.sql(), &q.params()).await?;
    rows.iter().map(UserRow::from_row).collect()
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A `permissions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRow {
    /// The permission id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it allows.
    pub description: Option<String>,
}

/// Every permission, by id.
pub async fn all_permissions(client: &Client) -> Result<Vec<PermissionRow>> {
    let rows = client
        .query("SELECT id, name, description FROM permissions ORDER BY id", &[])
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PermissionRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
            })
        })
        .collect()
}

/// A permission by name.
pub async fn permission_by_name(client: &Client, name: &str) -> Result<Option<PermissionRow>> {
    let row = client
        .query_opt(
            "SELECT id, name, description FROM permissions WHERE name = $1",
            &[&name],
        )
        .await?;
    row.map(|r| {
        Ok(PermissionRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
        })
    })
    .transpose()
}

/// Creates a permission.
pub async fn create_permission(tx: &Tx<'_>, name: &str, description: Option<&str>) -> Result<i64> {
    let row = tx
        .query_one(
            "INSERT INTO permissions (name, description) VALUES ($1, $2) RETURNING id",
            &[&name, &description],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// The permission names a user holds directly, and through groups when `with_groups`.
pub async fn user_permissions(client: &Client, user_id: i64, with_groups: bool) -> Result<Vec<String>> {
    let rows = if with_groups {
        client
            .query(
                "SELECT DISTINCT p.name FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
                 WHERE up.active AND (up.user_id = $1 OR up.user_id IN \
                   (SELECT group_id FROM user_groups WHERE user_id = $1 AND active)) ORDER BY p.name",
                &[&user_id],
            )
            .await?
    } else {
        client
            .query(
                "SELECT p.name FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
                 WHERE up.active AND up.user_id = $1 ORDER BY p.name",
                &[&user_id],
            )
            .await?
    };
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// True if the user holds the permission directly.
pub async fn has_direct_permission(client: &Client, user_id: i64, perm_id: i64) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM user_perms WHERE user_id = $1 AND perm_id = $2 AND active)",
            &[&user_id, &perm_id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Grants a permission at `event_id`.
pub async fn grant_permission(
    tx: &Tx<'_>,
    user_id: i64,
    perm_id: i64,
    creator_id: i64,
    event_id: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO user_perms (user_id, perm_id, creator_id, create_event) VALUES ($1, $2, $3, $4)",
        &[&user_id, &perm_id, &creator_id, &event_id],
    )
    .await?;
    Ok(())
}

/// Revokes a permission at `event_id`; returns false if it was not held.
pub async fn revoke_permission(
    tx: &Tx<'_>,
    user_id: i64,
    perm_id: i64,
    revoker_id: i64,
    event_id: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE user_perms SET active = NULL, revoke_event = $4, revoker_id = $3 \
             WHERE user_id = $1 AND perm_id = $2 AND active",
            &[&user_id, &perm_id, &revoker_id, &event_id],
        )
        .await?;
    Ok(n > 0)
}

/// The names of the groups a user belongs to.
pub async fn group_names(client: &Client, user_id: i64) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT g.name FROM user_groups ug JOIN users g ON g.id = ug.group_id \
             WHERE ug.user_id = $1 AND ug.active ORDER BY g.name",
            &[&user_id],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Adds a user to a group at `event_id`.
pub async fn add_group_member(
    tx: &Tx<'_>,
    group_id: i64,
    user_id: i64,
    creator_id: i64,
    event_id: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO user_groups (user_id, group_id, creator_id, create_event) VALUES ($1, $2, $3, $4)",
        &[&user_id, &group_id, &creator_id, &event_id],
    )
    .await?;
    Ok(())
}

/// Removes a user from a group at `event_id`; returns false if not a member.
pub async fn drop_group_member(
    tx: &Tx<'_>,
    group_id: i64,
    user_id: i64,
    revoker_id: i64,
    event_id: i64,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE user_groups SET active = NULL, revoke_event = $4, revoker_id = $3 \
             WHERE user_id = $1 AND group_id = $2 AND active",
            &[&user_id, &group_id, &revoker_id, &event_id],
        )
        .await?;
    Ok(n > 0)
}

/// The members of a group.
pub async fn group_members(client: &Client, group_id: i64) -> Result<Vec<UserRow>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users JOIN user_groups ug ON ug.user_id = users.id \
         WHERE ug.group_id = $1 AND ug.active ORDER BY users.id"
    );
    let rows = client.query(&sql, &[&group_id]).await?;
    rows.iter().map(UserRow::from_row).collect()
}
