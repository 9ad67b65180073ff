//! Tags, inheritance, build targets, package lists and comps groups, with Koji's field names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::xmlrpc::{Struct, Value};

/// A tag (`getTag`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagInfo {
    /// The tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The permission needed to change it, if any.
    pub perm_id: Option<i64>,
    /// That permission's name.
    pub perm: Option<String>,
    /// Space-separated arches (`""` when none were set).
    pub arches: Option<String>,
    /// Locked tags refuse changes by non-admins.
    pub locked: bool,
    /// Maven repos are generated.
    pub maven_support: bool,
    /// Maven repos include every version.
    pub maven_include_all: bool,
    /// Extra options, JSON values as XML-RPC values. With `blocked=True` each value is the pair
    /// `[blocked, value]`.
    pub extra: Struct,
    /// The event asked for, when the caller gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_event: Option<i64>,
    /// The event that deleted the tag, for `event="auto"` on a deleted tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_event: Option<i64>,
}

/// A tag named by id and name (`config_inheritance` entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    /// The tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// Where inherited build configuration came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigInheritance {
    /// For each inherited extra key, the ancestor it came from.
    pub extra: BTreeMap<String, TagRef>,
    /// The ancestor the arches came from, if inherited.
    pub arches: Option<TagRef>,
}

/// A tag with its arches and extra resolved through inheritance (`getBuildConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildConfig {
    /// The tag, with inherited `arches` and `extra`.
    #[serde(flatten)]
    pub tag: TagInfo,
    /// Where the inherited values came from.
    pub config_inheritance: ConfigInheritance,
}

/// The permission fields of a `listTags` row (present unless `perms=False`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPermFields {
    /// The permission id.
    pub perm_id: Option<i64>,
    /// The permission name.
    pub perm: Option<String>,
}

/// The package fields of a `listTags(package=…)` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPackageFields {
    /// The package owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
    /// The package is blocked in this tag.
    pub blocked: bool,
    /// Extra arches for the package in this tag.
    pub extra_arches: Option<String>,
}

/// A `listTags` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagListEntry {
    /// The tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Space-separated arches.
    pub arches: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Maven support.
    pub maven_support: bool,
    /// Maven include-all.
    pub maven_include_all: bool,
    /// `perm_id` and `perm`, unless the caller asked for `perms=False`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub perms: Option<TagPermFields>,
    /// Owner and package flags, when listing the tags of a package.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub package: Option<TagPackageFields>,
}

impl From<&TagListEntry> for Value {
    /// The same struct `to_value` makes, built directly: `listTags` returns thousands of
    /// these, and this is about twice as fast as going through serde.
    fn from(entry: &TagListEntry) -> Value {
        let mut members: Vec<(String, Value)> = Vec::with_capacity(12);
        members.push(("id".to_owned(), Value::Int(entry.id)));
        members.push(("name".to_owned(), Value::String(entry.name.clone())));
        members.push(("arches".to_owned(), Value::from(entry.arches.clone())));
        members.push(("locked".to_owned(), Value::Bool(entry.locked)));
        members.push(("maven_support".to_owned(), Value::Bool(entry.maven_support)));
        members.push((
            "maven_include_all".to_owned(),
            Value::Bool(entry.maven_include_all),
        ));
        if let Some(perms) = &entry.perms {
            members.push(("perm_id".to_owned(), Value::from(perms.perm_id)));
            members.push(("perm".to_owned(), Value::from(perms.perm.clone())));
        }
        if let Some(package) = &entry.package {
            members.push(("owner_id".to_owned(), Value::Int(package.owner_id)));
            members.push(("owner_name".to_owned(), Value::String(package.owner_name.clone())));
            members.push(("blocked".to_owned(), Value::Bool(package.blocked)));
            members.push((
                "extra_arches".to_owned(),
                Value::from(package.extra_arches.clone()),
            ));
        }
        Value::Struct(members.into_iter().collect())
    }
}

/// One inheritance link (`getInheritanceData`, `setInheritanceData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InheritanceLink {
    /// The parent tag.
    pub parent_id: i64,
    /// The parent's name.
    pub name: String,
    /// Lower priorities are searched first; unique per child.
    pub priority: i64,
    /// How deep to follow the parent's own parents (nil for no limit).
    pub maxdepth: Option<i64>,
    /// Followed only from the child itself.
    pub intransitive: bool,
    /// The parent's arches and extra are not inherited.
    pub noconfig: bool,
    /// Packages must match this regex to be inherited.
    pub pkg_filter: Option<String>,
    /// The child tag.
    pub child_id: i64,
}

/// One node of a flattened inheritance (`getFullInheritance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InheritanceNode {
    /// The parent tag of the link.
    pub parent_id: i64,
    /// The parent's name, or the child's with `reverse=True`.
    pub name: String,
    /// The link's priority.
    pub priority: i64,
    /// The link's maxdepth.
    pub maxdepth: Option<i64>,
    /// The link is intransitive.
    pub intransitive: bool,
    /// The link is noconfig.
    pub noconfig: bool,
    /// The link's package filter.
    pub pkg_filter: Option<String>,
    /// The child of the link (forward walks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_id: Option<i64>,
    /// The child of the link (reverse walks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_id: Option<i64>,
    /// Depth of the link's child below the root, plus one.
    pub currdepth: i64,
    /// How much deeper the walk may go from the parent (nil for no limit).
    pub nextdepth: Option<i64>,
    /// The package filters accumulated down to this link.
    pub filter: Vec<String>,
}

/// A build target (`getBuildTarget`, `getBuildTargets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTarget {
    /// The target id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The tag buildroots come from.
    pub build_tag: i64,
    /// Its name.
    pub build_tag_name: String,
    /// The tag builds land in.
    pub dest_tag: i64,
    /// Its name.
    pub dest_tag_name: String,
}

/// A package name (`getPackage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageInfo {
    /// The package id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A package without tag data (`listPackagesSimple`, unfiltered `listPackages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSimple {
    /// The package id.
    pub package_id: i64,
    /// Its name.
    pub package_name: String,
}

/// The owner fields of a package list entry (present unless `with_owners=False`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageOwnerFields {
    /// The owner.
    pub owner_id: i64,
    /// The owner's name.
    pub owner_name: String,
}

/// A package list entry (`listPackages` with a filter, `getPackageConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageListEntry {
    /// The package.
    pub package_id: i64,
    /// Its name.
    pub package_name: String,
    /// The tag holding the entry (an ancestor when inherited).
    pub tag_id: i64,
    /// That tag's name.
    pub tag_name: String,
    /// Extra arches for the package.
    pub extra_arches: Option<String>,
    /// The entry blocks the package.
    pub blocked: bool,
    /// The owner, unless `with_owners=False`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<PackageOwnerFields>,
}

/// A package of a comps group (`getTagGroups` `packagelist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPackage {
    /// The group.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The binary package name.
    pub package: String,
    /// The entry blocks the package.
    pub blocked: bool,
    /// `mandatory`, `default`, `optional` or `conditional`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Only for the base arch.
    pub basearchonly: Option<bool>,
    /// For conditional packages, the package it depends on.
    pub requires: Option<String>,
}

/// A group required by a comps group (`getTagGroups` `grouplist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReq {
    /// The requiring group.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The required group.
    pub req_id: i64,
    /// The entry blocks the requirement.
    pub blocked: bool,
    /// The requirement type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A metapkg rather than a groupreq.
    pub is_metapkg: bool,
    /// The required group's name.
    pub name: String,
}

/// A comps group of a tag (`getTagGroups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagGroup {
    /// The group name.
    pub name: String,
    /// The group id.
    pub group_id: i64,
    /// The tag holding the entry.
    pub tag_id: i64,
    /// The entry blocks the group.
    pub blocked: bool,
    /// Exported to comps.
    pub exported: Option<bool>,
    /// The name shown to users.
    pub display_name: String,
    /// Installed by default.
    pub is_default: Option<bool>,
    /// Shown to users.
    pub uservisible: Option<bool>,
    /// A description.
    pub description: Option<String>,
    /// The language the group is for.
    pub langonly: Option<String>,
    /// Only for multilib.
    pub biarchonly: Option<bool>,
    /// Its packages, unless `incl_pkgs=False`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packagelist: Option<Vec<GroupPackage>>,
    /// The groups it requires, unless `incl_reqs=False`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouplist: Option<Vec<GroupReq>>,
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;
    use crate::xmlrpc::{from_value, to_value};

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: T, keys: &[&str]) {
        let wire = to_value(&value).unwrap();
        let mut got: Vec<&str> = wire.as_struct().unwrap().keys().map(String::as_str).collect();
        got.sort_unstable();
        let mut want = keys.to_vec();
        want.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(from_value::<T>(wire).unwrap(), value);
    }

    fn tag() -> TagInfo {
        TagInfo {
            id: 8,
            name: "wx-build".into(),
            perm_id: None,
            perm: None,
            arches: Some(String::new()),
            locked: false,
            maven_support: false,
            maven_include_all: false,
            extra: Struct::from([("rpm.macro.dist".to_owned(), Value::from(".wx1"))]),
            query_event: None,
            revoke_event: None,
        }
    }

    const TAG_KEYS: [&str; 9] = [
        "arches",
        "extra",
        "id",
        "locked",
        "maven_include_all",
        "maven_support",
        "name",
        "perm",
        "perm_id",
    ];

    #[test]
    fn tags_keep_koji_keys() {
        round_trip(tag(), &TAG_KEYS);
        let mut keys = TAG_KEYS.to_vec();
        keys.push("query_event");
        round_trip(
            TagInfo {
                query_event: Some(5),
                ..tag()
            },
            &keys,
        );
        keys.push("config_inheritance");
        keys.retain(|k| *k != "query_event");
        round_trip(
            BuildConfig {
                tag: tag(),
                config_inheritance: ConfigInheritance {
                    extra: BTreeMap::from([(
                        "k".to_owned(),
                        TagRef {
                            id: 7,
                            name: "wx-base".into(),
                        },
                    )]),
                    arches: None,
                },
            },
            &keys,
        );
    }

    #[test]
    fn list_rows_flatten_optional_parts() {
        let base = TagListEntry {
            id: 1,
            name: "f40".into(),
            arches: Some("x86_64".into()),
            locked: false,
            maven_support: false,
            maven_include_all: false,
            perms: Some(TagPermFields {
                perm_id: None,
                perm: None,
            }),
            package: None,
        };
        round_trip(
            base.clone(),
            &[
                "arches",
                "id",
                "locked",
                "maven_include_all",
                "maven_support",
                "name",
                "perm",
                "perm_id",
            ],
        );
        round_trip(
            TagListEntry {
                package: Some(TagPackageFields {
                    owner_id: 1,
                    owner_name: "admin".into(),
                    blocked: false,
                    extra_arches: None,
                }),
                ..base
            },
            &[
                "arches",
                "blocked",
                "extra_arches",
                "id",
                "locked",
                "maven_include_all",
                "maven_support",
                "name",
                "owner_id",
                "owner_name",
                "perm",
                "perm_id",
            ],
        );
        round_trip(
            PackageListEntry {
                package_id: 5,
                package_name: "wxpkg".into(),
                tag_id: 7,
                tag_name: "wx-base".into(),
                extra_arches: None,
                blocked: false,
                owner: Some(PackageOwnerFields {
                    owner_id: 1,
                    owner_name: "kojiadmin".into(),
                }),
            },
            &[
                "blocked",
                "extra_arches",
                "owner_id",
                "owner_name",
                "package_id",
                "package_name",
                "tag_id",
                "tag_name",
            ],
        );
    }

    #[test]
    fn list_rows_convert_directly_as_serde_does() {
        let mut entry = TagListEntry {
            id: 3,
            name: "f40".into(),
            arches: None,
            locked: true,
            maven_support: false,
            maven_include_all: false,
            perms: None,
            package: None,
        };
        assert_eq!(Value::from(&entry), to_value(&entry).unwrap());
        entry.perms = Some(TagPermFields {
            perm_id: Some(1),
            perm: Some("admin".into()),
        });
        entry.package = Some(TagPackageFields {
            owner_id: 2,
            owner_name: "bob".into(),
            blocked: true,
            extra_arches: Some("i686".into()),
        });
        assert_eq!(Value::from(&entry), to_value(&entry).unwrap());
    }

    #[test]
    fn inheritance_and_targets_keep_koji_keys() {
        round_trip(
            InheritanceLink {
                parent_id: 7,
                name: "wx-base".into(),
                priority: 0,
                maxdepth: None,
                intransitive: false,
                noconfig: false,
                pkg_filter: Some(String::new()),
                child_id: 8,
            },
            &[
                "child_id",
                "intransitive",
                "maxdepth",
                "name",
                "noconfig",
                "parent_id",
                "pkg_filter",
                "priority",
            ],
        );
        round_trip(
            InheritanceNode {
                parent_id: 7,
                name: "wx-base".into(),
                priority: 0,
                maxdepth: None,
                intransitive: false,
                noconfig: false,
                pkg_filter: Some(String::new()),
                child_id: Some(8),
                tag_id: None,
                currdepth: 1,
                nextdepth: None,
                filter: vec![],
            },
            &[
                "child_id",
                "currdepth",
                "filter",
                "intransitive",
                "maxdepth",
                "name",
                "nextdepth",
                "noconfig",
                "parent_id",
                "pkg_filter",
                "priority",
            ],
        );
        round_trip(
            BuildTarget {
                id: 1,
                name: "f40-candidate".into(),
                build_tag: 2,
                build_tag_name: "f40-build".into(),
                dest_tag: 1,
                dest_tag_name: "f40".into(),
            },
            &[
                "build_tag",
                "build_tag_name",
                "dest_tag",
                "dest_tag_name",
                "id",
                "name",
            ],
        );
        round_trip(
            PackageInfo {
                id: 5,
                name: "wxpkg".into(),
            },
            &["id", "name"],
        );
        round_trip(
            PackageSimple {
                package_id: 5,
                package_name: "wxpkg".into(),
            },
            &["package_id", "package_name"],
        );
    }

    #[test]
    fn groups_keep_koji_keys() {
        round_trip(
            TagGroup {
                name: "build".into(),
                group_id: 1,
                tag_id: 2,
                blocked: false,
                exported: Some(true),
                display_name: "build".into(),
                is_default: None,
                uservisible: Some(true),
                description: None,
                langonly: None,
                biarchonly: Some(false),
                packagelist: Some(vec![GroupPackage {
                    group_id: 1,
                    tag_id: 2,
                    package: "bash".into(),
                    blocked: false,
                    kind: "mandatory".into(),
                    basearchonly: None,
                    requires: None,
                }]),
                grouplist: Some(vec![GroupReq {
                    group_id: 1,
                    tag_id: 2,
                    req_id: 3,
                    blocked: false,
                    kind: Some("mandatory".into()),
                    is_metapkg: false,
                    name: "base".into(),
                }]),
            },
            &[
                "biarchonly",
                "blocked",
                "description",
                "display_name",
                "exported",
                "group_id",
                "grouplist",
                "is_default",
                "langonly",
                "name",
                "packagelist",
                "tag_id",
                "uservisible",
            ],
        );
    }
}
