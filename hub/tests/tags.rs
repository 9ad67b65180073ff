//! Tags, inheritance, build targets, package lists, comps groups and history against a real hub
//! and database: the bad paths (each gets Koji's fault and changes nothing), permissions and
//! locks, and queries "as of" an earlier event.

use common::FaultCode;
use common::client::{ClientConfig, ClientError, ClientSession};
use common::xmlrpc::Value;
use hub::testing::TestHub;

/// Runs blocking client code off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn int(n: i64) -> Value {
    Value::Int(n)
}

fn strukt(members: &[(&str, Value)]) -> Value {
    Value::structure(members.iter().map(|(k, v)| (*k, v.clone())))
}

/// A logged-in (or anonymous) client with terse helpers.
struct Client(ClientSession);

impl Client {
    fn call(&self, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Result<Value, ClientError> {
        self.0.call_kw(method, args, kwargs)
    }

    /// A call that must succeed.
    fn ok(&self, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Value {
        self.call(method, args, kwargs)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    fn last_event(&self) -> i64 {
        self.ok("getLastEvent", vec![], vec![])
            .get("id")
            .and_then(Value::as_i64)
            .unwrap()
    }

    /// A call that must fail with `code` and `message`, and leave no event behind.
    fn fails(
        &self,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(&str, Value)>,
        code: FaultCode,
        message: &str,
    ) {
        let before = self.last_event();
        match self.call(method, args, kwargs) {
            Err(ClientError::Fault(f)) => {
                assert_eq!((f.code, f.message.as_str()), (code.code(), message), "{method}");
            }
            other => panic!("{method}: expected a fault, got {other:?}"),
        }
        assert_eq!(self.last_event(), before, "{method} left an event behind");
    }
}

/// A hub with `admin` (admin), `bob` (tag), `tina` (target) and `carol` (nothing); all use
/// password `pw`.
async fn hub() -> TestHub {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &["tag"]).await;
    hub.add_user("tina", "pw", &["target"]).await;
    hub.add_user("carol", "pw", &[]).await;
    hub
}

/// Logs in (blocking: call it off the runtime).
fn login(url: &str, user: Option<&str>) -> Client {
    let session = ClientSession::new(ClientConfig::new(url)).unwrap();
    if let Some(user) = user {
        session.login_password(user, "pw").unwrap();
    }
    Client(session)
}

/// Runs `f` with clients for admin, bob, carol, tina and an anonymous one.
async fn with_clients(f: impl FnOnce(Clients) + Send + 'static) {
    let hub = hub().await;
    let url = hub.url();
    blocking(move || {
        let clients = Clients {
            admin: login(&url, Some("admin")),
            bob: login(&url, Some("bob")),
            carol: login(&url, Some("carol")),
            tina: login(&url, Some("tina")),
            anon: login(&url, None),
        };
        f(clients);
    })
    .await;
    drop(hub);
}

struct Clients {
    admin: Client,
    bob: Client,
    carol: Client,
    tina: Client,
    anon: Client,
}

fn create_tag(c: &Client, name: &str, kwargs: Vec<(&str, Value)>) -> i64 {
    c.ok("createTag", vec![s(name)], kwargs).as_i64().unwrap()
}

fn link(parent_id: i64, priority: Value) -> Value {
    strukt(&[
        ("parent_id", int(parent_id)),
        ("priority", priority),
        ("maxdepth", Value::Nil),
        ("intransitive", Value::Bool(false)),
        ("noconfig", Value::Bool(false)),
        ("pkg_filter", s("")),
    ])
}

/// `names`, sorted (for listings whose order Koji leaves to the database).
fn sorted_names(list: &Value, key: &str) -> Vec<String> {
    let mut names = names(list, key);
    names.sort();
    names
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.get(key).and_then(Value::as_str).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn tags_refuse_bad_input() {
    with_clients(|c| {
        let a = &c.admin;
        create_tag(a, "base", vec![("arches", s("x86_64"))]);
        create_tag(a, "other", vec![]);
        a.fails(
            "createTag",
            vec![s("base")],
            vec![],
            FaultCode::Generic,
            "A tag with the name 'base' already exists",
        );
        a.fails(
            "createTag",
            vec![s("child")],
            vec![("parent", s("nope"))],
            FaultCode::Generic,
            "Parent tag 'nope' could not be found",
        );
        a.fails(
            "createTag",
            vec![s("child")],
            vec![("arches", s("x86_64,aarch64"))],
            FaultCode::Generic,
            "Architecture can be only [a-zA-Z0-9_-]",
        );
        a.fails(
            "createTag",
            vec![s("bad name")],
            vec![],
            FaultCode::Generic,
            "invalid name \"bad name\": names are 1 to 256 of the characters A-Z a-z 0-9 / _ . + -",
        );
        a.fails(
            "createTag",
            vec![s("child")],
            vec![("perm", s("nope"))],
            FaultCode::Generic,
            "No such entry in table permissions: nope",
        );
        a.fails(
            "createTag",
            vec![s("child")],
            vec![("maven_support", Value::Bool(true))],
            FaultCode::Generic,
            "Maven support not enabled",
        );
        a.fails(
            "getTag",
            vec![s("nope")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such tagInfo: 'nope'",
        );
        a.fails(
            "getTag",
            vec![int(99)],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such tagInfo: 99",
        );
        a.fails(
            "getTag",
            vec![Value::Array(vec![int(1)])],
            vec![],
            FaultCode::Parameter,
            "Invalid name or id value: [1]",
        );
        a.fails(
            "getTag",
            vec![s("base")],
            vec![("bogus", int(1))],
            FaultCode::Parameter,
            "get_tag() got an unexpected keyword argument 'bogus'",
        );
        a.fails(
            "editTag2",
            vec![s("other")],
            vec![("name", s("base"))],
            FaultCode::Generic,
            "Name base already taken by tag 1",
        );
        a.fails(
            "editTag2",
            vec![s("base")],
            vec![("remove_extra", Value::Array(vec![s("k")]))],
            FaultCode::Generic,
            "Tag: base doesn't have extra: k",
        );
        a.fails(
            "editTag2",
            vec![s("base")],
            vec![
                ("extra", strukt(&[("k", int(1))])),
                ("block_extra", Value::Array(vec![s("k")])),
            ],
            FaultCode::Generic,
            "Can not both add/update and remove tag-extra: 'k'",
        );
        a.fails(
            "editTag2",
            vec![s("nope")],
            vec![("locked", Value::Bool(true))],
            FaultCode::Generic,
            "No such tagInfo: 'nope'",
        );
        a.fails(
            "deleteTag",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "No such tagInfo: 'nope'",
        );
        a.fails(
            "getTagID",
            vec![s("nope")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such entry in table tag: nope",
        );
        a.fails(
            "listTags",
            vec![],
            vec![("package", s("nope"))],
            FaultCode::Generic,
            "No such package: nope",
        );
        assert_eq!(a.ok("getTag", vec![s("nope")], vec![]), Value::Nil);
        // Nothing above changed the tags.
        let tags = a.ok("listTags", vec![], vec![]);
        assert_eq!(sorted_names(&tags, "name"), ["base", "other"]);
        assert_eq!(
            a.ok("getTag", vec![s("base")], vec![]).get("arches").cloned(),
            Some(s("x86_64"))
        );
    })
    .await;
}

#[tokio::test]
async fn permissions_and_locks() {
    with_clients(|c| {
        c.anon.fails(
            "createTag",
            vec![s("t")],
            vec![],
            FaultCode::ActionNotAllowed,
            "you must be logged in for this operation",
        );
        c.carol.fails(
            "createTag",
            vec![s("t")],
            vec![],
            FaultCode::ActionNotAllowed,
            "tag permission required (logged in as carol)",
        );
        create_tag(&c.bob, "t", vec![("arches", s("x86_64"))]);
        create_tag(&c.bob, "guarded", vec![("perm", s("sign"))]);
        c.bob
            .ok("editTag2", vec![s("t")], vec![("locked", Value::Bool(true))]);
        // A locked tag refuses non-admins, whatever they change.
        c.bob.fails(
            "editTag2",
            vec![s("t")],
            vec![("locked", Value::Bool(false))],
            FaultCode::ActionNotAllowed,
            "tag t is locked",
        );
        c.bob.fails(
            "packageListAdd",
            vec![s("t"), s("pkg")],
            vec![("owner", s("bob"))],
            FaultCode::ActionNotAllowed,
            "tag t is locked",
        );
        c.bob.fails(
            "groupListAdd",
            vec![s("t"), s("build")],
            vec![],
            FaultCode::ActionNotAllowed,
            "tag t is locked",
        );
        c.bob.fails(
            "deleteTag",
            vec![s("t")],
            vec![],
            FaultCode::ActionNotAllowed,
            "tag t is locked",
        );
        // A tag's own permission.
        c.bob.fails(
            "packageListAdd",
            vec![s("guarded"), s("pkg")],
            vec![("owner", s("bob"))],
            FaultCode::ActionNotAllowed,
            "sign permission required",
        );
        // Package lists follow Koji's default package_list policy.
        c.carol.fails(
            "packageListAdd",
            vec![s("guarded"), s("pkg")],
            vec![("owner", s("bob"))],
            FaultCode::ActionNotAllowed,
            "policy violation (package_list)",
        );
        // Admins pass every check.
        c.admin.ok(
            "packageListAdd",
            vec![s("t"), s("pkg")],
            vec![("owner", s("bob"))],
        );
        c.admin
            .ok("editTag2", vec![s("t")], vec![("locked", Value::Bool(false))]);
        c.bob.ok(
            "packageListAdd",
            vec![s("t"), s("pkg2")],
            vec![("owner", s("bob"))],
        );
        // Targets need the target permission.
        c.bob.fails(
            "createBuildTarget",
            vec![s("tgt"), s("t"), s("t")],
            vec![],
            FaultCode::ActionNotAllowed,
            "target permission required (logged in as bob)",
        );
        c.tina
            .ok("createBuildTarget", vec![s("tgt"), s("t"), s("t")], vec![]);
        c.anon.fails(
            "setInheritanceData",
            vec![s("t"), Value::Array(vec![])],
            vec![],
            FaultCode::ActionNotAllowed,
            "you must be logged in for this operation",
        );
    })
    .await;
}

#[tokio::test]
async fn inheritance_refuses_loops_and_bad_priorities() {
    with_clients(|c| {
        let a = &c.admin;
        let top = create_tag(a, "top", vec![]);
        let mid = create_tag(a, "mid", vec![("parent", s("top"))]);
        let low = create_tag(a, "low", vec![("parent", s("mid"))]);
        let side = create_tag(a, "side", vec![]);
        let set = |tag: &str, links: Vec<Value>| (vec![s(tag), Value::Array(links)], vec![]);
        let (args, kwargs) = set("top", vec![link(low, int(0))]);
        a.fails(
            "setInheritanceData",
            args,
            kwargs,
            FaultCode::Generic,
            "Inheritance loop: tag low already inherits from tag top",
        );
        let (args, kwargs) = set("top", vec![link(top, int(0))]);
        a.fails(
            "setInheritanceData",
            args,
            kwargs,
            FaultCode::Generic,
            "Inheritance loop: tag top already inherits from tag top",
        );
        let (args, kwargs) = set("low", vec![link(side, int(0))]);
        a.fails(
            "setInheritanceData",
            args,
            kwargs,
            FaultCode::Generic,
            &format!("Multiple parent tags ([{mid}, {side}]) cannot have the same priority value (0) on child tag {low}"),
        );
        let (args, kwargs) = set("low", vec![link(side, int(-5))]);
        a.fails(
            "setInheritanceData",
            args,
            kwargs,
            FaultCode::Generic,
            &format!("Invalid priority -5 for parent tag {side}: priorities must not be negative"),
        );
        let (args, kwargs) = set("low", vec![link(99, int(5))]);
        a.fails("setInheritanceData", args, kwargs, FaultCode::Generic, "No such tagInfo: 99");
        let (args, kwargs) = set("low", vec![strukt(&[("parent_id", int(side))])]);
        a.fails("setInheritanceData", args, kwargs, FaultCode::Generic, "No value for priority");
        let mut filtered = link(side, int(5));
        if let Value::Struct(m) = &mut filtered {
            m.insert("pkg_filter".into(), s("(unclosed"));
        }
        let (args, kwargs) = set("low", vec![filtered]);
        match a.call("setInheritanceData", args, kwargs) {
            Err(ClientError::Fault(f)) => {
                assert!(f.message.starts_with("Invalid package filter \"(unclosed\""), "{}", f.message);
            }
            other => panic!("expected a fault, got {other:?}"),
        }
        a.fails(
            "getInheritanceData",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "No such entry in table tag: nope",
        );
        a.fails(
            "getFullInheritance",
            vec![s("low")],
            vec![("stops", strukt(&[("x", int(1))]))],
            FaultCode::Parameter,
            "stops option has been removed since 1.26",
        );
        // Priorities may arrive as strings, as `koji add-tag-inheritance --priority` sends them;
        // the links the client echoes back (with name and child_id) are accepted unchanged.
        let mut data = a.ok("getInheritanceData", vec![s("low")], vec![]).as_array().unwrap().to_vec();
        data.push(link(side, s("10")));
        a.ok("setInheritanceData", vec![s("low"), Value::Array(data)], vec![]);
        let links = a.ok("getInheritanceData", vec![s("low")], vec![]);
        assert_eq!(names(&links, "name"), ["mid", "side"]);
        assert_eq!(links.as_array().unwrap()[1].get("priority"), Some(&int(10)));
        // Setting the same data again makes no new versions.
        let before = a.last_event();
        let data = links.as_array().unwrap().to_vec();
        a.ok("setInheritanceData", vec![s("low"), Value::Array(data)], vec![]);
        assert_eq!(a.last_event(), before);
    })
    .await;
}

#[tokio::test]
async fn full_inheritance_follows_koji_rules() {
    with_clients(|c| {
        let a = &c.admin;
        let t: Vec<i64> = ["root", "p1", "p2", "g1", "g2"]
            .iter()
            .map(|n| create_tag(a, n, vec![]))
            .collect();
        let (root, p1, p2, g1, g2) = (t[0], t[1], t[2], t[3], t[4]);
        let mut limited = link(p1, int(0));
        if let Value::Struct(m) = &mut limited {
            m.insert("maxdepth".into(), int(0));
        }
        let mut intransitive = link(g2, int(0));
        if let Value::Struct(m) = &mut intransitive {
            m.insert("intransitive".into(), Value::Bool(true));
        }
        a.ok(
            "setInheritanceData",
            vec![int(root), Value::Array(vec![limited, link(p2, int(1))])],
            vec![],
        );
        a.ok(
            "setInheritanceData",
            vec![int(p1), Value::Array(vec![link(g1, int(0))])],
            vec![],
        );
        a.ok(
            "setInheritanceData",
            vec![int(p2), Value::Array(vec![intransitive])],
            vec![],
        );
        // p1's parents are cut by maxdepth 0, p2's intransitive link is only for p2 itself.
        let full = a.ok("getFullInheritance", vec![s("root")], vec![]);
        assert_eq!(names(&full, "name"), ["p1", "p2"]);
        let first = &full.as_array().unwrap()[0];
        assert_eq!(first.get("nextdepth"), Some(&int(0)));
        assert_eq!(first.get("child_id"), Some(&int(root)));
        let from_p2 = a.ok("getFullInheritance", vec![int(p2)], vec![]);
        assert_eq!(names(&from_p2, "name"), ["g2"]);
        // Reverse walks list descendants; root does not inherit g1 (its link to p1 stops there).
        let reverse = a.ok(
            "getFullInheritance",
            vec![s("g1")],
            vec![("reverse", Value::Bool(true))],
        );
        assert_eq!(names(&reverse, "name"), ["p1"]);
        let reverse = a.ok(
            "getFullInheritance",
            vec![s("p2")],
            vec![("reverse", Value::Bool(true))],
        );
        assert_eq!(names(&reverse, "name"), ["root"]);
        assert_eq!(reverse.as_array().unwrap()[0].get("tag_id"), Some(&int(root)));
        assert_eq!(reverse.as_array().unwrap()[0].get("child_id"), None);
    })
    .await;
}

#[tokio::test]
async fn queries_as_of_an_earlier_event() {
    with_clients(|c| {
        let a = &c.admin;
        create_tag(a, "base", vec![("arches", s("x86_64"))]);
        let side = create_tag(a, "side", vec![]);
        create_tag(
            a,
            "build",
            vec![("parent", s("base")), ("extra", strukt(&[("k", s("v1"))]))],
        );
        a.ok(
            "packageListAdd",
            vec![s("base"), s("pkg")],
            vec![("owner", s("admin"))],
        );
        a.ok("groupListAdd", vec![s("build"), s("build")], vec![]);
        a.ok("createBuildTarget", vec![s("tgt"), s("build"), s("base")], vec![]);
        let then = a.last_event();
        a.ok(
            "editTag2",
            vec![s("build")],
            vec![("arches", s("aarch64")), ("extra", strukt(&[("k", s("v2"))]))],
        );
        a.ok("packageListBlock", vec![s("build"), s("pkg")], vec![]);
        a.ok("groupListBlock", vec![s("build"), s("build")], vec![]);
        a.ok(
            "editBuildTarget",
            vec![s("tgt"), s("tgt"), s("build"), s("side")],
            vec![],
        );
        a.ok(
            "setInheritanceData",
            vec![s("build"), Value::Array(vec![link(side, int(5))])],
            vec![],
        );
        let linked = a.last_event();
        a.ok("deleteTag", vec![s("side")], vec![]);
        let event = vec![("event", int(then))];

        let now = a.ok("getTag", vec![s("build")], vec![]);
        assert_eq!(now.get("arches"), Some(&s("aarch64")));
        let old = a.ok("getTag", vec![s("build")], event.clone());
        assert_eq!(old.get("arches"), Some(&s("")));
        assert_eq!(old.get("extra"), Some(&strukt(&[("k", s("v1"))])));
        assert_eq!(old.get("query_event"), Some(&int(then)));

        let old_links = a.ok("getInheritanceData", vec![s("build")], event.clone());
        assert_eq!(names(&old_links, "name"), ["base"]);
        let links = a.ok(
            "getInheritanceData",
            vec![s("build")],
            vec![("event", int(linked))],
        );
        assert_eq!(names(&links, "name"), ["base", "side"]);

        let entry = |kw: Vec<(&str, Value)>| {
            let list = a.ok(
                "listPackages",
                vec![],
                [vec![("tagID", s("build")), ("inherited", Value::Bool(true))], kw].concat(),
            );
            let row = list.as_array().unwrap()[0].clone();
            (row.get("tag_name").cloned(), row.get("blocked").cloned())
        };
        assert_eq!(entry(vec![]), (Some(s("build")), Some(Value::Bool(true))));
        assert_eq!(entry(event.clone()), (Some(s("base")), Some(Value::Bool(false))));

        assert_eq!(
            a.ok("getTagGroups", vec![s("build")], vec![]),
            Value::Array(vec![])
        );
        let old_groups = a.ok("getTagGroups", vec![s("build")], event.clone());
        assert_eq!(names(&old_groups, "name"), ["build"]);

        let target = a.ok("getBuildTarget", vec![s("tgt")], event.clone());
        assert_eq!(target.get("dest_tag_name"), Some(&s("base")));
        let target = a.ok("getBuildTarget", vec![s("tgt")], vec![("event", int(linked))]);
        assert_eq!(target.get("dest_tag_name"), Some(&s("side")));

        // The deleted tag, now and then.
        assert_eq!(a.ok("getTag", vec![s("side")], vec![]), Value::Nil);
        assert!(
            a.ok("getTag", vec![s("side")], event.clone())
                .as_struct()
                .is_some()
        );
        let auto = a.ok("getTag", vec![s("side")], vec![("event", s("auto"))]);
        let revoked = auto.get("revoke_event").and_then(Value::as_i64).unwrap();
        assert_eq!(auto.get("query_event"), Some(&int(revoked - 1)));
        assert_eq!(a.ok("tagLastChangeEvent", vec![s("side")], vec![]), int(revoked));
        // Deleting a tag also revoked the inheritance links and targets using it.
        assert_eq!(
            names(&a.ok("getInheritanceData", vec![s("build")], vec![]), "name"),
            ["base"]
        );
        assert_eq!(a.ok("getBuildTargets", vec![], vec![]), Value::Array(vec![]));
    })
    .await;
}

#[tokio::test]
async fn build_config_inherits_arches_and_extra() {
    with_clients(|c| {
        let a = &c.admin;
        let base = create_tag(
            a,
            "base",
            vec![
                ("arches", s("x86_64")),
                (
                    "extra",
                    strukt(&[("a", int(1)), ("b", s("base")), ("c", Value::Bool(true))]),
                ),
            ],
        );
        let quiet = create_tag(a, "quiet", vec![("extra", strukt(&[("q", int(1))]))]);
        create_tag(a, "build", vec![("extra", strukt(&[("b", s("own"))]))]);
        a.ok(
            "editTag2",
            vec![s("build")],
            vec![
                ("arches", Value::Nil),
                ("block_extra", Value::Array(vec![s("c")])),
            ],
        );
        let mut noconfig = link(quiet, int(0));
        if let Value::Struct(m) = &mut noconfig {
            m.insert("noconfig".into(), Value::Bool(true));
        }
        a.ok(
            "setInheritanceData",
            vec![s("build"), Value::Array(vec![noconfig, link(base, int(1))])],
            vec![],
        );
        let config = a.ok("getBuildConfig", vec![s("build")], vec![]);
        assert_eq!(config.get("arches"), Some(&s("x86_64")));
        assert_eq!(
            config.get("extra"),
            Some(&strukt(&[("a", int(1)), ("b", s("own"))]))
        );
        let from_base = strukt(&[("id", int(base)), ("name", s("base"))]);
        assert_eq!(
            config.get("config_inheritance"),
            Some(&strukt(&[
                ("arches", from_base.clone()),
                ("extra", strukt(&[("a", from_base)])),
            ]))
        );
        // The blocked key shows with blocked=True, as [blocked, value].
        let tag = a.ok("getTag", vec![s("build")], vec![("blocked", Value::Bool(true))]);
        assert_eq!(
            tag.get("extra"),
            Some(&strukt(&[
                ("b", Value::Array(vec![Value::Bool(false), s("own")])),
                ("c", Value::Array(vec![Value::Bool(true), Value::Nil])),
            ]))
        );
        // A nil extra value is JSON null, not a block.
        a.ok(
            "editTag2",
            vec![s("build")],
            vec![("extra", strukt(&[("n", Value::Nil)]))],
        );
        let config = a.ok("getBuildConfig", vec![s("build")], vec![]);
        assert_eq!(config.get("extra").and_then(|e| e.get("n")), Some(&Value::Nil));
        a.fails(
            "getBuildConfig",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "No such tagInfo: 'nope'",
        );
    })
    .await;
}

#[tokio::test]
async fn targets_refuse_bad_input() {
    with_clients(|c| {
        let t = &c.tina;
        create_tag(&c.admin, "build", vec![("arches", s("x86_64"))]);
        create_tag(&c.admin, "dest", vec![]);
        t.ok("createBuildTarget", vec![s("one"), s("build"), s("dest")], vec![]);
        t.ok("createBuildTarget", vec![s("two"), s("build"), s("dest")], vec![]);
        t.fails(
            "createBuildTarget",
            vec![s("one"), s("build"), s("dest")],
            vec![],
            FaultCode::Generic,
            "A build target with the name 'one' already exists",
        );
        t.fails(
            "createBuildTarget",
            vec![s("three"), s("nope"), s("dest")],
            vec![],
            FaultCode::Generic,
            "build tag 'nope' does not exist",
        );
        t.fails(
            "createBuildTarget",
            vec![s("three"), s("build"), int(99)],
            vec![],
            FaultCode::Generic,
            "destination tag '99' does not exist",
        );
        t.fails(
            "editBuildTarget",
            vec![s("one"), s("two"), s("build"), s("dest")],
            vec![],
            FaultCode::Generic,
            "name \"two\" is already taken by build target 2",
        );
        t.fails(
            "editBuildTarget",
            vec![s("nope"), s("x"), s("build"), s("dest")],
            vec![],
            FaultCode::Generic,
            "No such build target: nope",
        );
        t.fails(
            "deleteBuildTarget",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "No such build target: nope",
        );
        t.fails(
            "getBuildTarget",
            vec![s("nope")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such build target: nope",
        );
        let by_dest = t.ok("getBuildTargets", vec![], vec![("destTagID", s("dest"))]);
        assert_eq!(names(&by_dest, "name"), ["one", "two"]);
        let by_build = t.ok("getBuildTargets", vec![], vec![("buildTagID", int(1))]);
        assert_eq!(names(&by_build, "name"), ["one", "two"]);
        assert_eq!(
            t.ok("getBuildTargets", vec![], vec![("buildTagID", s("nope"))]),
            Value::Array(vec![])
        );
        t.ok("deleteBuildTarget", vec![s("one")], vec![]);
        assert_eq!(t.ok("getBuildTarget", vec![s("one")], vec![]), Value::Nil);
        // A deleted target's name can be used again and keeps its id.
        t.ok("createBuildTarget", vec![s("one"), s("dest"), s("build")], vec![]);
        assert_eq!(
            t.ok("getBuildTarget", vec![s("one")], vec![]).get("id"),
            Some(&int(1))
        );
    })
    .await;
}

#[tokio::test]
async fn package_lists_follow_inheritance_and_filters() {
    with_clients(|c| {
        let a = &c.admin;
        let base = create_tag(a, "base", vec![]);
        create_tag(a, "build", vec![]);
        let mut filtered = link(base, int(0));
        if let Value::Struct(m) = &mut filtered {
            m.insert("pkg_filter".into(), s("foo"));
        }
        a.ok(
            "setInheritanceData",
            vec![s("build"), Value::Array(vec![filtered])],
            vec![],
        );
        for package in ["foo", "foobar", "bar"] {
            a.ok(
                "packageListAdd",
                vec![s("base"), s(package)],
                vec![("owner", s("bob"))],
            );
        }
        let inherited = a.ok(
            "listPackages",
            vec![],
            vec![("tagID", s("build")), ("inherited", Value::Bool(true))],
        );
        assert_eq!(names(&inherited, "package_name"), ["foo", "foobar"]);
        a.fails(
            "packageListAdd",
            vec![s("base"), s("baz")],
            vec![],
            FaultCode::Generic,
            "owner not specified",
        );
        a.fails(
            "packageListAdd",
            vec![s("base"), int(99)],
            vec![("owner", s("bob"))],
            FaultCode::Generic,
            "No such package: 99",
        );
        a.fails(
            "packageListAdd",
            vec![s("base"), s("baz")],
            vec![("owner", s("nobody"))],
            FaultCode::Generic,
            "No such user: 'nobody'",
        );
        a.fails(
            "packageListSetOwner",
            vec![s("build"), s("bar"), s("admin")],
            vec![],
            FaultCode::Generic,
            "cannot update: tag build has no data for package bar",
        );
        a.fails(
            "packageListBlock",
            vec![s("build"), s("bar")],
            vec![],
            FaultCode::Generic,
            "Package bar is not in tag listing for build",
        );
        a.fails(
            "packageListUnblock",
            vec![s("build"), s("foo")],
            vec![],
            FaultCode::Generic,
            "package foo NOT blocked in tag build",
        );
        a.fails(
            "packageListRemove",
            vec![s("build"), s("nope")],
            vec![],
            FaultCode::Generic,
            "No such entry in table package: nope",
        );
        a.ok("packageListBlock", vec![s("build"), s("foo")], vec![]);
        a.fails(
            "packageListAdd",
            vec![s("build"), s("foo")],
            vec![("owner", s("bob")), ("block", Value::Bool(false))],
            FaultCode::Generic,
            "package foo is blocked in tag build",
        );
        assert_eq!(
            a.ok("checkTagPackage", vec![s("build"), s("foo")], vec![]),
            Value::Bool(false)
        );
        assert_eq!(
            a.ok("checkTagPackage", vec![s("build"), s("foobar")], vec![]),
            Value::Bool(true)
        );
        assert_eq!(
            a.ok("checkTagPackage", vec![s("nope"), s("foo")], vec![]),
            Value::Bool(false)
        );
        let config = a.ok("getPackageConfig", vec![s("build"), s("foo")], vec![]);
        assert_eq!(config.get("blocked"), Some(&Value::Bool(true)));
        assert_eq!(config.get("owner_name"), Some(&s("bob")));
        // with_dups lists the hidden entry too; without owners the owner keys are gone.
        let dups = a.ok(
            "listPackages",
            vec![],
            vec![
                ("tagID", s("build")),
                ("inherited", Value::Bool(true)),
                ("with_dups", Value::Bool(true)),
                ("with_owners", Value::Bool(false)),
            ],
        );
        assert_eq!(names(&dups, "tag_name"), ["build", "base", "base"]);
        assert_eq!(dups.as_array().unwrap()[0].get("owner_id"), None);
        let by_owner = a.ok("listPackages", vec![], vec![("userID", s("bob"))]);
        assert_eq!(names(&by_owner, "package_name"), ["foo", "foobar", "bar"]);
        let simple = a.ok("listPackages", vec![], vec![("prefix", s("FOO"))]);
        assert_eq!(names(&simple, "package_name"), ["foo", "foobar"]);
        let count = a.ok(
            "listPackagesSimple",
            vec![],
            vec![("queryOpts", strukt(&[("countOnly", Value::Bool(true))]))],
        );
        assert_eq!(count, int(3));
        a.ok(
            "packageListSetArches",
            vec![s("base"), s("bar"), s("i686 x86_64")],
            vec![],
        );
        let bar = a.ok("getPackageConfig", vec![s("base"), s("bar")], vec![]);
        assert_eq!(bar.get("extra_arches"), Some(&s("i686 x86_64")));
        assert_eq!(a.ok("getPackageID", vec![s("bar")], vec![]), int(3));
        a.fails(
            "getPackageID",
            vec![s("nope")],
            vec![("strict", Value::Bool(true))],
            FaultCode::Generic,
            "No such package name: nope",
        );
        assert_eq!(
            a.ok("getPackage", vec![s("bar")], vec![]),
            strukt(&[("id", int(3)), ("name", s("bar"))])
        );
        let created = a.ok("createPackage", vec![s("newpkg")], vec![]);
        assert_eq!(a.ok("getPackageID", vec![s("newpkg")], vec![]), created);
        a.fails(
            "createPackage",
            vec![s("newpkg")],
            vec![],
            FaultCode::Generic,
            "package newpkg already exists",
        );
    })
    .await;
}

#[tokio::test]
async fn comps_groups_with_inheritance() {
    with_clients(|c| {
        let a = &c.admin;
        create_tag(a, "base", vec![]);
        create_tag(a, "build", vec![("parent", s("base"))]);
        a.ok(
            "groupListAdd",
            vec![s("base"), s("build")],
            vec![("description", s("Buildroot"))],
        );
        a.ok("groupListAdd", vec![s("base"), s("srpm-build")], vec![]);
        for package in ["bash", "rpm-build"] {
            a.ok(
                "groupPackageListAdd",
                vec![s("base"), s("build"), s(package)],
                vec![],
            );
        }
        a.ok(
            "groupReqListAdd",
            vec![s("base"), s("build"), s("srpm-build")],
            vec![],
        );
        a.ok(
            "groupPackageListBlock",
            vec![s("build"), s("build"), s("bash")],
            vec![],
        );
        let groups = a.ok("getTagGroups", vec![s("build")], vec![]);
        assert_eq!(names(&groups, "name"), ["build", "srpm-build"]);
        let build = &groups.as_array().unwrap()[0];
        assert_eq!(names(build.get("packagelist").unwrap(), "package"), ["rpm-build"]);
        assert_eq!(names(build.get("grouplist").unwrap(), "name"), ["srpm-build"]);
        let with_blocked = a.ok(
            "getTagGroups",
            vec![s("build")],
            vec![("incl_blocked", Value::Bool(true))],
        );
        let build = &with_blocked.as_array().unwrap()[0];
        assert_eq!(
            names(build.get("packagelist").unwrap(), "package"),
            ["bash", "rpm-build"]
        );
        assert_eq!(
            a.ok(
                "getTagGroups",
                vec![s("build")],
                vec![("inherit", Value::Bool(false))]
            ),
            Value::Array(vec![])
        );
        // The groups render as comps.
        let list: Vec<common::wire::TagGroup> = common::xmlrpc::from_value(groups).unwrap();
        let comps = hub::comps::render(&list, false);
        assert!(
            comps
                .contains("<id>build</id>\n    <name>build</name>\n    <description>Buildroot</description>"),
            "{comps}"
        );
        assert!(
            comps.contains("<packagereq type=\"mandatory\">rpm-build</packagereq>"),
            "{comps}"
        );
        assert!(!comps.contains(">bash<"), "{comps}");

        let before = a.last_event();
        a.ok("groupListAdd", vec![s("base"), s("build")], vec![]);
        assert_eq!(a.last_event(), before, "an unchanged group makes no new version");
        a.fails(
            "groupPackageListUnblock",
            vec![s("base"), s("build"), s("bash")],
            vec![],
            FaultCode::Generic,
            "package bash is NOT blocked in group 1, tag 1",
        );
        a.fails(
            "groupListRemove",
            vec![s("build"), s("build")],
            vec![],
            FaultCode::Generic,
            "No group: build found for tag: build",
        );
        a.fails(
            "groupPackageListAdd",
            vec![s("build"), s("nope"), s("x")],
            vec![],
            FaultCode::Generic,
            "No such entry in table groups: nope",
        );
        a.ok("groupListBlock", vec![s("build"), s("srpm-build")], vec![]);
        a.fails(
            "groupPackageListAdd",
            vec![s("build"), s("srpm-build"), s("x")],
            vec![],
            FaultCode::Generic,
            "group srpm-build is blocked in tag build",
        );
        a.fails(
            "groupListAdd",
            vec![s("build"), s("srpm-build")],
            vec![],
            FaultCode::Generic,
            "group srpm-build is blocked in tag build",
        );
        a.ok("groupListUnblock", vec![s("build"), s("srpm-build")], vec![]);
        a.fails(
            "groupListUnblock",
            vec![s("build"), s("srpm-build")],
            vec![],
            FaultCode::Generic,
            "group srpm-build is NOT blocked in tag build",
        );
        a.ok(
            "groupPackageListUnblock",
            vec![s("build"), s("build"), s("bash")],
            vec![],
        );
        a.ok(
            "groupReqListRemove",
            vec![s("base"), s("build"), s("srpm-build")],
            vec![],
        );
        a.ok("groupListRemove", vec![s("base"), s("srpm-build")], vec![]);
        let groups = a.ok("getTagGroups", vec![s("build")], vec![]);
        assert_eq!(names(&groups, "name"), ["build"]);
        let build = &groups.as_array().unwrap()[0];
        assert_eq!(
            names(build.get("packagelist").unwrap(), "package"),
            ["bash", "rpm-build"]
        );
        assert_eq!(build.get("grouplist"), Some(&Value::Array(vec![])));
    })
    .await;
}

#[tokio::test]
async fn history_filters_and_change_events() {
    with_clients(|c| {
        let a = &c.admin;
        let created = {
            create_tag(a, "base", vec![("extra", strukt(&[("k", s("v"))]))]);
            a.last_event()
        };
        create_tag(a, "build", vec![("parent", s("base"))]);
        let after_build = a.last_event();
        a.ok(
            "editTag2",
            vec![s("base")],
            vec![("extra", strukt(&[("k", s("w")), ("j", int(1))]))],
        );
        a.ok(
            "packageListAdd",
            vec![s("base"), s("pkg")],
            vec![("owner", s("bob"))],
        );
        c.bob.ok("groupListAdd", vec![s("base"), s("build")], vec![]);

        a.fails(
            "queryHistory",
            vec![],
            vec![("tables", Value::Array(vec![s("nope")]))],
            FaultCode::Generic,
            "No such history table: nope",
        );
        a.fails(
            "queryHistory",
            vec![],
            vec![("tag", s("nope"))],
            FaultCode::Generic,
            "No such entry in table tag: nope",
        );
        let by_tag = a.ok(
            "queryHistory",
            vec![],
            vec![("tag", s("base")), ("utc", Value::Bool(true))],
        );
        let tables: Vec<&str> = by_tag.as_struct().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            tables,
            [
                "build_target_config",
                "group_config",
                "group_package_listing",
                "group_req_listing",
                "tag_config",
                "tag_external_repos",
                "tag_extra",
                "tag_inheritance",
                "tag_listing",
                "tag_package_owners",
                "tag_packages",
            ]
        );
        // The inheritance filter matches either end of a link.
        assert_eq!(
            by_tag.get("tag_inheritance").unwrap().as_array().unwrap().len(),
            1
        );
        let extra = by_tag.get("tag_extra").unwrap().as_array().unwrap();
        assert_eq!(extra.len(), 3);
        let first = &extra[0];
        assert_eq!(first.get("value"), Some(&s("\"v\"")));
        assert_eq!(first.get("tag.name"), Some(&s("base")));
        assert_eq!(first.get("active"), Some(&Value::Nil));
        assert_eq!(first.get("creator_name"), Some(&s("admin")));
        assert!(matches!(first.get("create_ts"), Some(Value::Double(_))));
        assert!(matches!(first.get("revoke_ts"), Some(Value::Double(_))));
        let by_key = a.ok(
            "queryHistory",
            vec![],
            vec![("xkey", s("j")), ("active", Value::Bool(true))],
        );
        assert_eq!(
            by_key.as_struct().unwrap().keys().collect::<Vec<_>>(),
            ["tag_extra"]
        );
        assert_eq!(by_key.get("tag_extra").unwrap().as_array().unwrap().len(), 1);
        let by_editor = a.ok("queryHistory", vec![], vec![("editor", s("bob"))]);
        let groups = by_editor.get("group_config").unwrap().as_array().unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].get("_created_by"), Some(&Value::Bool(true)));
        assert_eq!(groups[0].get("group.name"), Some(&s("build")));
        assert_eq!(
            by_editor.get("tag_config"),
            Some(&Value::Array(vec![])),
            "bob made no tag"
        );
        let by_package = a.ok("queryHistory", vec![], vec![("package", s("pkg"))]);
        let owners = by_package.get("tag_package_owners").unwrap().as_array().unwrap();
        assert_eq!(owners[0].get("owner.name"), Some(&s("bob")));
        let after = a.ok(
            "queryHistory",
            vec![],
            vec![("afterEvent", int(after_build)), ("tag", s("base"))],
        );
        assert_eq!(after.get("tag_config"), Some(&Value::Array(vec![])));
        assert_eq!(after.get("tag_extra").unwrap().as_array().unwrap().len(), 3);
        // Filters no stored table can satisfy leave every table out.
        let by_host = a.ok("queryHistory", vec![], vec![("host", s("builder"))]);
        assert_eq!(by_host, Value::Struct(Default::default()));
        let planned = a.ok(
            "queryHistory",
            vec![],
            vec![("tables", Value::Array(vec![s("tag_listing")]))],
        );
        assert_eq!(planned.get("tag_listing"), Some(&Value::Array(vec![])));

        // When tags changed.
        let last = a.last_event();
        assert_eq!(a.ok("tagLastChangeEvent", vec![s("build")], vec![]), int(last));
        assert_eq!(
            a.ok(
                "tagLastChangeEvent",
                vec![s("build")],
                vec![("inherit", Value::Bool(false))]
            ),
            int(after_build)
        );
        assert_eq!(
            a.ok(
                "tagLastChangeEvent",
                vec![s("build")],
                vec![("before", int(after_build))]
            ),
            int(after_build)
        );
        assert_eq!(a.ok("tagFirstChangeEvent", vec![s("base")], vec![]), int(created));
        assert_eq!(
            a.ok(
                "tagFirstChangeEvent",
                vec![s("build")],
                vec![("after", int(after_build))]
            ),
            int(after_build + 1)
        );
        assert_eq!(
            a.ok(
                "tagFirstChangeEvent",
                vec![s("build")],
                vec![("after", int(last))]
            ),
            Value::Nil
        );
        assert_eq!(
            a.ok(
                "tagChangedSinceEvent",
                vec![int(after_build), Value::Array(vec![int(2)])],
                vec![]
            ),
            Value::Bool(false)
        );
        assert_eq!(
            a.ok(
                "tagChangedSinceEvent",
                vec![int(after_build), Value::Array(vec![int(1), int(2)])],
                vec![]
            ),
            Value::Bool(true)
        );
        a.fails(
            "tagLastChangeEvent",
            vec![s("nope")],
            vec![],
            FaultCode::Generic,
            "No such tagInfo: 'nope'",
        );
    })
    .await;
}

#[tokio::test]
async fn list_tags_filters() {
    with_clients(|c| {
        let a = &c.admin;
        for name in ["f40", "f40-build", "F41", "el9_x", "el9-x"] {
            create_tag(a, name, vec![]);
        }
        a.ok(
            "editTag2",
            vec![s("F41")],
            vec![("perm", s("admin")), ("locked", Value::Bool(true))],
        );
        a.ok(
            "packageListAdd",
            vec![s("f40"), s("pkg")],
            vec![("owner", s("bob"))],
        );
        let list = |kwargs: Vec<(&str, Value)>| sorted_names(&a.ok("listTags", vec![], kwargs), "name");
        assert_eq!(list(vec![("pattern", s("f4*"))]), ["F41", "f40", "f40-build"]);
        assert_eq!(list(vec![("pattern", s("F4?"))]), ["F41", "f40"]);
        // `_` is literal in globs; `?` is any one character.
        assert_eq!(list(vec![("pattern", s("el9_*"))]), ["el9_x"]);
        assert_eq!(list(vec![("pattern", s("el9?x"))]), ["el9-x", "el9_x"]);
        let with_package = a.ok("listTags", vec![], vec![("package", s("pkg"))]);
        let row = &with_package.as_array().unwrap()[0];
        assert_eq!(row.get("name"), Some(&s("f40")));
        assert_eq!(row.get("owner_name"), Some(&s("bob")));
        assert_eq!(row.get("blocked"), Some(&Value::Bool(false)));
        let locked = a.ok("listTags", vec![], vec![("pattern", s("F41"))]);
        assert_eq!(locked.as_array().unwrap()[0].get("perm"), Some(&s("admin")));
        let without_perms = a.ok("listTags", vec![], vec![("perms", Value::Bool(false))]);
        assert_eq!(without_perms.as_array().unwrap()[0].get("perm"), None);
        let paged = a.ok(
            "listTags",
            vec![],
            vec![("queryOpts", strukt(&[("order", s("-id")), ("limit", int(2))]))],
        );
        assert_eq!(names(&paged, "name"), ["el9-x", "el9_x"]);
        let count = a.ok(
            "listTags",
            vec![],
            vec![("queryOpts", strukt(&[("countOnly", Value::Bool(true))]))],
        );
        assert_eq!(count, int(5));
        a.fails(
            "listTags",
            vec![],
            vec![("build", s("x-1-1")), ("package", s("pkg"))],
            FaultCode::Generic,
            "only one of build and package may be specified",
        );
    })
    .await;
}
