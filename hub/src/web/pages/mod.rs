//! One module per family of pages; shared helpers for paging and reading handler answers.

pub mod builds;
pub mod hosts;
pub mod index;
pub mod modules;
pub mod packages;
pub mod search;
pub mod tags;
pub mod taskinfo;
pub mod tasks;
pub mod users;

use common::xmlrpc::Value;
use minijinja::Value as JinjaValue;
use serde::Serialize;

use super::params::percent_encode;

/// Rows per listing page, as koji-web shows them.
pub const PER_PAGE: i64 = 50;

/// A handler answer as a template value.
pub fn jinja(value: &Value) -> JinjaValue {
    JinjaValue::from_serialize(value)
}

/// An integer member of a struct answer.
pub fn int_of(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}

/// A page URL with its query parameters (empty values left out).
pub fn page_url(page: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    if query.is_empty() {
        page.to_owned()
    } else {
        format!("{page}?{}", query.join("&"))
    }
}

/// The navigation of a paged listing, koji-web style (`start` and `order` parameters).
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    /// First row shown, 1-based (0 when empty).
    pub first_row: i64,
    /// Last row shown.
    pub last_row: i64,
    /// All rows.
    pub total: i64,
    /// Links to the previous and next pages.
    pub prev: Option<String>,
    /// The next page.
    pub next: Option<String>,
    /// The page numbers around the current one, with links (`None` for the current page).
    pub pages: Vec<(i64, Option<String>)>,
    /// The current `order`, and links ordering by each column: `(field, url)`.
    pub order: String,
}

impl Pager {
    /// Builds the navigation; `params` are the page's other parameters, kept in every link.
    pub fn new(
        page: &str,
        params: &[(&str, String)],
        order: &str,
        start: i64,
        shown: usize,
        total: i64,
    ) -> Pager {
        let link = |start: i64| {
            let mut all = params.to_vec();
            all.push(("order", order.to_owned()));
            if start > 0 {
                all.push(("start", start.to_string()));
            }
            page_url(page, &all)
        };
        let shown = i64::try_from(shown).unwrap_or(0);
        let current = start / PER_PAGE;
        let n_pages = (total + PER_PAGE - 1) / PER_PAGE;
        let pages = (current.saturating_sub(4).max(0)..n_pages.min(current + 5))
            .map(|p| (p + 1, (p != current).then(|| link(p * PER_PAGE))))
            .collect();
        Pager {
            first_row: if shown > 0 { start + 1 } else { 0 },
            last_row: start + shown,
            total,
            prev: (start > 0).then(|| link((start - PER_PAGE).max(0))),
            next: (start + shown < total).then(|| link(start + PER_PAGE)),
            pages,
            order: order.to_owned(),
        }
    }
}

/// The `order` links of a listing's column headers: clicking a column orders by it, clicking
/// it again reverses.
pub fn order_links(page: &str, params: &[(&str, String)], current: &str, fields: &[&str]) -> JinjaValue {
    let links: std::collections::BTreeMap<String, String> = fields
        .iter()
        .map(|field| {
            let order = if current == *field {
                format!("-{field}")
            } else {
                (*field).to_owned()
            };
            let mut all = params.to_vec();
            all.push(("order", order));
            ((*field).to_owned(), page_url(page, &all))
        })
        .collect();
    JinjaValue::from_serialize(&links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_listing() {
        let params = [("state", "all".to_owned()), ("owner", String::new())];
        let pager = Pager::new("tasks", &params, "-id", 50, 50, 10_000);
        assert_eq!((pager.first_row, pager.last_row, pager.total), (51, 100, 10_000));
        assert_eq!(pager.prev.as_deref(), Some("tasks?state=all&order=-id"));
        assert_eq!(pager.next.as_deref(), Some("tasks?state=all&order=-id&start=100"));
        assert_eq!(
            pager.pages.first(),
            Some(&(1, Some("tasks?state=all&order=-id".to_owned())))
        );
        assert!(pager.pages.contains(&(2, None)));
        let last = Pager::new("tasks", &params, "id", 0, 3, 3);
        assert_eq!((last.prev, last.next, last.first_row), (None, None, 1));
    }
}
