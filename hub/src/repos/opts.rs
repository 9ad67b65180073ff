//! Repo options (`src`, `debuginfo`, `separate_src`, `maven`): checking what callers send
//! (Koji's `convert_repo_opts`) and working out a tag's effective options with overrides
//! (Koji's `get_repo_opts`).

use common::xmlrpc::{Struct, Value};

use crate::db::repos::RepoOpts;
use crate::error::{Error, Result};

/// Every option Koji knows.
pub const ALL_OPTS: &[&str] = &["src", "debuginfo", "separate_src", "maven"];

/// Checks options sent by a caller: nil is `{}`; with `strict`, a non-struct or an unknown
/// key is a parameter error, otherwise it is ignored. Nil values count as unspecified.
pub fn convert(value: &Value, strict: bool) -> Result<RepoOpts> {
    let members = match value {
        Value::Nil => return Ok(RepoOpts::new()),
        Value::Struct(members) => members,
        _ if strict => return Err(Error::InvalidValue("Repo opts must be a dictionary".into())),
        _ => return Ok(RepoOpts::new()),
    };
    let mut opts = RepoOpts::new();
    for (key, value) in members {
        if !ALL_OPTS.contains(&key.as_str()) {
            if strict {
                return Err(Error::InvalidValue(format!("Invalid repo option: {key}")));
            }
            continue;
        }
        if value.is_nil() {
            continue;
        }
        opts.insert(key.clone(), value.truthy());
    }
    Ok(opts)
}

/// The options as a wire struct.
pub fn to_value(opts: &RepoOpts) -> Value {
    Value::Struct(
        opts.iter()
            .map(|(k, v)| (k.clone(), Value::Bool(*v)))
            .collect::<Struct>(),
    )
}

/// A tag's effective options and the overrides that differ from its defaults: all off, then
/// the tag's `repo.opts` extra (and the legacy `with_debuginfo`), then `overrides`. Kiln has no
/// Maven support, so `maven` stays off by default.
pub fn effective(tag_extra: &Struct, overrides: Option<&RepoOpts>) -> Result<(RepoOpts, RepoOpts)> {
    let mut opts: RepoOpts = ALL_OPTS.iter().map(|k| ((*k).to_owned(), false)).collect();
    let mut tag_opts = convert(tag_extra.get("repo.opts").unwrap_or(&Value::Nil), false)?;
    if !tag_extra.contains_key("repo.opts")
        && let Some(value) = tag_extra.get("with_debuginfo")
    {
        tag_opts.insert("debuginfo".into(), value.truthy());
    }
    opts.extend(tag_opts);
    let mut custom = RepoOpts::new();
    if let Some(overrides) = overrides {
        if overrides.get("maven").copied().unwrap_or(false) {
            return Err(Error::Generic("Maven support not enabled".into()));
        }
        for (key, value) in overrides {
            if opts.get(key) != Some(value) {
                custom.insert(key.clone(), *value);
            }
        }
        opts.extend(custom.clone());
    }
    Ok((opts, custom))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, bool)]) -> RepoOpts {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn conversion_checks_keys_and_types() {
        assert_eq!(convert(&Value::Nil, true).unwrap(), RepoOpts::new());
        let value = Value::structure([("src", Value::Int(1)), ("debuginfo", Value::Nil)]);
        assert_eq!(convert(&value, true).unwrap(), opts(&[("src", true)]));
        let bad = Value::structure([("bogus", Value::Bool(true))]);
        assert_eq!(
            convert(&bad, true).unwrap_err().to_string(),
            "Invalid repo option: bogus"
        );
        assert_eq!(convert(&bad, false).unwrap(), RepoOpts::new());
        assert_eq!(
            convert(&Value::Int(3), true).unwrap_err().to_string(),
            "Repo opts must be a dictionary"
        );
    }

    #[test]
    fn effective_options_layer_tag_config_and_overrides() {
        let mut extra = Struct::new();
        let (all, custom) = effective(&extra, None).unwrap();
        assert_eq!(
            all,
            opts(&[
                ("src", false),
                ("debuginfo", false),
                ("separate_src", false),
                ("maven", false)
            ])
        );
        assert!(custom.is_empty());
        extra.insert("repo.opts".into(), Value::structure([("src", Value::Bool(true))]));
        let (all, custom) = effective(&extra, Some(&opts(&[("src", true), ("debuginfo", true)]))).unwrap();
        assert_eq!(all.get("src"), Some(&true));
        assert_eq!(all.get("debuginfo"), Some(&true));
        assert_eq!(custom, opts(&[("debuginfo", true)]));
        let err = effective(&extra, Some(&opts(&[("maven", true)]))).unwrap_err();
        assert_eq!(err.to_string(), "Maven support not enabled");
    }
}
