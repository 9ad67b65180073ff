//! A reader for the INI dialect of Python's `configparser`, which Koji's configuration files
//! use: `[sections]`, `key = value` or `key: value`, indented continuation lines, `#`/`;`
//! comment lines, a `[DEFAULT]` section and `%(name)s` interpolation.

use std::collections::BTreeMap;

/// Options of one section, keys lower-cased as `configparser` does.
pub type Section = BTreeMap<String, String>;

/// Parsed files: sections merged in the order read (later files override earlier ones).
#[derive(Debug, Default, Clone)]
pub struct Ini {
    defaults: Section,
    sections: BTreeMap<String, Section>,
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    /// A line that is neither a section, an option, a comment nor a continuation.
    #[error("line {line}: cannot parse {text:?}")]
    Syntax {
        /// The 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// An option before any section header.
    #[error("line {line}: option outside of a section")]
    NoSection {
        /// The 1-based line number.
        line: usize,
    },
    /// A `%` that is not `%%` or `%(name)s`, or a reference to a missing option.
    #[error("bad interpolation in option {key:?} of section {section:?}: {reason}")]
    Interpolation {
        /// The section.
        section: String,
        /// The option.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl Ini {
    /// An empty set of sections.
    pub fn new() -> Ini {
        Ini::default()
    }

    /// Reads one file's text, merging it into what was read before.
    pub fn read_str(&mut self, text: &str) -> Result<(), IniError> {
        // Which section the current option lives in, its key, and its indentation.
        let mut current: Option<String> = None;
        let mut last_key: Option<(String, usize)> = None;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let stripped = raw.trim();
            let indent = raw.len() - raw.trim_start().len();
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            if stripped.is_empty() {
                // A blank line ends a multi-line value, as with empty_lines_in_values=False.
                last_key = None;
                continue;
            }
            if let (Some(section), Some((key, key_indent))) = (&current, &last_key)
                && indent > *key_indent
            {
                let target = self.section_mut(section);
                if let Some(value) = target.get_mut(key) {
                    if !value.is_empty() {
                        value.push('\n');
                    }
                    value.push_str(stripped);
                }
                continue;
            }
            if let Some(rest) = stripped.strip_prefix('[')
                && let Some(end) = rest.rfind(']')
                && end > 0
            {
                let name = rest.get(..end).unwrap_or_default().to_owned();
                if name != "DEFAULT" {
                    self.sections.entry(name.clone()).or_default();
                }
                current = Some(name);
                last_key = None;
                continue;
            }
            let Some(split) = stripped.find(['=', ':']) else {
                return Err(IniError::Syntax {
                    line: line_no,
                    text: raw.to_owned(),
                });
            };
            let key = stripped.get(..split).unwrap_or_default().trim().to_lowercase();
            let value = stripped.get(split + 1..).unwrap_or_default().trim().to_owned();
            if key.is_empty() {
                return Err(IniError::Syntax {
                    line: line_no,
                    text: raw.to_owned(),
                });
            }
            let Some(section) = &current else {
                return Err(IniError::NoSection { line: line_no });
            };
            self.section_mut(section).insert(key.clone(), value);
            last_key = Some((key, indent));
        }
        Ok(())
    }

    fn section_mut(&mut self, name: &str) -> &mut Section {
        if name == "DEFAULT" {
            return &mut self.defaults;
        }
        self.sections.entry(name.to_owned()).or_default()
    }

    /// True when a section of that name was read (`DEFAULT` does not count).
    pub fn has_section(&self, name: &str) -> bool {
        self.sections.contains_key(name)
    }

    /// A section's options with the defaults filled in and `%(name)s` interpolated.
    pub fn items(&self, name: &str) -> Result<Option<Section>, IniError> {
        let Some(own) = self.sections.get(name) else {
            return Ok(None);
        };
        let mut raw = self.defaults.clone();
        raw.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut out = Section::new();
        for (key, value) in &raw {
            out.insert(key.clone(), interpolate(name, key, value, &raw, 0)?);
        }
        Ok(Some(out))
    }
}

/// Python's `BasicInterpolation`: `%%` is a percent sign, `%(name)s` the value of `name`.
fn interpolate(
    section: &str,
    key: &str,
    value: &str,
    all: &Section,
    depth: usize,
) -> Result<String, IniError> {
    let error = |reason: String| IniError::Interpolation {
        section: section.to_owned(),
        key: key.to_owned(),
        reason,
    };
    if depth > 10 {
        return Err(error("references nest too deeply".into()));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('%') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('(') {
            let Some(close) = tail.find(")s") else {
                return Err(error(format!("bad reference in {value:?}")));
            };
            let name = tail.get(..close).unwrap_or_default().to_lowercase();
            let Some(referenced) = all.get(&name) else {
                return Err(error(format!("no option {name:?}")));
            };
            out.push_str(&interpolate(section, &name, referenced, all, depth + 1)?);
            rest = tail.get(close + 2..).unwrap_or_default();
        } else {
            return Err(error(format!("'%' must be followed by '%' or '(' in {value:?}")));
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(files: &[&str], section: &str, expected: &[(&str, &str)]) {
        let mut ini = Ini::new();
        for text in files {
            ini.read_str(text).unwrap();
        }
        let items = ini.items(section).unwrap().unwrap();
        let got: Vec<(&str, &str)> = items.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn simple_section() {
        check(
            &["[koji]\nserver = http://h/kojihub\nTopURL: http://h/files\n"],
            "koji",
            &[("server", "http://h/kojihub"), ("topurl", "http://h/files")],
        );
    }

    #[test]
    fn comments_and_blank_lines() {
        check(
            &["# top\n[koji]\n; note\n\nserver=x\n  # not a continuation after blank\n"],
            "koji",
            &[("server", "x")],
        );
    }

    #[test]
    fn later_files_override_and_merge() {
        check(
            &["[koji]\nserver = a\nweburl = w\n", "[koji]\nserver = b\n"],
            "koji",
            &[("server", "b"), ("weburl", "w")],
        );
    }

    #[test]
    fn defaults_and_interpolation() {
        check(
            &["[DEFAULT]\nhost = h\n[koji]\nserver = https://%(host)s/kojihub\npct = 100%%\n"],
            "koji",
            &[("host", "h"), ("pct", "100%"), ("server", "https://h/kojihub")],
        );
    }

    #[test]
    fn continuation_lines() {
        check(
            &["[koji]\nplugin_paths = a\n  b\nserver = s\n"],
            "koji",
            &[("plugin_paths", "a\nb"), ("server", "s")],
        );
    }

    #[test]
    fn errors() {
        let mut ini = Ini::new();
        assert_eq!(ini.read_str("server = x\n"), Err(IniError::NoSection { line: 1 }));
        assert!(matches!(
            Ini::new().read_str("[a]\njunk\n"),
            Err(IniError::Syntax { line: 2, .. })
        ));
        let mut ini = Ini::new();
        ini.read_str("[a]\nx = 5%\n").unwrap();
        assert!(ini.items("a").is_err());
        assert!(!ini.has_section("b"));
        assert!(!ini.has_section("DEFAULT"));
    }
}
