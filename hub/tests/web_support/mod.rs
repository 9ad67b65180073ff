//! Shared helpers of the web interface tests: a small HTTP client that keeps the session cookie,
//! follows no redirects and reports statuses instead of failing on them.

/// A small HTTP client: no redirects followed, statuses returned rather than raised.
pub struct Browser {
    base: String,
    agent: ureq::Agent,
    cookie: Option<String>,
}

/// One response.
pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    /// The hub's own time for the page, from its `Server-Timing` header.
    pub hub_ms: Option<f64>,
}

impl Browser {
    /// An https client trusting the CA in `ca_pem`, presenting the certificate and key in
    /// `cert_pem` if given.
    pub fn over_tls(
        addr: std::net::SocketAddr,
        ca_pem: &std::path::Path,
        cert_pem: Option<&std::path::Path>,
    ) -> Browser {
        use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
        let read = |path: &std::path::Path| -> (Vec<Certificate<'static>>, Option<PrivateKey<'static>>) {
            let pem = std::fs::read(path).unwrap();
            let mut certs = Vec::new();
            let mut key = None;
            for item in ureq::tls::parse_pem(&pem) {
                match item.unwrap() {
                    PemItem::Certificate(c) => certs.push(c.to_owned()),
                    PemItem::PrivateKey(k) => key = Some(k.to_owned()),
                    _ => {}
                }
            }
            (certs, key)
        };
        let (cas, _) = read(ca_pem);
        let mut tls = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&cas));
        if let Some(path) = cert_pem {
            let (chain, key) = read(path);
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key.unwrap())));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Browser {
            base: format!("https://{addr}"),
            agent,
            cookie: None,
        }
    }

    pub fn new(hub_url: &str) -> Browser {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let base = hub_url.trim_end_matches("/kojihub").to_owned();
        Browser {
            base,
            agent,
            cookie: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/koji/{path}", self.base)
    }

    fn read(response: ureq::http::Response<ureq::Body>) -> Page {
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("location");
        let set_cookie = header("set-cookie");
        let hub_ms =
            header("server-timing").and_then(|t| t.strip_prefix("hub;dur=").and_then(|d| d.parse().ok()));
        let body = response.into_body().read_to_string().unwrap_or_default();
        Page {
            status,
            body,
            location,
            set_cookie,
            hub_ms,
        }
    }

    pub fn get(&self, path: &str) -> Page {
        let mut request = self.agent.get(&self.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        Browser::read(request.call().unwrap())
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut request = self.agent.post(&self.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        Browser::read(request.send_form(form.iter().copied()).unwrap())
    }

    /// Keeps the session cookie a `Set-Cookie` value holds.
    pub fn cookie_from(&mut self, set_cookie: &str) {
        self.cookie = set_cookie.split(';').next().map(str::to_owned);
    }

    /// Logs in with a password and keeps the cookie.
    pub fn log_in(&mut self, user: &str, password: &str) -> Page {
        let page = self.post("login", &[("user", user), ("password", password)]);
        if let Some(cookie) = &page.set_cookie {
            self.cookie = cookie.split(';').next().map(str::to_owned);
        }
        page
    }

    /// The CSRF token in the logout form of any page.
    pub fn token(&self) -> String {
        let body = self.get("index").body;
        let marker = "name=\"a\" value=\"";
        let start = body.find(marker).expect("logged in pages carry the token") + marker.len();
        body[start..].split('"').next().unwrap().to_owned()
    }
}

/// GETs `path` and checks its status.
pub fn assert_status(browser: &Browser, path: &str, status: u16) -> Page {
    let page = browser.get(path);
    assert_eq!(page.status, status, "GET {path}: {}", page.body);
    page
}

/// Fails if a `<script>` of the test markup reached the page unescaped.
pub fn assert_escaped(page: &Page, path: &str) {
    assert!(!page.body.contains("<script>alert"), "unescaped markup on {path}");
}
