//! A language server started as a child process and spoken to over stdio JSON-RPC.
//!
//! [`Server`] is the transport every client of the tests and benchmarks is built on:
//! Content-Length framing; one reader thread that stamps every message with its arrival
//! [`Instant`] and answers the server's own requests at once (so a server never waits on the
//! test's or benchmark's main thread): `workspace/configuration` from the settings given
//! to [`Server::spawn`] (one entry per requested section, `null` for a section that is not
//! there), everything else (`window/workDoneProgress/create`, `client/registerCapability`,
//! refresh requests, ...) with `null`; and responses matched to their request by id, those
//! read while waiting for another kept for their own [`Server::response`].
//!
//! It knows nothing of LSP's methods beyond that: `initialize`, documents and diagnostics
//! belong to the layers above.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to start a server ([`Server::spawn`]).
#[derive(Clone, Debug, Default)]
pub struct Spawn {
    /// Answers `workspace/configuration` requests, as an object keyed by section name; with
    /// `None` they get `null` like any other request.
    pub settings: Option<Value>,
    /// Keep what the server writes to stderr ([`Server::stderr_text`]); discarded otherwise.
    pub capture_stderr: bool,
}

/// What the reader thread passes on: a message with its arrival, or why reading stopped.
type Incoming = Result<(Instant, Value), String>;

/// A running language server and the client's end of its stdio.
pub struct Server {
    child: Child,
    /// The child's process id (to read its memory and CPU use from /proc).
    pub pid: u32,
    writer: Arc<Mutex<ChildStdin>>,
    rx: Receiver<Incoming>,
    next_id: i64,
    /// Responses read while waiting for something else, by id.
    pending: HashMap<i64, (Instant, Value)>,
    stderr: Option<Arc<Mutex<Vec<u8>>>>,
    /// (method, when) of each server request the reader thread answered.
    answered: Arc<Mutex<Vec<(String, Instant)>>>,
}

/// What one message from the server is.
#[derive(Debug, PartialEq)]
pub enum Kind<'a> {
    /// A request from the server (already answered by the reader thread).
    Request {
        method: &'a str,
        params: &'a Value,
    },
    /// The response to the client's request `id` (`result` or `error`).
    Response {
        id: i64,
    },
    Notification {
        method: &'a str,
        params: &'a Value,
    },
}

/// Classifies a message as JSON-RPC says: a `method` and an `id` make a request, a `method`
/// alone a notification, an `id` alone a response.
pub fn kind(msg: &Value) -> Kind<'_> {
    let params = msg.get("params").unwrap_or(&Value::Null);
    match (msg.get("method").and_then(Value::as_str), msg.get("id")) {
        (Some(method), Some(_)) => Kind::Request { method, params },
        (Some(method), None) => Kind::Notification { method, params },
        (None, id) => Kind::Response { id: id.and_then(Value::as_i64).unwrap_or(-1) },
    }
}

/// Writes one framed message.
pub fn write_msg(w: &mut impl Write, msg: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(msg).expect("a JSON value serializes");
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

/// Reads one framed message's body; `Ok(None)` at the end of the stream.
pub fn read_msg(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let len = len.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a header without Content-Length"))?;
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// A `file://` URI for an absolute path (the few characters a path of the tests or the
/// generated repositories may hold that a URI cannot are percent-encoded).
pub fn uri_of(path: &Path) -> String {
    let mut s = String::from("file://");
    for c in path.to_string_lossy().chars() {
        match c {
            ' ' => s.push_str("%20"),
            '#' => s.push_str("%23"),
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3F"),
            _ => s.push(c),
        }
    }
    s
}

/// The answer to a `workspace/configuration` request: one value per item, looked up by section
/// in `settings` (an object keyed by section name).
fn configuration_answer(settings: &Value, params: &Value) -> Value {
    let items = params["items"].as_array().cloned().unwrap_or_default();
    Value::Array(
        items
            .iter()
            .map(|it| it["section"].as_str().and_then(|s| settings.get(s)).cloned().unwrap_or(Value::Null))
            .collect(),
    )
}

impl Server {
    /// Starts `cmd` with piped stdin and stdout.
    pub fn spawn(mut cmd: Command, opts: Spawn) -> Server {
        let program = format!("{:?}", cmd.get_program());
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if opts.capture_stderr { Stdio::piped() } else { Stdio::null() })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stderr = child.stderr.take().map(|mut e| {
            let buf = Arc::new(Mutex::new(Vec::new()));
            let b = buf.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = e.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    b.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            });
            buf
        });
        let writer = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        let answered = Arc::new(Mutex::new(Vec::new()));
        let (reply, answered2, settings) = (writer.clone(), answered.clone(), opts.settings);
        std::thread::spawn(move || {
            let mut r = BufReader::with_capacity(1 << 20, stdout);
            loop {
                let body = match read_msg(&mut r) {
                    Ok(Some(b)) => b,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(format!("an unreadable message: {e}")));
                        return;
                    }
                };
                let at = Instant::now();
                let msg: Value = match serde_json::from_slice(&body) {
                    Ok(v) => v,
                    Err(e) => {
                        let _ = tx
                            .send(Err(format!("a message that is not JSON ({e}): {}", String::from_utf8_lossy(&body))));
                        return;
                    }
                };
                if let Kind::Request { method, params } = kind(&msg) {
                    let result = match (&settings, method) {
                        (Some(s), "workspace/configuration") => configuration_answer(s, params),
                        _ => Value::Null,
                    };
                    // A server that has gone cannot be answered; the end of its output follows.
                    let answer = json!({"jsonrpc": "2.0", "id": msg["id"], "result": result});
                    let _ = write_msg(&mut *reply.lock().unwrap(), &answer);
                    answered2.lock().unwrap().push((method.to_string(), Instant::now()));
                }
                if tx.send(Ok((at, msg))).is_err() {
                    return;
                }
            }
        });
        Server { pid: child.id(), child, writer, rx, next_id: 1, pending: HashMap::new(), stderr, answered }
    }

    /// Sends a notification.
    pub fn notify(&self, method: &str, params: Value) -> io::Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request without waiting; returns its id (see [`Server::response`]).
    pub fn send_request(&mut self, method: &str, params: Value) -> io::Result<i64> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        Ok(id)
    }

    /// Sends any message.
    pub fn send(&self, msg: &Value) -> io::Result<()> {
        write_msg(&mut *self.writer.lock().unwrap(), msg)
    }

    /// The next message from the server and its arrival, `None` if none comes within
    /// `timeout`. A response is also kept for [`Server::response`]. Panics when the server has
    /// closed its output or sent something that is not a JSON-RPC message.
    pub fn recv(&mut self, timeout: Duration) -> Option<(Instant, Value)> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok((at, msg))) => {
                if let Kind::Response { id } = kind(&msg) {
                    self.pending.insert(id, (at, msg.clone()));
                }
                Some((at, msg))
            }
            Ok(Err(e)) => panic!("the server sent {e}"),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Waits until `deadline` for the response to request `id` (the whole message: `result`
    /// or `error`) and its arrival. Every message read meanwhile, this response included, goes
    /// to `seen` first: each message reaches the caller once, through `recv` or `seen`.
    pub fn response(
        &mut self,
        id: i64,
        deadline: Instant,
        mut seen: impl FnMut(Instant, &Value),
    ) -> Option<(Instant, Value)> {
        loop {
            if let Some(r) = self.pending.remove(&id) {
                return Some(r);
            }
            let (at, msg) = self.recv(deadline.checked_duration_since(Instant::now())?)?;
            seen(at, &msg);
        }
    }

    /// (method, when) of each request of the server answered so far.
    pub fn answered(&self) -> Vec<(String, Instant)> {
        self.answered.lock().unwrap().clone()
    }

    /// What the server wrote to stderr so far ([`Spawn::capture_stderr`]).
    pub fn stderr_text(&self) -> String {
        self.stderr.as_ref().map(|b| String::from_utf8_lossy(&b.lock().unwrap()).into_owned()).unwrap_or_default()
    }

    /// Waits up to `timeout` for the server to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server (if it still runs) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_answered_by_section() {
        let settings = json!({"yaml": {"validate": true}, "http": {"proxy": ""}});
        let params = json!({"items": [{"section": "yaml"}, {"section": "[yaml]", "scopeUri": "file:///x"}, {"section": "http"}]});
        assert_eq!(configuration_answer(&settings, &params), json!([{"validate": true}, null, {"proxy": ""}]));
        assert_eq!(configuration_answer(&settings, &json!({})), json!([]));
    }

    #[test]
    fn messages_are_framed_and_classified() {
        let mut buf = Vec::new();
        let msgs = [
            json!({"jsonrpc": "2.0", "id": 3, "method": "window/workDoneProgress/create", "params": {"token": "t"}}),
            json!({"jsonrpc": "2.0", "method": "$/progress", "params": {"token": "é🚀"}}),
            json!({"jsonrpc": "2.0", "id": 7, "result": null}),
        ];
        for m in &msgs {
            write_msg(&mut buf, m).unwrap();
        }
        let mut r = io::Cursor::new(buf);
        let read: Vec<Value> =
            std::iter::from_fn(|| read_msg(&mut r).unwrap()).map(|b| serde_json::from_slice(&b).unwrap()).collect();
        assert_eq!(read, msgs);
        let p = json!({"token": "t"});
        assert_eq!(kind(&read[0]), Kind::Request { method: "window/workDoneProgress/create", params: &p });
        assert!(matches!(kind(&read[1]), Kind::Notification { method: "$/progress", .. }));
        assert_eq!(kind(&read[2]), Kind::Response { id: 7 });
        // A header without its length is an error, not a message.
        assert!(read_msg(&mut io::Cursor::new(b"X: 1\r\n\r\n{}".to_vec())).is_err());
    }

    #[test]
    fn uris_escape_what_a_path_may_hold() {
        assert_eq!(uri_of(Path::new("/tmp/a b/#1%?.yaml")), "file:///tmp/a%20b/%231%25%3F.yaml");
    }

    /// A stand-in server (a shell script): a request of its own, a notification, then the
    /// responses to the client's requests 2 and 1, in that order.
    #[test]
    #[cfg(unix)]
    fn a_server_is_answered_and_its_responses_matched() {
        let frame = |v: Value| {
            let b = v.to_string();
            format!("Content-Length: {}\r\n\r\n{b}", b.len())
        };
        let out = [
            frame(json!({"jsonrpc": "2.0", "id": "c1", "method": "workspace/configuration", "params": {"items": [{"section": "s"}]}})),
            frame(json!({"jsonrpc": "2.0", "method": "note", "params": 1})),
            frame(json!({"jsonrpc": "2.0", "id": 2, "result": "two"})),
            frame(json!({"jsonrpc": "2.0", "id": 1, "result": "one"})),
        ]
        .concat();
        // Prints the messages, then echoes what the client sends to stderr until stdin closes.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "printf '%s' \"$0\"; cat >&2", &out]);
        let mut s = Server::spawn(cmd, Spawn { settings: Some(json!({"s": 42})), capture_stderr: true });
        assert_eq!(s.send_request("a", Value::Null).unwrap(), 1);
        assert_eq!(s.send_request("b", Value::Null).unwrap(), 2);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        let (_, r1) = s.response(1, deadline, |_, m| seen.push(m.clone())).unwrap();
        assert_eq!(r1["result"], "one");
        // Everything read was seen, in order; response 2 came first and was kept.
        assert_eq!(
            seen.iter().map(|m| kind(m)).collect::<Vec<_>>(),
            [
                Kind::Request { method: "workspace/configuration", params: &seen[0]["params"] },
                Kind::Notification { method: "note", params: &json!(1) },
                Kind::Response { id: 2 },
                Kind::Response { id: 1 },
            ]
        );
        assert_eq!(s.response(2, deadline, |_, m| panic!("read again: {m}")).unwrap().1["result"], "two");
        assert_eq!(s.answered().iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["workspace/configuration"]);
        assert!(s.recv(Duration::from_millis(50)).is_none());
        // The configuration request was answered from the settings, by section.
        let answer = frame(json!({"jsonrpc": "2.0", "id": "c1", "result": [42]}));
        while !s.stderr_text().contains(&answer) {
            assert!(Instant::now() < deadline, "not answered: {:?}", s.stderr_text());
            std::thread::sleep(Duration::from_millis(10));
        }
        s.kill();
        assert!(s.wait_exit(Duration::from_secs(5)).is_some());
    }
}
