//! Differential test of `gitops_lsp::subst::eval` against github.com/drone/envsubst, the
//! library Flux's `fluxcd/pkg/envsubst` was forked from.
//!
//! The Go helper in `tests/oracle/main.go` is built offline in GOPATH mode against Debian's
//! packaged sources: it needs the `golang-go` and `golang-github-drone-envsubst-dev` packages
//! (GOPATH defaults to /usr/share/gocode; override with GITOPS_LSP_GOPATH). Without `go` the
//! test says it skipped (`common::skip`, listed at the end of `scripts/test.sh`) and passes,
//! unless GITOPS_LSP_REQUIRE_ORACLE=1.
//!
//! Compared for every case: whether the text is rejected, and the substituted text (unset
//! variables read as ""). Where Flux intentionally differs from drone the case is skipped
//! or only partly compared; each rule is in `compare` and counted in the summary:
//! - drone unescapes `\\` and `\/` in plain text; Flux leaves backslashes alone outside
//!   `${...}` (fluxcd/pkg envsubst/parse: `escapeChars = dollar` at the top level). Only
//!   the rejected/accepted verdict is compared for such templates.
//! - drone panics on a negative substring length (`${v:1:-1}`); Flux counts it from the end.
//! - drone rejects an empty replace pattern (`${v/#/x}`, `${v/%/x}`, `${v///x}`); Flux
//!   accepts it.
//!
//! Not compared at all: strict mode (drone has no notion of unset), which the unit tests in
//! `src/subst/tests.rs` cover.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gitops_lsp::subst::{eval, scan, Lookup, Op};

/// Variables set in every case; every other name is unset.
const VARS: &[(&str, &str)] = &[
    ("a", "abcabc"),
    ("b", ""),
    ("c", "A/b.c-d"),
    ("d", "xé日"),
    ("n", "2"),
    ("m", "-2"),
    ("s", "a*b[c]"),
    ("_x", "Under"),
];

/// Hand-picked templates: Flux's own test cases and the parser's corners.
const FIXED: &[&str] = &[
    "",
    "plain text",
    "}text",
    "http://github.com",
    "$${string}",
    "$$string",
    "$$",
    "$$$",
    "$$$${a}",
    "$${a:=${c}}",
    "some text ${a}$${var$${a}$a${a}",
    "${a}",
    "${u}",
    "${#a}",
    "${#d}",
    "${#u}",
    "${#}",
    "${##}",
    "${#a:1}",
    "${a^}",
    "${a^^}",
    "${c,}",
    "${c,,}",
    "${d^^}",
    "${a,^}",
    "${a^,}",
    "${a^^^}",
    "${a^x}",
    "${c:2}",
    "${c:2:3}",
    "${c:-3}",
    "${c: -3}",
    "${c:x}",
    "${c:1:x}",
    "${c:+2}",
    "${c:99}",
    "${c:2:99}",
    "${c:9223372036854775807}",
    "${c:-9223372036854775808}",
    "${c:${n}}",
    "${c:${n}:${n}}",
    "${c:${m}}",
    "${c:1::2}",
    "${c:}",
    "${c::}",
    "${c:1${n}}",
    "${d:1}",
    "${d:2:3}",
    "${d:é}",
    "${a=xyz}",
    "${u=xyz}",
    "${b=xyz}",
    "${u:=xyz}",
    "${b:-xyz}",
    "${a:-xyz}",
    "${u:=}",
    "${u==x}",
    "${u:==x}",
    "something ${u=${c}}",
    "foo: ${u=${c}-suffix}",
    "foo: ${u=prefix${c}-suffix}",
    "${u:=${u2:=${c}}}",
    "${u:=${a,,}}",
    "${u:=$$}",
    "${u:=$${a}}",
    "${u:={\"k\":1}}",
    "${u:=a}b}",
    "${u:?msg}",
    "${a:?msg}",
    "${u:+alt}",
    "${a:+alt}",
    "${a-x}",
    "${a+x}",
    "${a?x}",
    "${!a}",
    "${}",
    "${",
    "${a",
    "${a:=",
    "${a:=${c}",
    "${a/",
    "${a/b",
    "${a/b/",
    "${a b}",
    "${ a}",
    "${a.b}",
    "${a${b}}",
    "${1a}",
    "${_x}",
    "${é}",
    "${c/b/X}",
    "${a/b/X}",
    "${a//b/X}",
    "${a/#ab/X}",
    "${a/#bc/X}",
    "${a/%bc/X}",
    "${a/%ab/X}",
    "${a/b/}",
    "${a//b/}",
    "${a/#a/}",
    "${a/%c/}",
    "${a//b}",
    "${a/b}",
    "${a/b}/c}",
    "${c/\\//-}",
    "${c//\\//_}",
    "${c/%d/\\\\}",
    "${c/\\\\/x}",
    "${a/b/\\/}",
    "${a/$$/x}",
    "${s/*/x}",
    "${s//[c]/x}",
    "${a//${n}/x}",
    "${a/${u}/x}",
    "${a#a}",
    "${a##a*}",
    "${a#*b}",
    "${a##*b}",
    "${a%c}",
    "${a%%b*}",
    "${a%b*}",
    "${a###}",
    "${a%%%}",
    "${a#}",
    "${a%}",
    "${c#*/}",
    "${c##*[./]}",
    "${c%[.-]*}",
    "${c%%[.-]*}",
    "${a#[}",
    "${a#\\}",
    "${a#[b-a]}",
    "${a%[a-b]c}",
    "${a#?}",
    "${a#??}",
    "${a#[^b]}",
    "${d#?}",
    "${d%?}",
    "${d#x?}",
    "${a#${n}}",
    "${a#a${n}}",
    "${a#${n}a}",
    "${s#*\\*}",
    "\\\\something ${u=${c}}",
    "x\\/y${a}",
    "日本${d}語",
    "${a}${b}${c}${d}",
    "a $ b $c ${a}",
    "${c:${u:-1}:${u:-3}}",
    "${c:1:-1}",
    "${c:2:-2}",
    "${c:-3:-1}",
    "${c:5:-4}",
];

fn lookup(name: &str) -> Lookup<'static> {
    VARS.iter().find(|(n, _)| *n == name).map_or(Lookup::Unset, |(_, v)| Lookup::Set(v))
}

/// A small deterministic generator (64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const SOUP: &[&str] = &[
    "${", "${", "${", "}", "}", "a", "c", "d", "u", "_x", "1", ":=", ":-", "=", "-", "+", "?", "#", "##", "%", "%%",
    "/", "//", "/#", "/%", "^", "^^", ",", ",,", ":", "*", "[a-c]", "$$", "$", " ", "x", "é", "\\", "\\/", "{",
];

const NAMES: &[&str] = &["a", "b", "c", "d", "n", "m", "s", "_x", "u", "u2"];
const OPS: &[&str] =
    &["", "", ":=", ":-", "=", ":?", ":+", "#", "##", "%", "%%", "/", "//", "/#", "/%", "^", "^^", ",", ",,", ":"];
const ARG_TEXT: &[&str] = &[
    "a", "b", "c", "ab", "bc", "*", "?", "[a-c]", "[^a]", ".", "/", "\\/", "\\\\", "1", "-1", "2", "-2", "0", "x", "é",
    " ", "$", "$$", ":", "=", "#", "%", "^", ",", "-", "+", "*.", ".*", "*b", "b*", "日",
];

fn gen_arg(rng: &mut Rng, depth: usize) -> String {
    if depth < 2 && rng.below(4) == 0 {
        gen_expr(rng, depth + 1)
    } else {
        let mut s = String::new();
        for _ in 0..rng.below(3) + 1 {
            s.push_str(rng.pick(ARG_TEXT));
        }
        s
    }
}

fn gen_expr(rng: &mut Rng, depth: usize) -> String {
    let name = rng.pick(NAMES);
    let op = rng.pick(OPS);
    let mut s = String::from("${");
    match op {
        "#" if rng.below(4) == 0 => {
            s.push('#');
            s.push_str(name);
        }
        "" | "^" | "^^" | "," | ",," => {
            s.push_str(name);
            s.push_str(op);
        }
        ":" => {
            s.push_str(name);
            s.push(':');
            s.push_str(&gen_arg(rng, depth));
            if rng.below(2) == 0 {
                s.push(':');
                s.push_str(&gen_arg(rng, depth));
            }
        }
        "/" | "//" | "/#" | "/%" => {
            s.push_str(name);
            s.push_str(op);
            s.push_str(&gen_arg(rng, depth));
            s.push('/');
            if rng.below(3) != 0 {
                s.push_str(&gen_arg(rng, depth));
            }
        }
        ":=" | ":-" | "=" | ":?" | ":+" => {
            s.push_str(name);
            s.push_str(op);
            for _ in 0..rng.below(3) {
                s.push_str(&gen_arg(rng, depth));
            }
        }
        _ => {
            s.push_str(name);
            s.push_str(op);
            s.push_str(&gen_arg(rng, depth));
        }
    }
    s.push('}');
    s
}

fn cases() -> Vec<String> {
    let mut out: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    let mut rng = Rng(0x5eed_f1a2);
    for _ in 0..600 {
        let mut t = String::new();
        for _ in 0..rng.below(8) + 1 {
            t.push_str(rng.pick(SOUP));
        }
        out.push(t);
    }
    for _ in 0..900 {
        let mut t = String::new();
        for _ in 0..rng.below(3) + 1 {
            if rng.below(3) == 0 {
                t.push_str(rng.pick(&["x", " ", "-", "é", "$", "}", "a:b", "\\"]));
            } else {
                t.push_str(&gen_expr(&mut rng, 0));
            }
        }
        out.push(t);
    }
    out
}

#[derive(serde::Deserialize, Debug)]
struct DroneResult {
    out_hex: Option<String>,
    err: Option<String>,
    panic: Option<String>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn skip(reason: &str) {
    common::skip("subst_oracle (drone/envsubst)", reason, Some("GITOPS_LSP_REQUIRE_ORACLE"));
}

fn build_oracle(gopath: &Path) -> Result<PathBuf, String> {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("subst-oracle");
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let bin = tmp.join("drone-oracle");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle");
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg("main.go")
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", tmp.join("go-cache"))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(bin)
}

fn run_oracle(bin: &Path, cases: &[String]) -> Vec<DroneResult> {
    let vars: serde_json::Map<String, serde_json::Value> =
        VARS.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    let mut input = String::new();
    for t in cases {
        let line = serde_json::json!({ "t": t, "v": vars });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oracle");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer").expect("write cases");
    assert!(out.status.success(), "oracle failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("utf8");
    let results: Vec<DroneResult> = text.lines().map(|l| serde_json::from_str(l).expect("oracle json")).collect();
    assert_eq!(results.len(), cases.len(), "one result per case");
    results
}

#[derive(Default, Debug)]
struct Tally {
    compared: usize,
    rejected_both: usize,
    verdict_only_backslash: usize,
    skipped_negative_length: usize,
    skipped_empty_pattern: usize,
}

/// Whether plain text (outside the top-level `${...}` of `t`) holds a `\\` or `\/`, which
/// drone unescapes and Flux does not.
fn top_level_backslash_escape(t: &str) -> bool {
    let s = scan(t);
    if s.has_fatal() {
        return t.contains("\\\\") || t.contains("\\/");
    }
    let mut pos = 0;
    let mut segments = Vec::new();
    for e in &s.exprs {
        segments.push(&t[pos..e.range.start]);
        pos = e.range.end;
    }
    segments.push(&t[pos..]);
    segments.iter().any(|seg| seg.contains("\\\\") || seg.contains("\\/"))
}

fn has_op(t: &str, f: impl Fn(&Op) -> bool) -> bool {
    scan(t).all_exprs().iter().any(|e| f(&e.op))
}

fn compare(t: &str, drone: &DroneResult, tally: &mut Tally) -> Result<(), String> {
    let ours = eval(t, &lookup);
    let ours_rejects = !ours.errors.is_empty();
    if let Some(p) = &drone.panic {
        if has_op(t, |op| matches!(op, Op::Substr { length: Some(_), .. })) {
            tally.skipped_negative_length += 1;
            return Ok(());
        }
        return Err(format!("drone panicked ({p}) outside a substring with a length"));
    }
    if drone.err.is_some()
        && !ours_rejects
        && has_op(t, |op| matches!(op, Op::Replace { pattern, .. } if pattern.is_empty()))
    {
        tally.skipped_empty_pattern += 1;
        return Ok(());
    }
    match (&drone.err, ours_rejects) {
        (Some(_), true) => {
            tally.rejected_both += 1;
            return Ok(());
        }
        (Some(e), false) => return Err(format!("drone rejects ({e}), we accept: {:?}", ours.text)),
        (None, true) => return Err(format!("drone accepts, we reject: {:?}", ours.errors)),
        (None, false) => {}
    }
    if top_level_backslash_escape(t) {
        tally.verdict_only_backslash += 1;
        return Ok(());
    }
    let want = String::from_utf8_lossy(&unhex(drone.out_hex.as_deref().unwrap_or(""))).into_owned();
    let got = ours.text.ok_or("we give no text")?;
    if got != want {
        return Err(format!("drone {want:?}, we {got:?}"));
    }
    tally.compared += 1;
    Ok(())
}

#[test]
fn subst_eval_matches_drone_envsubst() {
    if Command::new("go").arg("version").output().is_err() {
        skip("go not installed");
        return;
    }
    let gopath =
        std::env::var_os("GITOPS_LSP_GOPATH").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/share/gocode"));
    if !gopath.join("src/github.com/drone/envsubst").is_dir() {
        skip("golang-github-drone-envsubst-dev not installed (no github.com/drone/envsubst in GOPATH)");
        return;
    }
    let bin = match build_oracle(&gopath) {
        Ok(b) => b,
        Err(e) => panic!("building the drone oracle failed:\n{e}"),
    };
    let cases = cases();
    let results = run_oracle(&bin, &cases);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (t, r) in cases.iter().zip(&results) {
        if let Err(e) = compare(t, r, &mut tally) {
            failures.push(format!("{t:?}: {e}"));
        }
    }
    println!("{} cases: {tally:?}", cases.len());
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    // The generator must keep exercising real substitutions, not only errors.
    assert!(tally.compared > 500, "{tally:?}");
}
