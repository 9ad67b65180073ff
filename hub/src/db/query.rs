//! The one builder for dynamic listing queries (Koji's `queryOpts`): filters bound as `$n`
//! parameters, and ordering only by whitelisted fields.

use common::xmlrpc::Value;
use tokio_postgres::types::ToSql;

use crate::error::{Error, Result};

/// Koji's `queryOpts`: ordering, paging and counting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOpts {
    /// Fields to order by, with `true` for descending.
    pub order: Vec<(String, bool)>,
    /// Maximum rows.
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
    /// Return the count instead of rows.
    pub count_only: bool,
    /// Return rows as arrays instead of structs (Koji's `asList`).
    pub as_list: bool,
}

impl QueryOpts {
    /// Reads `queryOpts` as clients send it (nil or a struct).
    pub fn from_value(value: &Value) -> Result<QueryOpts> {
        let Some(members) = value.as_struct() else {
            return if value.is_nil() {
                Ok(QueryOpts::default())
            } else {
                Err(Error::InvalidValue(format!(
                    "queryOpts must be a struct, not {}",
                    value.type_name()
                )))
            };
        };
        let mut opts = QueryOpts::default();
        if let Some(order) = members.get("order").and_then(Value::as_str) {
            for field in order.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                match field.strip_prefix('-') {
                    Some(name) => opts.order.push((name.to_owned(), true)),
                    None => opts.order.push((field.to_owned(), false)),
                }
            }
        }
        let int = |key: &str| -> Result<Option<i64>> {
            match members.get(key) {
                None | Some(Value::Nil) => Ok(None),
                Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                    Error::InvalidValue(format!("queryOpts {key} must be a non-negative integer"))
                }),
            }
        };
        opts.limit = int("limit")?;
        opts.offset = int("offset")?;
        opts.count_only = members.get("countOnly").is_some_and(Value::truthy);
        opts.as_list = members.get("asList").is_some_and(Value::truthy);
        Ok(opts)
    }
}

/// A parameter value owned by the builder.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// Builds `SELECT … WHERE … ORDER BY … LIMIT … OFFSET …` with bound parameters.
#[derive(Debug)]
pub struct SqlBuilder {
    select: String,
    from: String,
    clauses: Vec<String>,
    params: Vec<Param>,
    tail: String,
}

impl SqlBuilder {
    /// Starts a query: `select` is the column list, `from` the FROM clause with its joins.
    pub fn new(select: &str, from: &str) -> SqlBuilder {
        SqlBuilder {
            select: select.to_owned(),
            from: from.to_owned(),
            clauses: Vec::new(),
            params: Vec::new(),
            tail: String::new(),
        }
    }

    /// Appends columns to the select list (for columns that use placeholders bound later).
    pub fn add_columns(&mut self, columns: &str) {
        if !self.select.is_empty() {
            self.select.push_str(", ");
        }
        self.select.push_str(columns);
    }

    /// Adds a bound parameter and returns its placeholder (`$n`).
    pub fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// Adds a condition; `{}` in `clause` stands for the placeholder of `value`.
    pub fn filter(&mut self, clause: &str, value: impl ToSql + Sync + Send + 'static) {
        let placeholder = self.bind(value);
        self.clauses.push(clause.replace("{}", &placeholder));
    }

    /// Adds a condition without parameters.
    pub fn filter_raw(&mut self, clause: &str) {
        self.clauses.push(clause.to_owned());
    }

    /// Sets ORDER BY, LIMIT and OFFSET from `opts`. `fields` maps each orderable API field name
    /// to its SQL expression; `default_order` applies when `opts` names none.
    pub fn order_and_page(
        &mut self,
        opts: &QueryOpts,
        fields: &[(&str, &str)],
        default_order: &str,
    ) -> Result<()> {
        let mut order = Vec::new();
        for (name, descending) in &opts.order {
            let expr = fields
                .iter()
                .find(|(api, _)| api == name)
                .map(|(_, sql)| *sql)
                .ok_or_else(|| Error::InvalidValue(format!("Invalid order field: {name}")))?;
            order.push(format!("{expr}{}", if *descending { " DESC" } else { "" }));
        }
        let order = if order.is_empty() {
            default_order.to_owned()
        } else {
            order.join(", ")
        };
        self.tail.clear();
        if !order.is_empty() {
            self.tail.push_str(" ORDER BY ");
            self.tail.push_str(&order);
        }
        if let Some(limit) = opts.limit {
            let p = self.bind(limit);
            self.tail.push_str(&format!(" LIMIT {p}"));
        }
        if let Some(offset) = opts.offset {
            let p = self.bind(offset);
            self.tail.push_str(&format!(" OFFSET {p}"));
        }
        Ok(())
    }

    /// Replaces the ORDER BY / LIMIT / OFFSET tail with text built by the caller (whose
    /// parameters it bound with [`SqlBuilder::bind`]).
    pub fn set_tail(&mut self, tail: &str) {
        self.tail = tail.to_owned();
    }

    fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The full row query.
    pub fn sql(&self) -> String {
        format!(
            "SELECT {} FROM {}{}{}",
            self.select,
            self.from,
            self.where_clause(),
            self.tail
        )
    }

    /// The count query (paging ignored, as Koji does for `countOnly`).
    pub fn count_sql(&self) -> String {
        format!("SELECT count(*) FROM {}{}", self.from, self.where_clause())
    }

    /// The bound parameters, for `query(&sql, &params)`.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }

    /// The parameters of the count query: those bound before paging was added.
    pub fn count_params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let n_paging = self.tail.matches(" LIMIT ").count() + self.tail.matches(" OFFSET ").count();
        let params = self.params();
        let keep = params.len().saturating_sub(n_paging);
        params.into_iter().take(keep).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_filtered_ordered_queries() {
        let opts = QueryOpts::from_value(&Value::structure([
            ("order", Value::from("-id,name")),
            ("limit", Value::Int(5)),
        ]))
        .unwrap();
        let mut q = SqlBuilder::new("id, name", "users");
        q.filter("usertype = {}", 0_i32);
        q.order_and_page(&opts, &[("id", "users.id"), ("name", "users.name")], "users.id")
            .unwrap();
        assert_eq!(
            q.sql(),
            "SELECT id, name FROM users WHERE usertype = $1 ORDER BY users.id DESC, users.name LIMIT $2"
        );
        assert_eq!(q.count_sql(), "SELECT count(*) FROM users WHERE usertype = $1");
        assert_eq!(q.params().len(), 2);
        assert_eq!(q.count_params().len(), 1);
    }

    #[test]
    fn refuses_unknown_order_fields() {
        let opts = QueryOpts::from_value(&Value::structure([(
            "order",
            Value::from("password; DROP TABLE x"),
        )]))
        .unwrap();
        let mut q = SqlBuilder::new("id", "users");
        assert!(q.order_and_page(&opts, &[("id", "id")], "id").is_err());
    }
}
