//! Uploads and task output against a real hub: raw uploads into a task's own directory and a
//! user's own directory, offsets, appends and overwrites, checksums, locks, refused paths, the
//! legacy base64 upload, listing and downloading task output, and `/kojifiles`.

use std::os::unix::fs::symlink;

use base64::Engine as _;
use common::FaultCode;
use common::checksum::adler32_hex;
use common::client::{ClientSession, urlencode};
use common::xmlrpc::Value;
use hub::test_clients::{add_host, anonymous, blocking, check_in, fault, login, make_task};
use hub::testing::{TestHub, raw_post};

fn upload(
    session: &ClientSession,
    dir: &str,
    name: &str,
    offset: u64,
    data: &[u8],
    overwrite: bool,
) -> Result<(), (i32, String)> {
    session
        .upload_chunk(dir, name, offset, data, overwrite)
        .map_err(|e| match e.fault() {
            Some(f) => (f.code, f.message.clone()),
            None => panic!("unexpected error: {e}"),
        })
}

fn check_upload(session: &ClientSession, dir: &str, name: &str) -> Value {
    session
        .call_kw(
            "checkUpload",
            vec![Value::from(dir), Value::from(name)],
            vec![("verify", Value::from("adler32"))],
        )
        .unwrap()
}

/// A host holding one OPEN task; returns the task's upload directory.
fn running_task(url: &str, admin: &ClientSession, name: &str) -> (ClientSession, i64, String) {
    let (_, host) = add_host(url, admin, name, &["x86_64"]);
    let task_id = make_task(
        admin,
        "sleep",
        vec![Value::Int(0)],
        vec![("assign", Value::from(name))],
    );
    check_in(&host, &["sleep"], 5);
    host.call("host.openTask", vec![Value::Int(task_id)]).unwrap();
    (host, task_id, format!("tasks/{}/{task_id}", task_id % 10000))
}

#[tokio::test]
async fn hosts_upload_into_their_own_task_directory() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let topdir = hub.topdir();
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let (host, task_id, dir) = running_task(&url, &admin, "b1");
        let (other, _, other_dir) = running_task(&url, &admin, "b2");
        upload(&host, &dir, "build.log", 0, b"hello ", true).unwrap();
        upload(&host, &dir, "build.log", 6, b"world\n", true).unwrap();
        let checked = check_upload(&host, &dir, "build.log");
        assert_eq!(checked.get("size"), Some(&Value::Int(12)));
        assert_eq!(
            checked.get("hexdigest"),
            Some(&Value::from(adler32_hex(b"hello world\n")))
        );
        assert_eq!(checked.get("sumlength"), Some(&Value::Int(12)));
        // offset -1 appends; overwrite truncates at the offset.
        let raw = host.subsession().unwrap();
        let (id, key) = raw.credentials().unwrap();
        let (status, body) = raw_post(
            &format!(
                "{url}?filename=build.log&filepath={}&fileverify=adler32&offset=-1",
                urlencode(&dir)
            ),
            b"!!",
            &[
                ("Content-Type", "application/octet-stream".into()),
                ("Koji-Session-Id", id.to_string()),
                ("Koji-Session-Key", key),
                ("Koji-Session-Callnum", "0".into()),
            ],
        );
        assert_eq!(status, 200);
        assert!(
            body.contains("<name>offset</name>\n<value><int>12</int>"),
            "{body}"
        );
        assert_eq!(
            check_upload(&host, &dir, "build.log").get("size"),
            Some(&Value::Int(14))
        );
        upload(&host, &dir, "build.log", 6, b"there\n", true).unwrap();
        let on_disk = topdir.join("work").join(&dir).join("build.log");
        assert_eq!(std::fs::read(&on_disk).unwrap(), b"hello there\n");
        let refused = [
            upload(&host, &dir, "build.log", 100, b"x", false),
            upload(&host, &dir, "build.log", 0, b"x", false),
            upload(&host, &format!("{dir}/../../../etc"), "passwd", 0, b"x", true),
            upload(&host, "/etc", "passwd", 0, b"x", true),
            upload(&host, &dir, "../escape", 0, b"x", true),
            upload(&host, &dir, ".hidden", 0, b"x", true),
            upload(&host, &other_dir, "build.log", 0, b"x", true),
            upload(&other, &dir, "build.log", 0, b"x", true),
            upload(&admin, &dir, "build.log", 0, b"x", true),
        ];
        let codes: Vec<i32> = refused.iter().map(|r| r.as_ref().unwrap_err().0).collect();
        assert_eq!(
            codes,
            [1019, 1000, 1000, 1000, 1000, 1000, 1004, 1004, 1002],
            "{refused:?}"
        );
        assert_eq!(
            std::fs::read(&on_disk).unwrap(),
            b"hello there\n",
            "nothing changed"
        );
        assert!(!topdir.join("etc").exists());
        assert!(!topdir.join("work").join(&other_dir).join("build.log").exists());
        // A symbolic link in the way is refused, not followed.
        let outside = tempfile::tempdir().unwrap();
        symlink(outside.path(), topdir.join("work").join(&dir).join("link")).unwrap();
        let (code, message) = upload(&host, &format!("{dir}/link"), "x.log", 0, b"x", true).unwrap_err();
        assert_eq!(code, 1000, "{message}");
        assert!(message.contains("symbolic links"), "{message}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        // A file being written by another upload is locked.
        let file = std::fs::File::open(&on_disk).unwrap();
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).unwrap();
        let (code, _) = upload(&host, &dir, "build.log", 0, b"x", true).unwrap_err();
        assert_eq!(code, FaultCode::Lock.code());
        drop(lock);
        assert_eq!(std::fs::read(&on_disk).unwrap(), b"hello there\n");

        let listed = admin.call("listTaskOutput", vec![Value::Int(task_id)]).unwrap();
        assert_eq!(listed, Value::Array(vec![Value::from("build.log")]));
        let all = admin
            .call_kw(
                "listTaskOutput",
                vec![Value::Int(task_id)],
                vec![("all_volumes", Value::Bool(true))],
            )
            .unwrap();
        assert_eq!(
            all.get("build.log"),
            Some(&Value::Array(vec![Value::from("DEFAULT")]))
        );
        let stat = admin
            .call_kw(
                "listTaskOutput",
                vec![Value::Int(task_id)],
                vec![("stat", Value::Bool(true))],
            )
            .unwrap();
        assert_eq!(
            stat.get("build.log").and_then(|s| s.get("st_size")),
            Some(&Value::from("12"))
        );
        let download = |offset: i64, size: i64| {
            let text = admin
                .call_kw(
                    "downloadTaskOutput",
                    vec![Value::Int(task_id), Value::from("build.log")],
                    vec![("offset", Value::Int(offset)), ("size", Value::Int(size))],
                )
                .unwrap();
            base64::engine::general_purpose::STANDARD
                .decode(text.as_str().unwrap())
                .unwrap()
        };
        assert_eq!(download(0, -1), b"hello there\n");
        assert_eq!(download(6, 5), b"there");
        assert_eq!(download(12, 16384), b"");
        let (code, message) = fault(admin.call(
            "downloadTaskOutput",
            vec![Value::Int(task_id), Value::from("../../../../../etc/passwd")],
        ));
        assert_eq!(
            (code, message.as_str()),
            (1000, "Invalid file name: ../../../../../etc/passwd")
        );
        let (_, message) = fault(admin.call(
            "downloadTaskOutput",
            vec![Value::Int(task_id), Value::from("nope.log")],
        ));
        assert_eq!(message, format!("no file \"nope.log\" output by task {task_id}"));
    })
    .await;
}

#[tokio::test]
async fn users_upload_into_directories_they_started() {
    let hub = TestHub::start().await;
    hub.add_user("admin", "pw", &["admin"]).await;
    hub.add_user("bob", "pw", &[]).await;
    let topdir = hub.topdir();
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.src.rpm");
    let content: Vec<u8> = (0..3_000_000_u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&big, &content).unwrap();
    let url = hub.url();
    blocking(move || {
        let admin = login(&url, "admin", "pw");
        let bob = login(&url, "bob", "pw");
        bob.upload_file(&big, "cli-build/1.abc", "big.src.rpm", 1 << 20)
            .unwrap();
        let on_disk = topdir.join("work/cli-build/1.abc/big.src.rpm");
        assert_eq!(std::fs::read(&on_disk).unwrap(), content);
        let (code, message) = upload(&admin, "cli-build/1.abc", "other.rpm", 0, b"x", true).unwrap_err();
        assert_eq!(code, FaultCode::ActionNotAllowed.code(), "{message}");
        assert!(!topdir.join("work/cli-build/1.abc/other.rpm").exists());
        assert_eq!(check_upload(&bob, "cli-build/1.abc", "missing.rpm"), Value::Nil);
        let verify = |kind: &str, tail: Option<i64>| {
            let mut kwargs = vec![("verify", Value::from(kind))];
            if let Some(tail) = tail {
                kwargs.push(("tail", Value::Int(tail)));
            }
            bob.call_kw(
                "checkUpload",
                vec![Value::from("cli-build/1.abc"), Value::from("big.src.rpm")],
                kwargs,
            )
            .unwrap()
        };
        let md5 = verify("md5", None);
        assert_eq!(
            md5.get("hexdigest").and_then(Value::as_str).map(str::len),
            Some(32)
        );
        assert_eq!(md5.get("sumlength"), Some(&Value::Int(3_000_000)));
        let tail = verify("sha256", Some(10));
        assert_eq!(tail.get("sumlength"), Some(&Value::Int(10)));
        let expected: String = {
            use sha2::Digest as _;
            sha2::Sha256::digest(&content[content.len() - 10..])
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(tail.get("hexdigest"), Some(&Value::from(expected)));

        // The legacy base64 upload checks each chunk before writing it.
        let data = base64::engine::general_purpose::STANDARD.encode(b"legacy");
        let call = |digest: &str, offset: i64| {
            bob.call(
                "uploadFile",
                vec![
                    Value::from("cli-build/2.def"),
                    Value::from("l.log"),
                    Value::Int(6),
                    Value::Array(vec![Value::from("sha256"), Value::from(digest)]),
                    Value::Int(offset),
                    Value::from(data.clone()),
                ],
            )
        };
        let (code, message) = fault(call("00", 0));
        assert_eq!(code, 1000);
        assert!(message.starts_with("sha256 checksum mismatch"), "{message}");
        assert!(!topdir.join("work/cli-build/2.def/l.log").exists());
        let actual: String = {
            use sha2::Digest as _;
            sha2::Sha256::digest(b"legacy")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(call(&actual, 0).unwrap(), Value::Bool(true));
        assert_eq!(call(&actual, -1).unwrap(), Value::Bool(true));
        assert_eq!(
            std::fs::read(topdir.join("work/cli-build/2.def/l.log")).unwrap(),
            b"legacy"
        );
        let anonymous = anonymous(&url);
        let (code, _) = fault(anonymous.call(
            "uploadFile",
            vec![
                Value::from("cli-build/3"),
                Value::from("x"),
                Value::Int(1),
                Value::Nil,
                Value::Int(0),
                Value::from("eA=="),
            ],
        ));
        assert_eq!(code, FaultCode::ActionNotAllowed.code());
    })
    .await;
}

#[tokio::test]
async fn topdir_is_served_read_only_with_ranges() {
    let hub = TestHub::start().await;
    let topdir = hub.topdir();
    std::fs::create_dir_all(topdir.join("work/tasks/5/5")).unwrap();
    std::fs::write(topdir.join("work/tasks/5/5/build.log"), b"0123456789").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"s").unwrap();
    symlink(outside.path().join("secret"), topdir.join("work/leak")).unwrap();
    let base = format!("http://{}/kojifiles", hub.addr);
    blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let get = |path: &str, range: Option<&str>| {
            let mut request = agent.get(&format!("{base}{path}"));
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            let mut response = request.call().unwrap();
            let status = response.status().as_u16();
            let body = response.body_mut().read_to_vec().unwrap();
            (status, body)
        };
        assert_eq!(
            get("/work/tasks/5/5/build.log", None),
            (200, b"0123456789".to_vec())
        );
        assert_eq!(
            get("/work/tasks/5/5/build.log", Some("bytes=4-")),
            (206, b"456789".to_vec())
        );
        assert_eq!(
            get("/work/tasks/5/5/build.log", Some("bytes=2-3")),
            (206, b"23".to_vec())
        );
        assert_eq!(get("/work/tasks/5/5/build.log", Some("bytes=10-")).0, 416);
        assert_eq!(get("/work/../../etc/passwd", None).0, 404);
        assert_eq!(get("/work/leak", None).0, 404);
        assert_eq!(get("/work/tasks/5/5/missing.log", None).0, 404);
        let head = agent
            .head(&format!("{base}/work/tasks/5/5/build.log"))
            .call()
            .unwrap();
        assert_eq!(head.status().as_u16(), 200);
        assert_eq!(
            head.headers().get("content-length").and_then(|v| v.to_str().ok()),
            Some("10")
        );
        let post = agent.post(&format!("{base}/work/x")).send(&b"x"[..]).unwrap();
        assert_eq!(post.status().as_u16(), 405);
    })
    .await;
}
