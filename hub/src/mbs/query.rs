//! Query strings of the list endpoints (mbs.md §3.4): filters, ordering, paging, verbosity, and
//! the `meta` pagination block.

use common::states::{BuildState, ModuleBuildState};
use regex::Regex;
use serde_json::{Value, json};

use super::error::ApiError;
use super::json::Verbosity;
use crate::db::modules::{
    BOOLEAN_COLUMNS, COMPONENT_FILTER_COLUMNS, FilterValue, ListQuery, MODULE_FILTER_COLUMNS, TimeColumn,
};

/// Decoded `key=value` pairs in order (repeated keys kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// The pairs.
    pub pairs: Vec<(String, String)>,
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                if let Some(value) = hex {
                    out.push(value);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Params {
    /// Parses a query string.
    pub fn parse(query: Option<&str>) -> Params {
        let pairs = query
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key), percent_decode(value))
            })
            .collect();
        Params { pairs }
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A `true`/`1` flag.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// `short` / `verbose`.
    pub fn verbosity(&self) -> Verbosity {
        if self.flag("verbose") {
            Verbosity::Extended
        } else if self.flag("short") {
            Verbosity::Short
        } else {
            Verbosity::Default
        }
    }
}

/// The page asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub page: i64,
    /// Items per page.
    pub per_page: i64,
}

fn page(params: &Params) -> Result<Page, ApiError> {
    let number = |key: &str, default: i64| -> Result<i64, ApiError> {
        match params.get(key) {
            None | Some("") => Ok(default),
            Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::bad_request(format!("The \"{key}\" query option must be a positive integer"))
            }),
        }
    };
    Ok(Page {
        page: number("page", 1)?,
        per_page: number("per_page", 10)?,
    })
}

fn order(
    params: &Params,
    columns: &[&'static str],
    extra: &[&'static str],
) -> Result<Vec<(&'static str, bool)>, ApiError> {
    let ascending = params.all("order_by");
    let descending = params.all("order_desc_by");
    if !ascending.is_empty() && !descending.is_empty() {
        return Err(ApiError::bad_request(
            "You may not specify both order_by and order_desc_by",
        ));
    }
    let (keys, desc) = if ascending.is_empty() {
        (descending, true)
    } else {
        (ascending, false)
    };
    keys.into_iter()
        .map(|key| {
            let column = columns
                .iter()
                .chain(extra.iter())
                .find(|c| **c == key)
                .copied()
                .ok_or_else(|| {
                    ApiError::bad_request(format!("An invalid ordering key of \"{key}\" was supplied"))
                })?;
            Ok((column, desc))
        })
        .collect()
}

fn equals(params: &Params, columns: &[&'static str]) -> Vec<(&'static str, FilterValue)> {
    let mut filters = Vec::new();
    for (key, value) in &params.pairs {
        let Some(column) = columns.iter().find(|c| **c == key.as_str()) else {
            continue;
        };
        let value = if BOOLEAN_COLUMNS.contains(column) {
            FilterValue::Bool(value.eq_ignore_ascii_case("true") || value == "1")
        } else {
            FilterValue::Text(value.clone())
        };
        filters.push((*column, value));
    }
    filters
}

fn reject_id(params: &Params, url_base: &str) -> Result<(), ApiError> {
    if let Some(id) = params.get("id") {
        return Err(ApiError::bad_request(format!(
            "The \"id\" query option is invalid. Did you mean to go to \"{url_base}{id}\"?"
        )));
    }
    Ok(())
}

fn zulu_pattern() -> Option<Regex> {
    Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$").ok()
}

/// The listing of module builds `params` asks for, and its page.
pub fn module_query(params: &Params, url_base: &str) -> Result<(ListQuery, Page), ApiError> {
    reject_id(params, url_base)?;
    let page = page(params)?;
    let mut query = ListQuery {
        equals: equals(params, MODULE_FILTER_COLUMNS),
        order: order(
            params,
            MODULE_FILTER_COLUMNS,
            &["state", "time_submitted", "time_modified", "time_completed"],
        )?,
        ..ListQuery::default()
    };
    for state in params.all("state") {
        let parsed = state
            .parse::<i32>()
            .ok()
            .and_then(ModuleBuildState::from_code)
            .or_else(|| ModuleBuildState::from_name(state))
            .ok_or_else(|| ApiError::bad_request(format!("Invalid state was supplied: {state}")))?;
        query.states.push(Some(parsed.code()));
    }
    if let Some(nsvc) = params.get("nsvc") {
        query.nsvc = nsvc.split(':').map(str::to_owned).collect();
    }
    let pattern = zulu_pattern();
    for (key, column, before) in [
        ("submitted_before", TimeColumn::Submitted, true),
        ("submitted_after", TimeColumn::Submitted, false),
        ("modified_before", TimeColumn::Modified, true),
        ("modified_after", TimeColumn::Modified, false),
        ("completed_before", TimeColumn::Completed, true),
        ("completed_after", TimeColumn::Completed, false),
    ] {
        if let Some(value) = params.get(key) {
            if !pattern.as_ref().is_some_and(|p| p.is_match(value)) {
                return Err(ApiError::bad_request(format!(
                    "An invalid Zulu ISO 8601 timestamp was provided for the \"{key}\" parameter"
                )));
            }
            query
                .times
                .push((column, before, value.trim_end_matches('Z').to_owned()));
        }
    }
    query.virtual_streams = params
        .all("virtual_stream")
        .into_iter()
        .map(str::to_owned)
        .collect();
    query.limit = page.per_page;
    query.offset = (page.page - 1).saturating_mul(page.per_page);
    Ok((query, page))
}

/// The listing of components `params` asks for, and its page.
pub fn component_query(params: &Params, url_base: &str) -> Result<(ListQuery, Page), ApiError> {
    reject_id(params, url_base)?;
    let page = page(params)?;
    let mut query = ListQuery {
        equals: equals(params, COMPONENT_FILTER_COLUMNS),
        order: order(params, COMPONENT_FILTER_COLUMNS, &["state"])?,
        ..ListQuery::default()
    };
    if let Some(module_id) = params.get("module_build") {
        query
            .equals
            .push(("module_id", FilterValue::Text(module_id.to_owned())));
    }
    for state in params.all("state") {
        let parsed = state
            .parse::<i32>()
            .ok()
            .and_then(BuildState::from_code)
            .or_else(|| BuildState::from_name(state))
            .ok_or_else(|| ApiError::bad_request(format!("Invalid state was supplied: {state}")))?;
        query.states.push(Some(parsed.code()));
    }
    query.limit = page.per_page;
    query.offset = (page.page - 1).saturating_mul(page.per_page);
    Ok((query, page))
}

/// MBS's `meta` block: `first`/`last`/`prev`/`next` repeat the query with the page fields last.
pub fn meta(params: &Params, page: Page, total: i64, url: &str) -> Value {
    let pages = if total == 0 {
        0
    } else {
        (total + page.per_page - 1) / page.per_page
    };
    let kept: Vec<String> = params
        .pairs
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    let link = |number: i64| {
        let mut parts = kept.clone();
        parts.push(format!("per_page={}", page.per_page));
        parts.push(format!("page={number}"));
        format!("{url}?{}", parts.join("&"))
    };
    let last_page = pages.max(1);
    json!({
        "page": page.page,
        "pages": pages,
        "per_page": page.per_page,
        "total": total,
        "first": link(1),
        "last": link(last_page),
        "prev": if page.page > 1 { Value::String(link(page.page - 1)) } else { Value::Null },
        "next": if page.page < pages { Value::String(link(page.page + 1)) } else { Value::Null },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_module_queries() {
        let params = Params::parse(Some(
            "state=ready&state=1&nsvc=platform:f39&order_desc_by=version&per_page=5&page=2",
        ));
        let (query, page) = module_query(&params, "/x/").unwrap();
        assert_eq!(query.states, vec![Some(5), Some(1)]);
        assert_eq!(query.nsvc, vec!["platform", "f39"]);
        assert_eq!(query.order, vec![("version", true)]);
        assert_eq!((query.limit, query.offset), (5, 5));
        assert_eq!(page, Page { page: 2, per_page: 5 });

        let check = |query: &str, message: &str| {
            let error = module_query(&Params::parse(Some(query)), "/m/").unwrap_err();
            assert_eq!((error.status, error.message.as_str()), (400, message), "{query}");
        };
        check("state=bogus", "Invalid state was supplied: bogus");
        check(
            "order_by=id&order_desc_by=name",
            "You may not specify both order_by and order_desc_by",
        );
        check(
            "order_by=nope",
            "An invalid ordering key of \"nope\" was supplied",
        );
        check(
            "id=3",
            "The \"id\" query option is invalid. Did you mean to go to \"/m/3\"?",
        );
        check(
            "submitted_after=yesterday",
            "An invalid Zulu ISO 8601 timestamp was provided for the \"submitted_after\" parameter",
        );
    }

    #[test]
    fn meta_links_repeat_the_query() {
        let params = Params::parse(Some("owner=alice&page=2&per_page=1"));
        let meta = meta(&params, Page { page: 2, per_page: 1 }, 3, "http://h/m/");
        assert_eq!(meta["pages"], 3);
        assert_eq!(meta["prev"], "http://h/m/?owner=alice&per_page=1&page=1");
        assert_eq!(meta["next"], "http://h/m/?owner=alice&per_page=1&page=3");
        assert_eq!(meta["last"], "http://h/m/?owner=alice&per_page=1&page=3");
    }
}
