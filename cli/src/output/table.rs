//! Koji's fixed-width tables: columns padded like Python's `%-Ns` / `%Ns` (never cut, widths
//! counted in characters), a header row, and a rule of dashes.

use common::xmlrpc::Value;

use crate::output::pprint;

/// Which side a cell is padded on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `%-Ns`: text first, spaces after.
    Left,
    /// `%Ns`: spaces first.
    Right,
}

/// `"%-*s" % (width, text)`.
pub fn left(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

/// `"%*s" % (width, text)`.
pub fn right(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{}{text}", " ".repeat(width.saturating_sub(n)))
}

/// Python's `str(value)`, what `%s` prints for a field of a hub record.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) | Value::DateTime(s) => s.clone(),
        other => pprint::repr(other),
    }
}

/// One column: its width and alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Minimum width; longer cells are printed whole, pushing later columns right.
    pub width: usize,
    /// Padding side.
    pub align: Align,
}

impl Column {
    /// A `%-Ns` column.
    pub const fn left(width: usize) -> Column {
        Column {
            width,
            align: Align::Left,
        }
    }

    /// A `%Ns` column.
    pub const fn right(width: usize) -> Column {
        Column {
            width,
            align: Align::Right,
        }
    }
}

/// A table layout: columns joined by a separator, as one Python format string would print.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    separator: &'static str,
}

impl Table {
    /// Columns separated by one space.
    pub fn new(columns: &[Column]) -> Table {
        Table {
            columns: columns.to_vec(),
            separator: " ",
        }
    }

    /// Columns separated by another string.
    pub fn with_separator(columns: &[Column], separator: &'static str) -> Table {
        Table {
            columns: columns.to_vec(),
            separator,
        }
    }

    /// One row; cells beyond the columns are appended unpadded.
    pub fn row<S: AsRef<str>>(&self, cells: &[S]) -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str(self.separator);
            }
            let cell = cell.as_ref();
            match self.columns.get(i) {
                Some(Column {
                    width,
                    align: Align::Left,
                }) => out.push_str(&left(cell, *width)),
                Some(Column {
                    width,
                    align: Align::Right,
                }) => out.push_str(&right(cell, *width)),
                None => out.push_str(cell),
            }
        }
        out
    }

    /// A rule with one run of dashes per column (`"%s %s" % ('-' * 23, '-' * 16)`).
    pub fn column_rule(&self) -> String {
        let runs: Vec<String> = self.columns.iter().map(|c| "-".repeat(c.width)).collect();
        runs.join(self.separator)
    }

    /// A rule of `n` dashes (`"-" * 93`).
    pub fn rule(n: usize) -> String {
        "-".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_targets_layout() {
        // koji list-targets: "%-30s %-30s %-30s" and 93 dashes; trailing spaces kept.
        let table = Table::new(&[Column::left(30), Column::left(30), Column::left(30)]);
        assert_eq!(
            table.row(&["Name", "Buildroot", "Destination"]),
            format!("{:<30} {:<30} {:<30}", "Name", "Buildroot", "Destination")
        );
        assert_eq!(Table::rule(93).len(), 93);
    }

    #[test]
    fn list_pkgs_rule_and_overflow() {
        let table = Table::new(&[
            Column::left(23),
            Column::left(23),
            Column::left(16),
            Column::left(15),
        ]);
        assert_eq!(
            table.column_rule(),
            "----------------------- ----------------------- ---------------- ---------------"
        );
        assert_eq!(table.row(&["a".repeat(25), "b".into()]).len(), 25 + 1 + 23);
    }

    #[test]
    fn right_alignment_and_unicode_width() {
        let table = Table::new(&[Column::right(4), Column::left(3)]);
        assert_eq!(table.row(&["7", "é", "extra"]), "   7 é   extra");
    }

    #[test]
    fn python_str_of_values() {
        assert_eq!(py_str(&Value::Nil), "None");
        assert_eq!(py_str(&Value::from("x")), "x");
        assert_eq!(py_str(&Value::Bool(false)), "False");
        assert_eq!(py_str(&Value::Array(vec![Value::from("a")])), "['a']");
    }
}
