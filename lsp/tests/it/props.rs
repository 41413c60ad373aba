//! Property tests: substitution against a straightforward reference implementation, and
//! `LineIndex` byte offset <-> UTF-16 position conversions.
//!
//! # Substitution
//!
//! `reference` below is a small recursive-descent evaluator written from Flux's documented
//! semantics (fluxcd/pkg envsubst, checked against drone/envsubst in `subst_oracle.rs`), with
//! no code shared with `gitops_lsp::subst`. The generator stays inside the grammar subset
//! the reference implements:
//!
//! ```text
//! text    := (plain | "$$" | "$" c | expr)*       c: a plain character other than `$`, `{`
//! expr    := "${" name "}" | "${" name op default "}"
//! op      := ":=" | ":-" | "=" | ":?" | ":+"
//! default := (dplain | expr)*                      nested up to 3 levels
//! name    := [A-Za-z_][A-Za-z0-9_]*                from a small pool, so set/unset/empty all occur
//! plain   := any of  a b Z 0 9 space - . : / \ { } é 日 😀 newline tab
//! dplain  := plain without `}`, plus = # % ^ ,     (no `$` inside defaults)
//! ```
//!
//! Semantics implemented (and so compared): `$$` is one `$`, a `$` not followed by `{` or `$`
//! is literal, `}` and `{` outside an expression are literal, backslashes are literal outside
//! `${...}`; `${v}` is the value or "" when unset; all five default operators give the
//! default when the variable is unset *or empty* (`=` acts like `:=`; `:?` and `:+` act
//! like `:-` in Flux); a default is the concatenation of its pieces. Values are inserted
//! literally (never re-substituted). Also compared: the strict-mode `undefined` list (an
//! unset variable used without a default, anywhere, arguments of unused defaults included;
//! a plain `${v}` set to "" whose value reaches the result), and the top-level expressions
//! `scan` finds (range and name). Not generated: the string functions (`#`, `%`, `/`, `:n`,
//! `^`, `,`), parse errors, and `$` inside defaults; `subst_oracle.rs` and the unit tests
//! cover those.
//!
//! # Positions
//!
//! Arbitrary Unicode text (CRLF, lone CR, astral-plane characters, BOM, NUL) against a
//! reference computed by counting: position(offset) matches it, offset(position(o)) == o at
//! every character boundary (except between the CR and LF of a CRLF, which LSP cannot
//! address), offsets inside a character map to its start, and any position maps to a
//! character boundary on its line that maps back to at most that position.

use gitops_lsp::files::{LineIndex, Position};
use gitops_lsp::subst::{eval, scan, Lookup};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::Range;

// ---------------------------------------------------------------------------------------
// Substitution: generator
// ---------------------------------------------------------------------------------------

const NAMES: &[&str] = &["a", "b", "c", "X_1", "_u", "unset", "EMPTY"];
const PLAIN: &[&str] = &["a", "b", "Z", "0", "9", " ", "-", ".", ":", "/", "\\", "{", "}", "é", "日", "😀", "\n", "\t"];
const DPLAIN: &[&str] =
    &["a", "b", "Z", "0", " ", "-", ".", ":", "/", "\\", "{", "é", "日", "😀", "=", "#", "%", "^", ","];
const OPS: &[&str] = &[":=", ":-", "=", ":?", ":+"];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_string)
}

fn expr(depth: u32) -> BoxedStrategy<String> {
    let plain = name().prop_map(|n| format!("${{{n}}}"));
    if depth == 0 {
        return plain.boxed();
    }
    let piece = prop_oneof![3 => prop::sample::select(DPLAIN).prop_map(str::to_string), 1 => expr(depth - 1)];
    let with_default = (name(), prop::sample::select(OPS), prop::collection::vec(piece, 0..4))
        .prop_map(|(n, op, pieces)| format!("${{{n}{op}{}}}", pieces.concat()));
    prop_oneof![plain, with_default].boxed()
}

fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(PLAIN).prop_map(str::to_string),
        1 => Just("$$".to_string()),
        1 => prop::sample::select(&["a", " ", "}", "é", "-"][..]).prop_map(|c| format!("${c}")),
        3 => expr(3),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

/// Variable values: unset (absent), empty, or text (with characters that must not be
/// re-substituted).
fn env() -> impl Strategy<Value = BTreeMap<String, String>> {
    let value = prop_oneof![
        Just(String::new()),
        prop::sample::select(&["x", "hello", "${a}", "$$", "}", "日😀", "a b"][..]).prop_map(str::to_string),
    ];
    prop::collection::btree_map(name(), value, 0..NAMES.len()).prop_map(|mut m| {
        m.remove("unset");
        m.insert("EMPTY".to_string(), String::new());
        m
    })
}

// ---------------------------------------------------------------------------------------
// Substitution: reference implementation
// ---------------------------------------------------------------------------------------

struct Reference<'a> {
    s: &'a str,
    env: &'a BTreeMap<String, String>,
    undefined: Vec<(String, Range<usize>)>,
}

/// What the reference makes of a template: the result, the strict-mode uses, and the
/// top-level expressions (range, name).
struct RefOut {
    text: String,
    undefined: Vec<(String, Range<usize>)>,
    exprs: Vec<(Range<usize>, String)>,
}

fn reference(s: &str, env: &BTreeMap<String, String>) -> RefOut {
    let mut r = Reference { s, env, undefined: Vec::new() };
    let mut out = String::new();
    let mut exprs = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("$$") {
            out.push('$');
            i += 2;
        } else if rest.starts_with("${") {
            let (v, end, name) = r.expr(i, true);
            exprs.push((i..end, name));
            out.push_str(&v);
            i = end;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    r.undefined.sort_by_key(|(_, rg)| (rg.start, rg.end));
    RefOut { text: out, undefined: r.undefined, exprs }
}

impl Reference<'_> {
    /// The expression whose `$` is at `start`: (value, end, name). `flows`: its value
    /// reaches the result.
    fn expr(&mut self, start: usize, flows: bool) -> (String, usize, String) {
        let s = self.s;
        let mut i = start + 2;
        let name_end = i + s[i..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap();
        let name = s[i..name_end].to_string();
        i = name_end;
        let value = self.env.get(&name).cloned();
        if s[i..].starts_with('}') {
            match &value {
                None => self.undefined.push((name.clone(), start..i + 1)),
                Some(v) if v.is_empty() && flows => self.undefined.push((name.clone(), start..i + 1)),
                _ => {}
            }
            return (value.unwrap_or_default(), i + 1, name);
        }
        let op = OPS.iter().find(|op| s[i..].starts_with(**op)).expect("an operator");
        i += op.len();
        let use_default = value.as_deref().unwrap_or("").is_empty();
        let mut default = String::new();
        loop {
            let rest = &s[i..];
            if rest.starts_with('}') {
                i += 1;
                break;
            } else if rest.starts_with("${") {
                // Every argument is evaluated, used or not.
                let (v, end, _) = self.expr(i, flows && use_default);
                default.push_str(&v);
                i = end;
            } else {
                let c = rest.chars().next().unwrap();
                default.push(c);
                i += c.len_utf8();
            }
        }
        let v = if use_default { default } else { value.unwrap() };
        (v, i, name)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn substitution_agrees_with_the_reference(t in template(), env in env()) {
        let expected = reference(&t, &env);
        let lookup = |n: &str| env.get(n).map_or(Lookup::Unset, |v| Lookup::Set(v.as_str()));
        let got = eval(&t, &lookup);
        prop_assert!(got.errors.is_empty(), "unexpected errors: {:?}", got.errors);
        prop_assert_eq!(got.text.as_deref(), Some(expected.text.as_str()));
        prop_assert_eq!(&got.undefined, &expected.undefined);
        let sc = scan(&t);
        prop_assert!(!sc.has_fatal(), "{:?}", sc.errors);
        let exprs: Vec<(Range<usize>, String)> = sc.exprs.iter().map(|e| (e.range.clone(), e.name.clone())).collect();
        prop_assert_eq!(exprs, expected.exprs);
    }

    /// With every variable of unknown value, a text is known only when it has no expression.
    #[test]
    fn unknown_values_make_unknown_text(t in template()) {
        let got = eval(&t, &|_| Lookup::Unknown);
        let has_expr = !scan(&t).exprs.is_empty();
        prop_assert_eq!(got.text.is_none(), has_expr);
        if !has_expr {
            prop_assert_eq!(got.text, Some(reference(&t, &BTreeMap::new()).text));
        }
    }
}

/// The reference itself, on cases whose results are known (Flux's own test cases).
#[test]
fn reference_sanity() {
    let env: BTreeMap<String, String> =
        [("a", "A"), ("e", "")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let r = |s: &str| reference(s, &env).text;
    assert_eq!(r("x ${a} $${a} $$ $a }"), "x A ${a} $ $a }");
    assert_eq!(r("${u:=d}${e:-d}${a=d}${u=p${a}s}"), "ddApAs");
    assert_eq!(r("${u:?m}${a:+alt}"), "mA");
    let u = reference("${u}${a:=${v}}${e}${u:=${e}}", &env).undefined;
    let names: Vec<&str> = u.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["u", "v", "e", "e"]);
}

// ---------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------

fn unicode_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        3 => prop::sample::select(&["a", "é", "日", "😀", "\u{10FFFF}", "\u{FEFF}", "\0", " "][..]).prop_map(str::to_string),
        2 => prop::sample::select(&["\n", "\r\n", "\r", "\r\r\n", "\n\r"][..]).prop_map(str::to_string),
    ];
    (any::<bool>(), prop::collection::vec(piece, 0..40)).prop_map(|(bom, p)| {
        if bom {
            format!("\u{FEFF}{}", p.concat())
        } else {
            p.concat()
        }
    })
}

/// Position of a byte offset by counting: lines split at `\n`, columns in UTF-16 units from
/// the line start to the start of the character holding the offset.
fn reference_position(text: &str, offset: usize) -> Position {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    let before = &text[..o];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position { line, character: text[line_start..o].encode_utf16().count() as u32 }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn positions_round_trip(text in unicode_text()) {
        let idx = LineIndex::new(&text);
        prop_assert_eq!(idx.line_count(), text.matches('\n').count() + 1);
        let mut prev = Position::default();
        for o in 0..=text.len() + 2 {
            let p = idx.position(&text, o);
            prop_assert_eq!(p, reference_position(&text, o), "offset {}", o);
            prop_assert!(p >= prev, "positions go backwards at {}", o);
            prev = p;
            if o > text.len() || !text.is_char_boundary(o) {
                continue;
            }
            if text[..o].ends_with('\r') && text[o..].starts_with('\n') {
                // Between CR and LF: LSP has no position there; it maps to the CR.
                prop_assert_eq!(idx.offset(&text, p), o - 1);
                continue;
            }
            prop_assert_eq!(idx.offset(&text, p), o, "offset(position({})) from {:?}", o, p);
        }
    }

    #[test]
    fn any_position_maps_into_its_line(text in unicode_text(), line in 0u32..50, character in 0u32..80) {
        let idx = LineIndex::new(&text);
        let p = Position { line, character };
        let o = idx.offset(&text, p);
        prop_assert!(o <= text.len() && text.is_char_boundary(o));
        if (line as usize) < idx.line_count() {
            let start = idx.line_start(line as usize);
            let content = idx.line_text(&text, line as usize);
            prop_assert!(start <= o && o <= start + content.len(), "{} outside line {} ({}..+{})", o, line, start, content.len());
            let back = idx.position(&text, o);
            prop_assert_eq!(back.line, line);
            prop_assert!(back.character <= character);
            // A column inside the line that falls on a character boundary is exact.
            let units: Vec<usize> = content
                .char_indices()
                .scan(0usize, |u, (_, c)| { let here = *u; *u += c.len_utf16(); Some(here) })
                .chain(std::iter::once(content.encode_utf16().count()))
                .collect();
            if units.contains(&(character as usize)) {
                prop_assert_eq!(back.character, character);
            }
        } else {
            prop_assert_eq!(o, text.len());
        }
    }
}
