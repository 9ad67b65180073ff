//! The rpm macros a build runs with: Koji's (`genMockConfig`: `_rpmfilename`, `vendor`,
//! `packager`, `distribution`), then the build tag's `rpm.macro.*` options (`dist`, …), then
//! the fixed `_topdir` and `_host`. They are written to `/builddir/.rpmmacros`, so both the
//! SRPM build and the rebuild see the same `%dist`.

use common::xmlrpc::Value;

/// Where rpmbuild works inside the buildroot.
pub const TOPDIR: &str = "/builddir/build";

/// The macros for a build on `arch` with the build tag's `extra` options.
pub fn koji_macros(arch: &str, extra: Option<&Value>) -> Vec<(String, String)> {
    let mut macros: Vec<(String, String)> = vec![
        // Debian's rpm keeps a per-user database unless told where the system one is.
        ("_dbpath".into(), "/var/lib/rpm".into()),
        (
            "_rpmfilename".into(),
            "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm".into(),
        ),
        ("vendor".into(), "Koji".into()),
        ("packager".into(), "Koji".into()),
        ("distribution".into(), "Unknown".into()),
    ];
    if let Some(Value::Struct(options)) = extra {
        let mut tag_macros: Vec<(String, String)> = options
            .iter()
            .filter_map(|(key, value)| {
                let name = key.strip_prefix("rpm.macro.")?;
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Int(n) => n.to_string(),
                    Value::Bool(b) => u8::from(*b).to_string(),
                    _ => return None,
                };
                Some((name.to_owned(), text))
            })
            .collect();
        tag_macros.sort();
        for (name, value) in tag_macros {
            set(&mut macros, &name, value);
        }
    }
    set(&mut macros, "_topdir", TOPDIR.to_owned());
    set(&mut macros, "_host_cpu", arch.to_owned());
    set(&mut macros, "_host", format!("{arch}-koji-linux-gnu"));
    macros
}

fn set(macros: &mut Vec<(String, String)>, name: &str, value: String) {
    match macros.iter_mut().find(|(existing, _)| existing == name) {
        Some(entry) => entry.1 = value,
        None => macros.push((name.to_owned(), value)),
    }
}

/// The macros as an rpm macros file. Macro names that are not plain identifiers and values
/// spanning lines are left out, so a tag option cannot inject other macros.
pub fn macros_file(macros: &[(String, String)]) -> String {
    macros
        .iter()
        .filter(|(name, value)| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !value.contains('\n')
        })
        .map(|(name, value)| format!("%{name} {value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use common::xmlrpc::Struct;

    use super::*;

    #[test]
    fn tag_macros_come_after_kojis_and_before_the_fixed_ones() {
        let mut extra = Struct::new();
        extra.insert("rpm.macro.dist".into(), Value::from(".kiln1"));
        extra.insert("rpm.macro.distribution".into(), Value::from("Kiln"));
        extra.insert("rpm.macro._topdir".into(), Value::from("/elsewhere"));
        extra.insert("rpm.macro.bad name".into(), Value::from("x"));
        extra.insert("mock.package_manager".into(), Value::from("dnf"));
        let text = macros_file(&koji_macros("x86_64", Some(&Value::Struct(extra))));
        assert_eq!(
            text,
            "%_dbpath /var/lib/rpm\n\
             %_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm\n\
             %vendor Koji\n%packager Koji\n%distribution Kiln\n\
             %_topdir /builddir/build\n%dist .kiln1\n\
             %_host_cpu x86_64\n%_host x86_64-koji-linux-gnu\n"
        );
    }
}
