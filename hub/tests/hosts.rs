//! Hosts and channels against a real hub: adding, editing, enabling and listing hosts, channel
//! membership, and who may call `host.*`.

use common::FaultCode;
use common::xmlrpc::Value;
use hub::test_clients::{add_host, anonymous, blocking, fault, login};
use hub::testing::TestHub;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn add_host_makes_a_host_user_config_and_default_channel() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        let (host_id, _builder) = add_host(&url, &admin, "builder1", &["x86_64", "aarch64"]);
        let host = admin.call("getHost", vec![Value::from("builder1")]).unwrap();
        assert_eq!(host.get("id"), Some(&Value::Int(host_id)));
        assert_eq!(host.get("arches"), Some(&Value::from("x86_64 aarch64")));
        assert_eq!(host.get("capacity"), Some(&Value::Double(2.0)));
        assert_eq!(host.get("enabled"), Some(&Value::Bool(true)));
        assert_eq!(host.get("ready"), Some(&Value::Bool(false)));
        assert_eq!(host.get("update_ts"), Some(&Value::Nil));
        assert_eq!(host.as_struct().unwrap().len(), 11);
        let user = admin.call("getUser", vec![Value::from("builder1")]).unwrap();
        assert_eq!(user.get("usertype"), Some(&Value::Int(1)));
        assert_eq!(host.get("user_id"), user.get("id"));
        let channels = admin
            .call_kw("listChannels", vec![], vec![("hostID", Value::Int(host_id))])
            .unwrap();
        assert_eq!(names(&channels), ["default"]);
        let all = admin.call("listChannels", vec![]).unwrap();
        assert_eq!(
            names(&all),
            [
                "default",
                "createrepo",
                "maven",
                "livecd",
                "appliance",
                "vm",
                "image",
                "livemedia"
            ]
        );
        let (code, message) = fault(admin.call(
            "addHost",
            vec![Value::from("builder1"), Value::Array(vec![Value::from("x86_64")])],
        ));
        assert_eq!((code, message.as_str()), (1000, "host already exists: builder1"));
        let (code, _) = fault(bob.call(
            "addHost",
            vec![Value::from("builder2"), Value::Array(vec![Value::from("x86_64")])],
        ));
        assert_eq!(code, FaultCode::ActionNotAllowed.code());
        let (code, _) = fault(admin.call(
            "addHost",
            vec![Value::from("bob"), Value::Array(vec![Value::from("x86_64")])],
        ));
        assert_eq!(
            code, 1000,
            "a normal user is not turned into a host without force"
        );
        assert_eq!(
            admin.call("getHost", vec![Value::from("nope")]).unwrap(),
            Value::Nil
        );
        let (code, message) = fault(admin.call_kw(
            "getHost",
            vec![Value::from("nope")],
            vec![("strict", Value::Bool(true))],
        ));
        assert_eq!((code, message.as_str()), (1000, "Invalid hostInfo: 'nope'"));
    })
    .await;
}

#[tokio::test]
async fn hosts_are_edited_enabled_and_listed() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        add_host(&url, &admin, "b1", &["x86_64"]);
        add_host(&url, &admin, "b2", &["aarch64"]);
        let edit = |kwargs: Vec<(&str, Value)>| admin.call_kw("editHost", vec![Value::from("b1")], kwargs);
        assert_eq!(
            edit(vec![
                ("capacity", Value::Double(4.5)),
                ("description", Value::from("fast"))
            ])
            .unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            edit(vec![("capacity", Value::Double(4.5))]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(fault(edit(vec![("capacity", Value::Double(0.5))])).0, 1019);
        assert_eq!(fault(edit(vec![("bogus", Value::Int(1))])).0, 1019);
        assert_eq!(
            edit(vec![("arches", Value::from("x86_64 i686"))]).unwrap(),
            Value::Bool(true)
        );
        let host = admin.call("getHost", vec![Value::from("b1")]).unwrap();
        assert_eq!(host.get("capacity"), Some(&Value::Double(4.5)));
        assert_eq!(host.get("arches"), Some(&Value::from("x86_64 i686")));
        assert_eq!(host.get("description"), Some(&Value::from("fast")));

        admin.call("disableHost", vec![Value::from("b2")]).unwrap();
        let listed = |kwargs: Vec<(&str, Value)>| names(&admin.call_kw("listHosts", vec![], kwargs).unwrap());
        assert_eq!(listed(vec![]), ["b1", "b2"]);
        assert_eq!(listed(vec![("enabled", Value::Bool(false))]), ["b2"]);
        assert_eq!(listed(vec![("enabled", Value::Bool(true))]), ["b1"]);
        assert_eq!(
            listed(vec![("arches", Value::Array(vec![Value::from("i686")]))]),
            ["b1"]
        );
        assert_eq!(
            listed(vec![("arches", Value::Array(vec![Value::from("x86")]))]),
            Vec::<String>::new()
        );
        admin.call("enableHost", vec![Value::from("b2")]).unwrap();
        assert_eq!(listed(vec![("enabled", Value::Bool(true))]), ["b1", "b2"]);
        let count = admin
            .call_kw(
                "listHosts",
                vec![],
                vec![("queryOpts", Value::structure([("countOnly", Value::Bool(true))]))],
            )
            .unwrap();
        assert_eq!(count, Value::Int(2));
        assert_eq!(
            admin
                .call_kw(
                    "getLastHostUpdate",
                    vec![Value::from("b1")],
                    vec![("ts", Value::Bool(true))]
                )
                .unwrap(),
            Value::Nil
        );
    })
    .await;
}

#[tokio::test]
async fn channels_and_membership() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        add_host(&url, &admin, "b1", &["x86_64"]);
        admin
            .call(
                "addHostToChannel",
                vec![Value::from("b1"), Value::from("createrepo")],
            )
            .unwrap();
        let (code, message) = fault(admin.call(
            "addHostToChannel",
            vec![Value::from("b1"), Value::from("createrepo")],
        ));
        assert_eq!(
            (code, message.as_str()),
            (1000, "host b1 is already subscribed to the createrepo channel")
        );
        let (_, message) =
            fault(admin.call("addHostToChannel", vec![Value::from("b1"), Value::from("fresh")]));
        assert_eq!(message, "channel does not exist: 'fresh'");
        admin
            .call_kw(
                "addHostToChannel",
                vec![Value::from("b1"), Value::from("fresh")],
                vec![("create", Value::Bool(true))],
            )
            .unwrap();
        let channels = admin
            .call_kw("listChannels", vec![], vec![("hostID", Value::from("b1"))])
            .unwrap();
        assert_eq!(names(&channels), ["default", "createrepo", "fresh"]);
        let in_createrepo = admin
            .call_kw(
                "listHosts",
                vec![],
                vec![("channelID", Value::from("createrepo"))],
            )
            .unwrap();
        assert_eq!(names(&in_createrepo), ["b1"]);
        admin
            .call(
                "removeHostFromChannel",
                vec![Value::from("b1"), Value::from("fresh")],
            )
            .unwrap();
        let (_, message) = fault(admin.call(
            "removeHostFromChannel",
            vec![Value::from("b1"), Value::from("fresh")],
        ));
        assert_eq!(message, "host b1 is not subscribed to the fresh channel");

        let id = admin
            .call_kw(
                "addChannel",
                vec![Value::from("extra")],
                vec![("description", Value::from("more"))],
            )
            .unwrap();
        let channel = admin.call("getChannel", vec![id.clone()]).unwrap();
        assert_eq!(channel.get("name"), Some(&Value::from("extra")));
        assert_eq!(channel.get("description"), Some(&Value::from("more")));
        let (_, message) = fault(admin.call("addChannel", vec![Value::from("extra")]));
        assert!(message.starts_with("channel extra already exists"), "{message}");
        admin
            .call_kw(
                "editChannel",
                vec![Value::from("extra")],
                vec![("name", Value::from("extra2"))],
            )
            .unwrap();
        admin
            .call_kw(
                "disableChannel",
                vec![Value::from("extra2")],
                vec![("comment", Value::from("off"))],
            )
            .unwrap();
        let channel = admin.call("getChannel", vec![id]).unwrap();
        assert_eq!(channel.get("enabled"), Some(&Value::Bool(false)));
        assert_eq!(channel.get("comment"), Some(&Value::from("off")));
        let enabled = admin
            .call_kw("listChannels", vec![], vec![("enabled", Value::Bool(false))])
            .unwrap();
        assert_eq!(names(&enabled), ["extra2"]);
        assert_eq!(
            fault(admin.call_kw(
                "getChannel",
                vec![Value::from("nope")],
                vec![("strict", Value::Bool(true))]
            ))
            .1,
            "No such channel: 'nope'"
        );
    })
    .await;
}

#[tokio::test]
async fn only_exclusive_host_sessions_may_call_host_methods() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (host_id, builder) = add_host(&url, &admin, "b1", &["x86_64"]);
        let shared = anonymous(&url);
        shared.login_password("b1", "hostpw").unwrap();
        let nobody = anonymous(&url);
        assert_eq!(builder.call("host.getID", vec![]).unwrap(), Value::Int(host_id));
        let sub = builder.subsession().unwrap();
        assert_eq!(sub.call("host.getID", vec![]).unwrap(), Value::Int(host_id));
        assert_eq!(
            sub.call("host.getHost", vec![]).unwrap().get("name"),
            Some(&Value::from("b1"))
        );
        let (code, message) = fault(admin.call("host.getID", vec![]));
        assert_eq!(code, FaultCode::Auth.code());
        assert!(
            message.contains("may only be called by a build host"),
            "{message}"
        );
        let (code, _) = fault(nobody.call("host.getID", vec![]));
        assert_eq!(code, FaultCode::Auth.code());
        // A second session of the host user is locked out by the exclusive one.
        let (code, _) = fault(shared.call("host.getID", vec![]));
        assert_eq!(code, FaultCode::AuthLock.code());
        builder.call("sharedSession", vec![]).unwrap();
        let (code, message) = fault(shared.call("host.getID", vec![]));
        assert_eq!(
            (code, message.as_str()),
            (FaultCode::Auth.code(), "host.getID requires an exclusive session")
        );
        let (code, _) = fault(admin.call("host.waitTasks", vec![Value::Int(0)]));
        assert_eq!(code, FaultCode::Auth.code());
    })
    .await;
}
