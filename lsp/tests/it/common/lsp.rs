//! The client of the language-server tests: the real `gitops-lsp` binary over stdio JSON-RPC
//! (the transport is `test_support::lsp_client`, shared with the benchmarks), with what a
//! test asks of a session: initialize, documents and their versions, the latest diagnostics
//! of each file, the notifications and server requests seen, a transcript.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
pub use test_support::lsp_client::uri_of;
use test_support::lsp_client::{kind, Kind, Server, Spawn};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How to start the server (`LspClient::start_opts`).
#[derive(Clone, Debug)]
pub struct StartOptions {
    pub init_options: Value,
    /// Extra command-line arguments (e.g. `["--log-level", "debug"]`).
    pub args: Vec<String>,
    /// Keep the server's stderr (read with `LspClient::stderr_text`); discarded otherwise.
    pub capture_stderr: bool,
    /// Keep every message the server sends, as text, in `LspClient::transcript`.
    pub transcript: bool,
    /// A command that runs the server (e.g. `["strace", "-f", "-o", LOG, "--"]`).
    pub wrapper: Vec<String>,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            init_options: json!({}),
            args: Vec::new(),
            capture_stderr: false,
            transcript: false,
            wrapper: Vec::new(),
        }
    }
}

pub struct LspClient {
    server: Server,
    pub root: PathBuf,
    /// The server's answer to `initialize`.
    pub initialize_result: Value,
    /// Latest diagnostics per URI, as published.
    pub diagnostics: HashMap<String, Value>,
    /// Every notification seen, in order.
    pub notifications: Vec<Value>,
    /// Methods of the requests the server sent (answered null), in order.
    pub server_requests: Vec<String>,
    versions: HashMap<String, i64>,
    /// Every message the server sent (when `StartOptions::transcript`).
    pub transcript: Option<Vec<String>>,
}

impl LspClient {
    /// Starts the server on `root` and completes initialize/initialized.
    pub fn start(root: &Path) -> LspClient {
        Self::start_with(root, json!({}))
    }

    pub fn start_with(root: &Path, init_options: Value) -> LspClient {
        Self::start_opts(root, StartOptions { init_options, ..StartOptions::default() })
    }

    pub fn start_opts(root: &Path, opts: StartOptions) -> LspClient {
        let StartOptions { init_options, args, capture_stderr, transcript, wrapper } = opts;
        let root = root.canonicalize().unwrap();
        let bin = env!("CARGO_BIN_EXE_gitops-lsp");
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(&args);
        let mut c = LspClient {
            server: Server::spawn(cmd, Spawn { settings: None, capture_stderr }),
            root: root.clone(),
            initialize_result: Value::Null,
            diagnostics: HashMap::new(),
            notifications: Vec::new(),
            server_requests: Vec::new(),
            versions: HashMap::new(),
            transcript: transcript.then(Vec::new),
        };
        let res = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri_of(&root),
                "workspaceFolders": [{"uri": uri_of(&root), "name": "root"}],
                "initializationOptions": init_options,
                "capabilities": {
                    "window": {"workDoneProgress": true},
                    "workspace": {
                        "didChangeWatchedFiles": {"dynamicRegistration": true},
                        "workspaceFolders": true,
                        "semanticTokens": {"refreshSupport": true},
                        "inlayHint": {"refreshSupport": true}
                    },
                    "textDocument": {"publishDiagnostics": {"versionSupport": true}}
                }
            }),
        );
        assert_eq!(res["serverInfo"]["name"], "gitops-lsp");
        c.initialize_result = res;
        c.notify("initialized", json!({}));
        c
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.server.notify(method, params).expect("write to the server");
    }

    /// Keeps what a message from the server says (each message comes here once).
    fn record(&mut self, v: &Value) {
        if let Some(t) = &mut self.transcript {
            t.push(v.to_string());
        }
        match kind(v) {
            Kind::Request { method, .. } => self.server_requests.push(method.to_string()),
            // Kept by `Server` until `response(id)` takes it.
            Kind::Response { .. } => {}
            Kind::Notification { method, params } => {
                if method == "textDocument/publishDiagnostics" {
                    self.diagnostics.insert(params["uri"].as_str().unwrap().to_string(), params.clone());
                }
                self.notifications.push(v.clone());
            }
        }
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let (_, v) = self.server.recv(deadline.checked_duration_since(Instant::now())?)?;
        self.record(&v);
        Some(v)
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id).unwrap_or_else(|| panic!("no response to {method} within {TIMEOUT:?}"))
    }

    /// Sends a request without waiting; returns its id (see `response`).
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.server.send_request(method, params).expect("write to the server")
    }

    /// Waits for the response to request `id` (`None` after `TIMEOUT`); responses to other
    /// requests read meanwhile are kept for their own `response` call.
    pub fn response(&mut self, id: i64) -> Option<Value> {
        let mut read = Vec::new();
        let r = self.server.response(id, Instant::now() + TIMEOUT, |_, v| read.push(v.clone()));
        for v in &read {
            self.record(v);
        }
        r.map(|(_, v)| v)
    }

    /// Asks `$/cancelRequest` for request `id`.
    pub fn cancel(&mut self, id: i64) {
        self.notify("$/cancelRequest", json!({"id": id}));
    }

    /// Sends every request, then collects the responses in order (pipelined).
    pub fn request_many(&mut self, requests: Vec<(&str, Value)>) -> Vec<Value> {
        let ids: Vec<(i64, &str)> = requests.into_iter().map(|(m, p)| (self.send_request(m, p), m)).collect();
        ids.into_iter()
            .map(|(id, m)| {
                self.response(id).unwrap_or_else(|| panic!("no response to {m} (id {id}) within {TIMEOUT:?}"))
            })
            .collect()
    }

    /// What the server wrote to stderr so far (`StartOptions::capture_stderr`).
    pub fn stderr_text(&self) -> String {
        self.server.stderr_text()
    }

    /// The child process id (to read its memory use from /proc).
    pub fn pid(&self) -> u32 {
        self.server.pid
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let v = self.request_raw(method, params);
        if let Some(e) = v.get("error") {
            panic!("{method} failed: {e}");
        }
        v["result"].clone()
    }

    /// Waits until `pred` holds for the notifications seen so far (checked on each new one).
    pub fn wait_until(&mut self, what: &str, mut pred: impl FnMut(&LspClient) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !pred(self) {
            if self.next(deadline).is_none() {
                panic!("timed out waiting for {what}; diagnostics: {:?}", self.diagnostics.keys().collect::<Vec<_>>());
            }
        }
    }

    /// Waits for indexing to finish (the end of the progress).
    pub fn wait_indexed(&mut self) {
        self.wait_until("indexing", |c| {
            c.notifications.iter().any(|n| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end")
        });
    }

    /// Reads notifications until none arrives for `quiet`.
    pub fn settle(&mut self, quiet: Duration) {
        while self.next(Instant::now() + quiet).is_some() {}
    }

    pub fn uri(&self, rel: &str) -> String {
        uri_of(&self.root.join(rel))
    }

    pub fn open(&mut self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.root.join(rel)).unwrap();
        self.open_text(rel, &text)
    }

    pub fn open_text(&mut self, rel: &str, text: &str) -> String {
        let uri = self.uri(rel);
        self.versions.insert(uri.clone(), 1);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        uri
    }

    /// Applies one ranged edit (0-based line, UTF-16 columns).
    pub fn edit(&mut self, rel: &str, start: (u32, u32), end: (u32, u32), text: &str) -> i64 {
        let uri = self.uri(rel);
        let v = self.versions.entry(uri.clone()).or_insert(1);
        *v += 1;
        let version = *v;
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}}, "text": text}]}),
        );
        version
    }

    pub fn replace_all(&mut self, rel: &str, text: &str) -> i64 {
        let uri = self.uri(rel);
        let v = self.versions.entry(uri.clone()).or_insert(1);
        *v += 1;
        let version = *v;
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        version
    }

    /// Codes of the latest diagnostics of one file.
    pub fn codes(&self, rel: &str) -> Vec<String> {
        self.diagnostics
            .get(&self.uri(rel))
            .map(|p| {
                p["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["code"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every latest diagnostic as (relative file, line, character, end line, end character, code, message), sorted.
    pub fn all_diagnostics(&self) -> Vec<(String, u64, u64, u64, u64, String, String)> {
        let prefix = uri_of(&self.root) + "/";
        let mut v = Vec::new();
        for (uri, p) in &self.diagnostics {
            let rel = uri.strip_prefix(&prefix).unwrap_or(uri).to_string();
            for d in p["diagnostics"].as_array().unwrap() {
                let r = &d["range"];
                v.push((
                    rel.clone(),
                    r["start"]["line"].as_u64().unwrap(),
                    r["start"]["character"].as_u64().unwrap(),
                    r["end"]["line"].as_u64().unwrap(),
                    r["end"]["character"].as_u64().unwrap(),
                    d["code"].as_str().unwrap().to_string(),
                    d["message"].as_str().unwrap().to_string(),
                ));
            }
        }
        v.sort();
        v
    }

    pub fn shutdown(mut self) -> i32 {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        // (Dropping the client kills a server that is still running.)
        let status = self.server.wait_exit(TIMEOUT).expect("server did not exit");
        status.code().unwrap_or(-1)
    }
}

/// `check --format json` on a folder, as the same tuples as `all_diagnostics`.
pub fn check_tuples(root: &Path) -> Vec<(String, u64, u64, u64, u64, String, String)> {
    let (_, diags) = super::check_json(root, &[]);
    let mut v: Vec<_> = diags
        .iter()
        .map(|d| {
            let r = &d["range"];
            (
                d["file"].as_str().unwrap().to_string(),
                r["start"]["line"].as_u64().unwrap(),
                r["start"]["character"].as_u64().unwrap(),
                r["end"]["line"].as_u64().unwrap(),
                r["end"]["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Copies a folder recursively (fixtures are edited in a temporary copy).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// (line, UTF-16 column) of a char index.
pub fn position(text: &str, char_idx: usize) -> (u32, u32) {
    let mut line = 0;
    let mut col = 0;
    for c in text.chars().take(char_idx) {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += c.len_utf16() as u32;
        }
    }
    (line, col)
}

/// Replaces `len` chars at char index `start` with `insert`; returns the LSP range replaced.
pub fn apply(text: &mut String, start: usize, len: usize, insert: &str) -> ((u32, u32), (u32, u32)) {
    let n = text.chars().count();
    let start = start.min(n);
    let end = (start + len).min(n);
    let (s, e) = (position(text, start), position(text, end));
    let sb = text.char_indices().nth(start).map_or(text.len(), |(i, _)| i);
    let eb = text.char_indices().nth(end).map_or(text.len(), |(i, _)| i);
    text.replace_range(sb..eb, insert);
    (s, e)
}
