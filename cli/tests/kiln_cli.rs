//! `kiln` against a real hub, side by side with the stock `koji` 1.36.1 client: the same
//! command lines through both, stdout compared (names and ids aside where each run made its
//! own), plus logins, faults, connection errors, profiles and completions.

use std::path::{Path, PathBuf};
use std::process::Command;

use hub::config::TlsConfig;
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::{KojiCli, Output};

struct Setup {
    hub: TestHub,
    koji: KojiCli,
    /// The koji.conf both clients read (profiles `koji` and `kiln-cert`).
    config: PathBuf,
    /// The HOME both clients run with.
    home: PathBuf,
    /// The admin client certificate.
    admin_cert: PathBuf,
}

/// A hub with TLS from a development PKI, user `admin` (password `pw`) and a koji.conf.
async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap().keep();
    let pki = hub::dev::ensure_pki(&dir).unwrap();
    let tls = TlsConfig {
        cert: pki.server_cert.clone(),
        key: pki.server_key.clone(),
        client_ca: Some(pki.ca_cert.clone()),
    };
    let hub = TestHub::start_with(TestHubOptions {
        tls: Some(tls),
        ..Default::default()
    })
    .await;
    hub.add_user("admin", "pw", &["admin"]).await;
    let conf = hub::dev::koji_conf_text(hub.addr, &pki, &hub.topdir())
        .replace("authtype = password\n", "authtype = password\nmax_retries = 0\n")
        .replace("authtype = ssl\n", "authtype = ssl\nmax_retries = 0\n");
    let config = dir.join("koji.conf");
    std::fs::write(&config, conf).unwrap();
    Setup {
        hub,
        koji: KojiCli {
            config: config.clone(),
        },
        config,
        home: dir.clone(),
        admin_cert: pki.admin_cert.clone(),
    }
}

fn run_kiln(home: &Path, args: &[String]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .env("HOME", home)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// `kiln -c CONFIG ARGS…`.
async fn kiln(s: &Setup, args: &[&str]) -> Output {
    let mut full = owned(&["-c", s.config.to_str().unwrap()]);
    full.extend(owned(args));
    let home = s.home.clone();
    tokio::task::spawn_blocking(move || run_kiln(&home, &full))
        .await
        .unwrap()
}

/// `kiln ARGS…` with another HOME and no `-c`.
async fn kiln_at(home: &Path, args: &[&str]) -> Output {
    let args = owned(args);
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || run_kiln(&home, &args))
        .await
        .unwrap()
}

/// `koji -c CONFIG ARGS…`.
async fn koji(s: &Setup, args: &[&str]) -> Output {
    let cli = s.koji.clone();
    let args = owned(args);
    tokio::task::spawn_blocking(move || cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

const AUTH: [&str; 4] = ["--user", "admin", "--password", "pw"];

fn with_auth<'a>(args: &[&'a str]) -> Vec<&'a str> {
    AUTH.iter().chain(args).copied().collect()
}

/// Runs the same command line through both clients and checks stdout and the exit code match.
async fn same(s: &Setup, args: &[&str]) -> Output {
    let ours = kiln(s, args).await;
    let theirs = koji(s, args).await;
    assert_eq!(
        ours.stdout, theirs.stdout,
        "stdout differs for {args:?}\nkiln stderr: {}\nkoji stderr: {}",
        ours.stderr, theirs.stderr
    );
    assert_eq!(
        ours.code, theirs.code,
        "exit code differs for {args:?}: {}",
        ours.stderr
    );
    ours
}

/// Both fail with the same exit code and a stderr line naming the same error.
async fn same_error(s: &Setup, args: &[&str], line: &str) -> Output {
    let ours = kiln(s, args).await;
    let theirs = koji(s, args).await;
    assert_eq!(
        ours.code, theirs.code,
        "{args:?}\nkiln: {}\nkoji: {}",
        ours.stderr, theirs.stderr
    );
    assert_ne!(ours.code, 0, "{args:?}");
    assert!(
        theirs.stderr.contains(line),
        "koji stderr for {args:?}: {}",
        theirs.stderr
    );
    assert!(
        ours.stderr.lines().any(|l| l.ends_with(line)),
        "kiln stderr for {args:?}: {}",
        ours.stderr
    );
    assert!(!ours.stderr.contains("panicked"), "{}", ours.stderr);
    assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
    ours
}

/// Everything after the greeting word, which both clients pick at random.
fn without_greeting(stdout: &str) -> String {
    let lines: Vec<&str> = stdout
        .lines()
        .map(|line| match line.split_once(", ") {
            Some((_, rest)) if line.ends_with('!') => rest,
            _ => line,
        })
        .collect();
    lines.join("\n")
}

async fn same_hello(s: &Setup, args: &[&str]) -> String {
    let ours = kiln(s, args).await.ok();
    let theirs = koji(s, args).await.ok();
    assert_eq!(
        without_greeting(&ours.stdout),
        without_greeting(&theirs.stdout),
        "{args:?}"
    );
    ours.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_and_version() {
    let s = setup().await;
    let out = same_hello(&s, &with_auth(&["hello"])).await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(", admin!"), "{out}");
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2],
        format!(
            "You are using the hub at http://{}/kojihub (Koji 1.36.1)",
            s.hub.addr
        )
    );
    assert_eq!(lines[3], "Authenticated via password");

    let out = same_hello(&s, &["-p", "kiln-cert", "hello"]).await;
    assert!(
        out.contains(&format!(
            "You are using the hub at https://{}/kojihub",
            s.hub.addr
        )),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "Authenticated via client certificate {}\n",
            s.admin_cert.display()
        )),
        "{out}"
    );
    same_hello(&s, &["--noauth", "hello"]).await;
    same_hello(&s, &with_auth(&["moshimoshi"])).await;

    let ours = kiln(&s, &["version"]).await.ok();
    let theirs = koji(&s, &["version"]).await.ok();
    assert_eq!(ours.stdout.lines().nth(1), theirs.stdout.lines().nth(1));
    assert_eq!(ours.stdout.lines().nth(1), Some("Hub:    1.36.1"));
    assert!(ours.stdout.starts_with("Client: kiln "), "{}", ours.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_faults_and_connection_errors() {
    let s = setup().await;
    same_error(
        &s,
        &["--user", "admin", "--password", "wrong", "hello"],
        "AuthError: invalid username or password",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["call", "noSuchMethod"]),
        "GenericError: Invalid method: noSuchMethod",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["call", "getUser", "admin", "bogus=1"]),
        "ParameterError: getUser() got an unexpected keyword argument 'bogus'",
    )
    .await;
    let out = kiln(&s, &with_auth(&["--debug", "call", "noSuchMethod"])).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("GenericError: Invalid method: noSuchMethod (fault code 1000)"),
        "{}",
        out.stderr
    );
    // Anonymous calls of methods that need a login.
    same_error(
        &s,
        &["--noauth", "call", "createUser", "x"],
        "ActionNotAllowed: you must be logged in for this operation",
    )
    .await;

    // A hub that is not there: the URL and the reason, no backtrace.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/kojihub", closed.local_addr().unwrap());
    drop(closed);
    let out = kiln(&s, &["--server", &url, "version"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("Error: Unable to connect to server {url}: ")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_prints_like_koji() {
    let s = setup().await;
    for args in [
        &["call", "getLoggedInUser"][..],
        &["call", "getUser", "admin", "groups=True"],
        &["call", "getUser", "1", "krb_princs=False"],
        &["call", "--json-output", "getUser", "admin"],
        &["call", "getAllPerms"],
        &["call", "--json-output", "getAllPerms"],
        &["call", "_listapi"],
        &["call", "system.listMethods"],
        &[
            "call",
            "--",
            "echo",
            "1",
            "-2",
            "2.5",
            "1e3",
            "None",
            "True",
            "False",
            "text",
            "it's \"quoted\"",
            "tab\there",
            "a rather long string of words that will certainly not fit in eighty columns of output at all",
        ],
        &[
            "call",
            "--python",
            "echo",
            "{'nested': [1, 2, {'deep': 'x' * 3}], 'lines': 'one\\ntwo\\nthree and a much longer line that has to be split somewhere'}",
            "[None, True, 0x10, -3.5, (1, 2)]",
        ],
        &[
            "call",
            "--json-input",
            "echo",
            "{\"a\": [1, 2.5, null, \"\u{e9}\"]}",
        ],
        &["call", "--json", "echo", "{\"a\": [1, 2.5, null, \"\u{e9}\"]}"],
        &["call", "-b", "--python", "echo", "bare", "[1]"],
    ] {
        same(&s, &with_auth(args)).await;
    }
    same(&s, &["--noauth", "call", "getAPIVersion"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_permission_commands() {
    let s = setup().await;
    // Read-only listings.
    for args in [
        &["list-permissions"][..],
        &["list-permissions", "--quiet"],
        &["list-permissions", "--user", "admin"],
        &["list-permissions", "--mine"],
        &["list-users"],
        &["list-users", "--usertype", "any"],
        &["list-users", "--perm", "admin"],
        &["list-users", "--prefix", "ad"],
        &["list-api"],
    ] {
        same(&s, &with_auth(args)).await;
    }
    same_error(
        &s,
        &with_auth(&["list-users", "--perm", "nope"]),
        "Invalid permission: nope",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["list-users", "--usertype", "robot"]),
        "Invalid usertype: robot",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["list-permissions", "--user", "ghost"]),
        "No such user: ghost",
    )
    .await;

    // Each client adds its own user; the outputs match with the names and ids swapped.
    let ours = kiln(&s, &with_auth(&["add-user", "kuser"])).await.ok();
    let theirs = koji(&s, &with_auth(&["add-user", "juser"])).await.ok();
    let id = |out: &Output| {
        out.stdout
            .trim()
            .rsplit_once('(')
            .and_then(|(_, id)| id.strip_suffix(')'))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        ours.stdout.replace("kuser", "X").replace(&id(&ours), "N"),
        theirs.stdout.replace("juser", "X").replace(&id(&theirs), "N")
    );
    kiln(
        &s,
        &with_auth(&["add-user", "kdisabled", "--disable", "--principal", "kd@EXAMPLE"]),
    )
    .await
    .ok();
    koji(
        &s,
        &with_auth(&["add-user", "jdisabled", "--disable", "--principal", "jd@EXAMPLE"]),
    )
    .await
    .ok();
    same_error(
        &s,
        &with_auth(&["add-user", "kuser"]),
        "GenericError: user kuser already exists",
    )
    .await;

    kiln(&s, &with_auth(&["grant-permission", "tag", "kuser"]))
        .await
        .ok();
    koji(&s, &with_auth(&["grant-permission", "tag", "juser"]))
        .await
        .ok();
    kiln(
        &s,
        &with_auth(&[
            "grant-permission",
            "--new",
            "--description",
            "Kiln testers",
            "ktest",
            "kuser",
        ]),
    )
    .await
    .ok();
    koji(
        &s,
        &with_auth(&[
            "grant-permission",
            "--new",
            "--description",
            "Koji testers",
            "jtest",
            "juser",
        ]),
    )
    .await
    .ok();
    same(&s, &with_auth(&["list-permissions"])).await;
    same(&s, &with_auth(&["list-permissions", "--user", "kuser"])).await;
    same(&s, &with_auth(&["list-users", "--perm", "tag"])).await;
    same(&s, &with_auth(&["userinfo", "admin"])).await;
    same_error(
        &s,
        &with_auth(&["grant-permission", "tag", "ghost"]),
        "No such user: ghost",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["grant-permission", "--description", "d", "tag", "kuser"]),
        "Option new must be specified with option description.",
    )
    .await;
    same_error(
        &s,
        &with_auth(&["grant-permission", "tag", "kuser"]),
        "GenericError: user kuser already has permission: tag",
    )
    .await;

    kiln(&s, &with_auth(&["revoke-permission", "tag", "kuser"]))
        .await
        .ok();
    koji(&s, &with_auth(&["revoke-permission", "tag", "juser"]))
        .await
        .ok();
    same(&s, &with_auth(&["list-users", "--perm", "tag"])).await;
    same_error(
        &s,
        &with_auth(&["revoke-permission", "tag", "kuser"]),
        "GenericError: user kuser does not have permission: tag",
    )
    .await;

    kiln(&s, &with_auth(&["disable-user", "kuser"])).await.ok();
    koji(&s, &with_auth(&["disable-user", "juser"])).await.ok();
    same(&s, &with_auth(&["call", "getUser", "kuser", "krb_princs=False"])).await;
    let k = kiln(&s, &with_auth(&["call", "getUser", "kuser"])).await.ok();
    let j = koji(&s, &with_auth(&["call", "getUser", "juser"])).await.ok();
    assert!(k.stdout.contains("'status': 1") && j.stdout.contains("'status': 1"));
    kiln(&s, &with_auth(&["enable-user", "kuser"])).await.ok();
    koji(&s, &with_auth(&["enable-user", "juser"])).await.ok();
    kiln(
        &s,
        &with_auth(&["edit-user", "kdisabled", "--rename", "krenamed"]),
    )
    .await
    .ok();
    koji(
        &s,
        &with_auth(&["edit-user", "jdisabled", "--rename", "jrenamed"]),
    )
    .await
    .ok();
    same(&s, &with_auth(&["list-users"])).await;
    same(
        &s,
        &with_auth(&["list-users", "--usertype", "any", "--prefix", "k"]),
    )
    .await;

    // kiln's --password-file for a new user, then a login as that user.
    let password_file = s.home.join("carol.pw");
    std::fs::write(&password_file, "s3cret\nignored second line\n").unwrap();
    let pw = password_file.to_str().unwrap();
    kiln(&s, &with_auth(&["add-user", "carol", "--password-file", pw]))
        .await
        .ok();
    let out = kiln(&s, &["--user", "carol", "--password-file", pw, "hello"])
        .await
        .ok();
    assert!(
        out.stdout.lines().next().unwrap().ends_with(", carol!"),
        "{}",
        out.stdout
    );

    // --json on the listings.
    let out = kiln(&s, &with_auth(&["list-users", "--json"])).await.ok();
    assert!(out.stdout.starts_with("[\n  {\n"), "{}", out.stdout);
    assert!(out.stdout.contains("\"name\": \"carol\""), "{}", out.stdout);
    let out = kiln(&s, &with_auth(&["list-permissions", "--json"])).await.ok();
    assert!(out.stdout.contains("\"name\": \"admin\""), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_from_home() {
    let s = setup().await;
    let home = tempfile::tempdir().unwrap();
    let koji_dir = home.path().join(".koji");
    std::fs::create_dir_all(koji_dir.join("config.d")).unwrap();
    std::fs::write(
        koji_dir.join("config"),
        format!(
            "[koji]\nserver = {}\nmax_retries = 0\nsome_plugin_option = ignored\n",
            s.hub.url()
        ),
    )
    .unwrap();
    std::fs::write(
        koji_dir.join("config.d/other.conf"),
        format!(
            "[DEFAULT]\nmax_retries = 0\n[other]\nserver = http://%(host)s/kojihub\nhost = {}\nmbs_url = http://x/module-build-service\n",
            s.hub.addr
        ),
    )
    .unwrap();
    let out = kiln_at(home.path(), &["version"]).await.ok();
    assert!(out.stdout.ends_with("Hub:    1.36.1\n"), "{}", out.stdout);
    let out = kiln_at(
        home.path(),
        &["-p", "other", "--user", "admin", "--password", "pw", "hello"],
    )
    .await
    .ok();
    assert!(
        out.stdout
            .contains(&format!("You are using the hub at http://{}/kojihub", s.hub.addr)),
        "{}",
        out.stdout
    );
    let out = kiln_at(home.path(), &["-p", "missing", "version"]).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr, "error: no configuration for profile name: missing\n");
    let theirs = {
        let home = home.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Command::new(kiln_tests::koji_cli_path())
                .args(["-p", "missing", "version"])
                .env("HOME", home)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(theirs.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&theirs.stderr).contains("no configuration for profile name: missing"));

    // -c replaces the files in HOME.
    let out = kiln_at(
        home.path(),
        &["-c", s.config.to_str().unwrap(), "-p", "other", "version"],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = kiln_at(home.path(), &["-c", "/nonexistent/koji.conf", "version"]).await;
    assert_eq!(
        out.stderr,
        "error: Config file /nonexistent/koji.conf can't be opened.\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_completions() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = kiln_at(home.path(), &["completion", shell]).await.ok();
        assert!(out.stdout.contains("grant-permission"), "{shell}: {}", out.stdout);
        assert!(
            out.stdout.contains("list-tag-inheritance"),
            "{shell}: {}",
            out.stdout
        );
    }
    let out = kiln_at(home.path(), &["--help"]).await.ok();
    for command in [
        "hello",
        "version",
        "call",
        "list-permissions",
        "add-user",
        "completion",
        "list-tags",
        "list-history",
        "hostinfo",
        "watch-task",
        "download-task",
        "regen-repo",
        "wait-repo",
    ] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
    let out = kiln_at(home.path(), &["grant-permission", "--help"]).await.ok();
    assert!(out.stdout.contains("--new"), "{}", out.stdout);
    let out = kiln_at(home.path(), &["no-such-command"]).await;
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}
