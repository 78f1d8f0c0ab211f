//! Helpers shared by the integration tests: an in-process emulator and a thin HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use defender_emulator::{Options, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const HOME: &str = "c0000000-0000-4000-8000-000000000000";
pub const FABRIKAM: &str = "c0000000-0000-4000-8000-000000000001";
pub const NORTHWIND: &str = "c0000000-0000-4000-8000-000000000002";
pub const TAILSPIN: &str = "c0000000-0000-4000-8000-000000000003";
pub const WOODGROVE_LOST: &str = "c0000000-0000-4000-8000-000000000004";
pub const LITWARE: &str = "f0f0f0f0-0000-4000-8000-000000000001";
pub const FABRIKAM_GROUP: &str = "e0000001-0000-4000-8000-000000000001";
pub const NORTHWIND_GROUP: &str = "e0000002-0000-4000-8000-000000000001";
pub const RULE_1: &str = "1001";
pub const RULE_2: &str = "1002";
pub const POLICY_1: &str = "5ec00000-0000-4000-8000-000000000001";

pub struct Emu {
    pub server: Server,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

/// A reply, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The API error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.text))
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

/// Starts an emulator in-process with `args` and fetches a token.
pub async fn start(args: &[&str]) -> Emu {
    let opts = Options::from_args(args.iter().copied()).expect("flags parse");
    let server = Server::start(opts).await.expect("server starts");
    let base = server.base_url();
    let http = http_client();
    let mut emu = Emu {
        server,
        base,
        http,
        token: String::new(),
    };
    emu.token = emu.fetch_token().await;
    emu
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>(),
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Emu {
    pub fn api(&self, path: &str) -> String {
        format!("{}/apiproxy/mtoapi{}", self.base, path)
    }

    pub async fn token_request(&self, tenant: &str, pairs: &[(&str, &str)]) -> Reply {
        let resp = self
            .http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap();
        read(resp).await
    }

    pub async fn fetch_token(&self) -> String {
        let r = self
            .token_request(
                HOME,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "demo-client-id"),
                    ("client_secret", "demo-client-secret"),
                    ("scope", "https://api.security.microsoft.com/.default"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// An API call with the emulator's token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, self.api(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, None).await
    }

    pub async fn create(&self, body: Value) -> Reply {
        self.call(Method::POST, "/assignments", Some(body), None)
            .await
    }

    /// Creates and returns the assignment, asserting 201.
    pub async fn create_ok(&self, body: Value) -> Value {
        let r = self.create(body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()
    }

    pub async fn put(&self, id: &str, etag: &str, body: Value) -> Reply {
        self.call(
            Method::PUT,
            &format!("/assignments/{id}"),
            Some(body),
            Some(etag),
        )
        .await
    }

    pub async fn sync(&self, id: &str, body: Value) -> Reply {
        self.call(
            Method::POST,
            &format!("/assignments/{id}/sync"),
            Some(body),
            None,
        )
        .await
    }

    pub async fn assignment(&self, id: &str) -> Value {
        let r = self.get(&format!("/assignments/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()
    }

    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}/_emulator{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.unwrap()).await
    }

    pub async fn set_faults(&self, faults: Value) {
        let r = self.control(Method::POST, "/faults", Some(faults)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

pub async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

/// A minimal valid assignment body.
pub fn profile(name: &str, targets: &[&str], templates: &[(&str, &str)]) -> Value {
    json!({
        "name": name,
        "description": "",
        "targetTenantIds": targets,
        "templates": templates
            .iter()
            .map(|(id, ty)| json!({"id": id, "type": ty, "name": ""}))
            .collect::<Vec<_>>(),
        "isVariablePerTemplate": false,
        "variables": {},
        "templateVariables": {},
    })
}

/// The unit of `template` × `tenant` in an assignment.
pub fn unit<'a>(a: &'a Value, template: &str, tenant: &str) -> &'a Value {
    a["syncUnitStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["templateId"] == template && u["targetTenantId"] == tenant)
        .unwrap_or_else(|| panic!("no unit {template} x {tenant} in {a}"))
}

/// reqwest may be built with `rustls-no-provider` (feature unification with the provider crate
/// in a workspace build): install ring as the process's crypto provider first.
#[allow(dead_code)]
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[allow(dead_code)]
pub fn http_client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::new()
}
