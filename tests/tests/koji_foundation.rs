//! The stock `koji` 1.36.1 client against our hub: version, hello with a password and with a
//! client certificate, `call` with keyword arguments, multicall, and the faults users meet.

use hub::config::TlsConfig;
use hub::testing::{TestHub, TestHubOptions};
use kiln_tests::{KojiCli, Output};
use rcgen::{CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

struct Setup {
    hub: TestHub,
    koji: KojiCli,
    /// A client certificate from a CA the hub does not trust.
    stranger_cert: std::path::PathBuf,
}

/// A hub with TLS from a development PKI, user `admin` (password `pw`), and a koji.conf with
/// profiles `koji` (password) and `kiln-cert` (certificate).
async fn setup() -> Setup {
    let pki_dir = tempfile::tempdir().unwrap().keep();
    let pki = hub::dev::ensure_pki(&pki_dir).unwrap();
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
    let mut conf = hub::dev::koji_conf_text(hub.addr, &pki, &hub.topdir());
    conf = conf.replace("authtype = password\n", "authtype = password\nmax_retries = 0\n");
    conf = conf.replace("authtype = ssl\n", "authtype = ssl\nmax_retries = 0\n");
    let stranger_cert = pki_dir.join("stranger.pem");
    conf.push_str(&format!(
        "\n[stranger]\nserver = https://{addr}/kojihub\nauthtype = ssl\nmax_retries = 0\ncert = {cert}\nserverca = {ca}\n",
        addr = hub.addr,
        cert = stranger_cert.display(),
        ca = pki.ca_cert.display()
    ));
    let config = pki_dir.join("koji.conf");
    std::fs::write(&config, conf).unwrap();
    std::fs::write(&stranger_cert, stranger_certificate()).unwrap();
    Setup {
        hub,
        koji: KojiCli { config },
        stranger_cert,
    }
}

fn stranger_certificate() -> String {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Some other CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, "admin");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca).unwrap();
    format!("{}{}", cert.pem(), key.serialize_pem())
}

async fn koji(setup: &Setup, args: &[&str]) -> Output {
    let cli = setup.koji.clone();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

async fn python(setup: &Setup, code: String) -> Output {
    let cli = setup.koji.clone();
    tokio::task::spawn_blocking(move || cli.python(&code))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_hello() {
    let s = setup().await;
    let out = koji(&s, &["version"]).await.ok();
    assert_eq!(out.stdout, "Client: 1.36.1\nHub:    1.36.1\n");

    let out = koji(&s, &["--user", "admin", "--password", "pw", "hello"])
        .await
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].ends_with(", admin!"), "{}", out.stdout);
    assert_eq!(
        lines[2],
        format!(
            "You are using the hub at http://{}/kojihub (Koji 1.36.1)",
            s.hub.addr
        )
    );
    assert_eq!(lines[3], "Authenticated via password");

    let out = koji(&s, &["-p", "kiln-cert", "hello"]).await.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].ends_with(", admin!"), "{}", out.stdout);
    assert_eq!(
        lines[2],
        format!(
            "You are using the hub at https://{}/kojihub (Koji 1.36.1)",
            s.hub.addr
        )
    );
    assert!(
        lines[3].starts_with("Authenticated via client certificate "),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_with_keywords_and_faults() {
    let s = setup().await;
    let auth = ["--user", "admin", "--password", "pw"];
    fn run<'a>(auth: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        auth.iter().chain(extra).copied().collect()
    }

    let out = koji(&s, &run(&auth, &["call", "getLoggedInUser"])).await.ok();
    assert!(
        out.stdout.contains("'name': 'admin'") && out.stdout.contains("'authtype': 0"),
        "{}",
        out.stdout
    );

    let out = koji(&s, &run(&auth, &["call", "getUser", "admin", "groups=True"]))
        .await
        .ok();
    assert!(out.stdout.contains("'groups': []"), "{}", out.stdout);

    let out = koji(
        &s,
        &run(
            &auth,
            &["call", "--json-output", "getUser", "admin", "krb_princs=False"],
        ),
    )
    .await
    .ok();
    assert!(out.stdout.contains("\"name\": \"admin\""), "{}", out.stdout);

    let out = koji(&s, &run(&auth, &["call", "getUser", "admin", "bogus=1"])).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("ParameterError: getUser() got an unexpected keyword argument 'bogus'"),
        "{}",
        out.stderr
    );

    let out = koji(&s, &run(&auth, &["call", "noSuchMethod"])).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("GenericError: Invalid method: noSuchMethod"),
        "{}",
        out.stderr
    );

    let out = koji(
        &s,
        &[
            "--user",
            "admin",
            "--password",
            "wrong",
            "call",
            "getLoggedInUser",
        ],
    )
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("AuthError: invalid username or password"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Traceback"), "{}", out.stderr);

    let out = koji(&s, &run(&auth, &["call", "createUser", "bob"])).await.ok();
    assert!(out.stdout.trim().parse::<i64>().is_ok(), "{}", out.stdout);
    let out = koji(&s, &run(&auth, &["call", "createUser", "bob"])).await;
    assert!(
        out.stderr.contains("GenericError: user bob already exists"),
        "{}",
        out.stderr
    );
    koji(&s, &run(&auth, &["call", "disableUser", "bob"])).await.ok();
    let out = koji(&s, &run(&auth, &["call", "getUser", "bob"])).await.ok();
    assert!(out.stdout.contains("'status': 1"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multicall_through_the_koji_library() {
    let s = setup().await;
    let code = format!(
        r#"
import koji
session = koji.ClientSession("{url}", {{"max_retries": 0}})
session.login = None
with session.multicall(strict=False) as m:
    version = m.getAPIVersion()
    user = m.getUser("admin")
    missing = m.noSuchMethod()
    bad = m.getEvent()
print(version.result)
print(user.result["name"])
try:
    missing.result
except koji.GenericError as e:
    print("GenericError", e)
try:
    bad.result
except koji.ParameterError as e:
    print("ParameterError", e)
"#,
        url = s.hub.url()
    );
    let out = python(&s, code).await.ok();
    assert_eq!(
        out.stdout,
        "1\nadmin\nGenericError Invalid method: noSuchMethod\nParameterError getEvent() missing 1 required positional argument: 'id'\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_from_other_cas_are_refused() {
    let s = setup().await;
    assert!(s.stranger_cert.exists());
    let out = koji(&s, &["-p", "stranger", "hello"]).await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("Authenticated"), "{}", out.stdout);
    // Without a certificate, sslLogin explains what is missing.
    let code = format!(
        r#"
import koji
session = koji.ClientSession("https://{addr}/kojihub", {{"max_retries": 0, "serverca": "{ca}"}})
try:
    session._callMethod("sslLogin", [], {{"proxyuser": None}})
except koji.AuthError as e:
    print("AuthError", e)
"#,
        addr = s.hub.addr,
        ca = s
            .hub
            .ctx
            .config
            .tls
            .as_ref()
            .unwrap()
            .client_ca
            .as_ref()
            .unwrap()
            .display()
    );
    let out = python(&s, code).await.ok();
    assert!(
        out.stdout
            .starts_with("AuthError could not verify client certificate: no verified client certificate"),
        "{}",
        out.stdout
    );
}
