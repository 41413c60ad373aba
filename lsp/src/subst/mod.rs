//! Flux post-build substitution syntax (`${name}`, `${name:=default}`, string functions…).
//!
//! Owns: finding every `${...}` in one scalar's text with byte ranges, classifying the
//! forms Flux supports or rejects, and evaluating a text against a variable lookup.
//! Knows nothing of YAML, files, clusters or LSP. Pure functions, no I/O.
//!
//! # What Flux does (and so what this module does)
//!
//! kustomize-controller runs `github.com/fluxcd/pkg/envsubst` (a fork of
//! `github.com/drone/envsubst`) over each rendered resource. The `parse` submodule is a port of
//! its scanner and parser and `funcs` of its string functions, so the accepted language and the
//! results are Flux's, oddities included:
//!
//! - Only `${...}` is an expression. `$name` without braces is left alone, and `$$` is an
//!   escape for one `$` anywhere in the text: `$${name}` gives the literal `${name}` (no
//!   [`Expr`]) and `$$` gives `$`. Backslashes are literal outside `${...}`.
//! - `${name:=default}`, `${name:-default}` and `${name=default}` all substitute the default
//!   when the variable is unset **or empty**; the default may mix text and `${...}`.
//! - `${name-default}`, `${name+alt}`, `${name?msg}` do not parse: the build fails with
//!   "missing closing brace" ([`SubstErrorKind::Unsupported`], fatal).
//! - `${name:?msg}` and `${name:+alt}` parse, but Flux evaluates both like `${name:-word}`:
//!   no error for an unset variable, no alternate value ([`SubstErrorKind::Unsupported`], not
//!   fatal; [`Op::UnsupportedDefault`]).
//! - `${#v}` is the length in bytes; `${v:pos}` / `${v:pos:len}` slice bytes (negative `pos`
//!   counts from the end, negative `len` stops before the end, a non-integer leaves the value
//!   unchanged); `${v/p/r}`, `${v//p/r}`, `${v/#p/r}`, `${v/%p/r}` replace a *literal*
//!   pattern (not a glob; `\/` and `\\` escape inside them); `${v/#p/}` and `${v/%p/}` leave
//!   the value unchanged; `${v^}`, `${v^^}`, `${v,}`, `${v,,}` change case; `${v#p}`,
//!   `${v##p}`, `${v%p}`, `${v%%p}` trim a glob (`*`, `?`, `[...]`, where `*` also matches
//!   `/`).
//! - An argument other than a default is one piece: literal text or a single `${...}`
//!   (`${v#a${x}}` is an error).
//! - Strict substitution fails the build when a variable is unset and used without a
//!   default operator, including inside any argument: arguments are evaluated before the
//!   operator, so `${A:=${B}}` fails on an unset `B` even when `A` is set.
//!
//! Variable names in Flux's parser are any run of letters, digits and `_`; names that do not
//! match `^[_[:alpha:]][_[:alpha:][:digit:]]*$` (the rule Flux applies to the variables it is
//! given) can never be set and are reported [`SubstErrorKind::Malformed`] (not fatal).
//!
//! # Cost
//!
//! [`scan`] and [`eval`] skip to each `$` with `memchr` (a text without `$` costs one
//! `memchr` and no allocation), parse in linear time, never panic, and stop nesting at
//! 64 levels (`parse::MAX_DEPTH`). After a fatal error the scan resumes after the broken
//! `${...}` so later expressions are still found; Flux itself rejects the whole text.

use std::ops::Range;

use memchr::memchr;
use rustc_hash::FxHashMap;

mod funcs;
pub(crate) mod parse;

use parse::{Func, Node, ParseError, Parser};

/// Everything [`scan`] finds in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The top-level `${...}` in order; expressions inside arguments are in [`Expr::nested`].
    pub exprs: Vec<Expr>,
    /// Errors and warnings, in text order; see [`SubstError::fatal`].
    pub errors: Vec<SubstError>,
    /// Each `$$` escape (two bytes) outside expressions.
    pub escapes: Vec<Range<usize>>,
}

impl Scan {
    /// No expression, error or escape.
    pub fn is_empty(&self) -> bool {
        self.exprs.is_empty() && self.errors.is_empty() && self.escapes.is_empty()
    }

    /// Whether Flux would reject the text.
    pub fn has_fatal(&self) -> bool {
        self.errors.iter().any(|e| e.fatal)
    }

    /// Every expression, nested ones included, depth first in text order.
    pub fn all_exprs(&self) -> Vec<&Expr> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
            out.push(e);
            for n in &e.nested {
                walk(n, out);
            }
        }
        let mut out = Vec::new();
        for e in &self.exprs {
            walk(e, &mut out);
        }
        out
    }
}

/// One `${...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// The whole `${...}` (byte offsets in the scanned text).
    pub range: Range<usize>,
    /// The variable name.
    pub name: String,
    /// The name alone.
    pub name_range: Range<usize>,
    /// The operator as written (`:=`, `//`, `^^`, ...; `#` for `${#v}`); empty for `${v}`.
    pub op_range: Range<usize>,
    /// What follows the name.
    pub op: Op,
    /// Expressions used inside the arguments (`${A:=${B}}`, `${v:${off}}`), ranges in the
    /// scanned text.
    pub nested: Vec<Expr>,
}

/// What a `${...}` does with its variable. Argument strings are the source text as written
/// (escapes not applied; they may contain `${...}`, see [`Expr::nested`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `${name}`.
    Plain,
    /// `${name:=default}` and `${name:-default}`: the default when unset or empty.
    DefaultIfUnsetOrEmpty(String),
    /// `${name=default}`. Unlike bash, Flux also substitutes the default when the variable
    /// is set but empty: it evaluates exactly like [`Op::DefaultIfUnsetOrEmpty`]. (`${name-x}`
    /// does not parse in Flux; it is a fatal [`SubstErrorKind::Unsupported`] error.)
    DefaultIfUnset(String),
    /// `${name:?word}` or `${name:+word}` (`syntax` is `:?` or `:+`): bash forms Flux does
    /// not implement; it evaluates them like `${name:-word}`. Reported as a non-fatal
    /// [`SubstErrorKind::Unsupported`] error.
    UnsupportedDefault { syntax: String, default: String },
    /// `${#name}`: length in bytes.
    Len,
    /// `${name:offset}` / `${name:offset:length}`.
    Substr { offset: String, length: Option<String> },
    /// `${name/p/r}`, `${name//p/r}`, `${name/#p/r}`, `${name/%p/r}`; `replacement` is None
    /// when the text ends right after the second `/`.
    Replace { mode: ReplaceMode, pattern: String, replacement: Option<String> },
    /// `${name^}`, `${name^^}`, `${name,}`, `${name,,}`.
    Case { mode: CaseMode },
    /// `${name#glob}` (shortest) / `${name##glob}` (longest).
    TrimPrefix { longest: bool, pattern: String },
    /// `${name%glob}` (shortest) / `${name%%glob}` (longest).
    TrimSuffix { longest: bool, pattern: String },
}

impl Op {
    /// Whether the operator supplies a value for an unset variable (so strict substitution
    /// does not fail on it).
    pub fn has_default(&self) -> bool {
        matches!(self, Op::DefaultIfUnsetOrEmpty(_) | Op::DefaultIfUnset(_) | Op::UnsupportedDefault { .. })
    }

    /// The default's source text, for the default operators.
    pub fn default_text(&self) -> Option<&str> {
        match self {
            Op::DefaultIfUnsetOrEmpty(d) | Op::DefaultIfUnset(d) => Some(d),
            Op::UnsupportedDefault { default, .. } => Some(default),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceMode {
    /// `/`: the first occurrence.
    First,
    /// `//`: every occurrence.
    All,
    /// `/#`: a prefix.
    Prefix,
    /// `/%`: a suffix.
    Suffix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseMode {
    /// `^`
    UpperFirst,
    /// `^^`
    Upper,
    /// `,`
    LowerFirst,
    /// `,,`
    Lower,
    /// `,^` or `^,`: Flux parses these and leaves the value unchanged (a non-fatal
    /// [`SubstErrorKind::Unsupported`] error is reported).
    Other(String),
}

/// A problem in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstError {
    /// What is wrong: usually the whole `${...}` (or as much of it as exists); the name for
    /// an invalid name.
    pub range: Range<usize>,
    pub kind: SubstErrorKind,
    /// What is wrong and what to write instead.
    pub message: String,
    /// Flux rejects the text (the Kustomization fails to build). Non-fatal errors are forms
    /// that Flux accepts but that do not do what they look like.
    pub fatal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubstErrorKind {
    /// A bash form Flux does not implement: `${v-x}`, `${v+x}`, `${v?x}`, `${!v}` (fatal);
    /// `${v:?x}`, `${v:+x}`, `${v,^}`, `${v/#p/}`, a glob in a replace pattern (not fatal).
    Unsupported,
    /// Broken syntax: `${`, `${}`, `${a b}`, `${v#}`, … (fatal); an invalid variable name such
    /// as `${1a}`, or a substring offset that is not an integer (not fatal).
    Malformed,
}

/// A variable's value as far as it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Provided with this value.
    Set(&'a str),
    /// Provided, value unknown (e.g. a Secret).
    Unknown,
    /// Not provided.
    Unset,
}

/// The result of [`eval`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    /// The substituted text (unset variables read as empty, as in Flux without strict
    /// mode); None when it depends on an [`Lookup::Unknown`] value or Flux rejects the text
    /// (see `errors`). Byte slicing can cut a UTF-8 sequence; such bytes become U+FFFD.
    pub text: Option<String>,
    /// Each use that strict substitution rejects, in text order, with the range of its
    /// `${...}`: an unset variable used without a default operator (anywhere, arguments of
    /// unused defaults included, since Flux evaluates them all); and, a product rule, a
    /// plain `${v}` set to "" whose value reaches the result (top level, or in a default
    /// that is used).
    pub undefined: Vec<(String, Range<usize>)>,
    /// The fatal errors of [`scan`] (Flux rejects the text; `text` is None).
    pub errors: Vec<SubstError>,
}

/// `^[_[:alpha:]][_[:alpha:][:digit:]]*$` (ASCII classes, as in Go's regexp), the rule Flux
/// applies to the names of the variables it is given.
pub fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The parse of a whole text.
struct Parsed {
    nodes: Vec<Node>,
    errors: Vec<SubstError>,
    escapes: Vec<Range<usize>>,
}

/// For each `${` with a matching `}` (plain brace counting), the position of that `}`.
fn matching_braces(text: &str) -> FxHashMap<usize, usize> {
    let b = text.as_bytes();
    let mut stack = Vec::new();
    let mut map = FxHashMap::default();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                stack.push(i);
                i += 2;
                continue;
            }
            b'}' => {
                if let Some(s) = stack.pop() {
                    map.insert(s, i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    map
}

fn parse_text(text: &str) -> Parsed {
    let b = text.as_bytes();
    let mut parsed = Parsed { nodes: Vec::new(), errors: Vec::new(), escapes: Vec::new() };
    let Some(first) = memchr(b'$', b) else {
        if !text.is_empty() {
            parsed.nodes.push(Node::Text { value: text.to_string(), range: 0..text.len() });
        }
        return parsed;
    };
    let mut parser = Parser::new(text);
    let mut braces: Option<FxHashMap<usize, usize>> = None;
    let mut lit = String::new();
    let mut lit_start = 0;
    let mut seg_start = 0;
    let mut i = first;
    let flush = |lit: &mut String, nodes: &mut Vec<Node>, seg_start: usize, from: usize, to: usize| {
        lit.push_str(&text[from..to]);
        if !lit.is_empty() {
            nodes.push(Node::Text { value: std::mem::take(lit), range: seg_start..to });
        }
    };
    while let Some(off) = memchr(b'$', &b[i..]) {
        let d = i + off;
        match b.get(d + 1) {
            Some(b'{') => {
                flush(&mut lit, &mut parsed.nodes, seg_start, lit_start, d);
                match parser.parse_func_at(d) {
                    Ok(f) => {
                        i = f.range.end;
                        parsed.nodes.push(Node::Func(Box::new(f)));
                    }
                    Err(e) => {
                        let map = braces.get_or_insert_with(|| matching_braces(text));
                        let err = to_error(text, map, &e);
                        i = match map.get(&d) {
                            Some(&j) => j + 1,
                            None => err.range.end.max(d + 2),
                        };
                        parsed.errors.push(err);
                    }
                }
                lit_start = i;
                seg_start = i;
            }
            Some(b'$') => {
                lit.push_str(&text[lit_start..d]);
                lit.push('$');
                parsed.escapes.push(d..d + 2);
                i = d + 2;
                lit_start = i;
            }
            _ => i = d + 1,
        }
    }
    flush(&mut lit, &mut parsed.nodes, seg_start, lit_start, text.len());
    parsed
}

fn to_error(text: &str, braces: &FxHashMap<usize, usize>, e: &ParseError) -> SubstError {
    let range = match braces.get(&e.start) {
        Some(&j) => e.start..j + 1,
        None => {
            // No `}`: the `${` and the name after it, if any.
            let rest = &text[e.start + 2..];
            let name_len: usize = rest.chars().take_while(|&c| parse::is_ident_char(c)).map(char::len_utf8).sum();
            e.start..e.start + 2 + name_len
        }
    };
    SubstError { range, kind: e.kind, message: e.message.clone(), fatal: true }
}

/// Find every `${...}` in `text`, with Flux's classification.
pub fn scan(text: &str) -> Scan {
    if memchr(b'$', text.as_bytes()).is_none() {
        return Scan::default();
    }
    let parsed = parse_text(text);
    let mut scan = Scan { exprs: Vec::new(), errors: parsed.errors, escapes: parsed.escapes };
    for n in &parsed.nodes {
        if let Node::Func(f) = n {
            scan.exprs.push(to_expr(text, f, &mut scan.errors));
        }
    }
    scan.errors.sort_by_key(|e| (e.range.start, e.range.end));
    scan
}

fn raw(text: &str, n: &Node) -> String {
    text[n.range()].to_string()
}

fn to_expr(text: &str, f: &Func, errors: &mut Vec<SubstError>) -> Expr {
    let arg = |i: usize| f.args.get(i).map(|n| raw(text, n));
    let all_args = || match (f.args.first(), f.args.last()) {
        (Some(a), Some(b)) => text[a.range().start..b.range().end].to_string(),
        _ => String::new(),
    };
    let warn = |errors: &mut Vec<SubstError>, kind, range: Range<usize>, message: String| {
        errors.push(SubstError { range, kind, message, fatal: false })
    };
    let name = &f.param;
    if !is_valid_name(name) {
        warn(
            errors,
            SubstErrorKind::Malformed,
            f.param_range.clone(),
            format!(
                "`{name}` is not a valid Flux variable name: names must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$ (an ASCII letter or `_`, then ASCII letters, digits or `_`), so no substitute or substituteFrom entry can set it"
            ),
        );
    }
    let op = match f.op.as_str() {
        _ if f.is_len => Op::Len,
        "" => Op::Plain,
        ":=" | ":-" => Op::DefaultIfUnsetOrEmpty(all_args()),
        "=" => Op::DefaultIfUnset(all_args()),
        s @ (":?" | ":+") => {
            let default = all_args();
            let message = if s == ":?" {
                format!("`${{{name}:?...}}` does not fail in Flux when `{name}` is unset: Flux treats it like `${{{name}:-...}}` and substitutes the text after `:?`; to require the variable write `${{{name}}}` (strict substitution fails the build when it is unset)")
            } else {
                format!("`${{{name}:+...}}` is not an alternate value in Flux: Flux treats it like `${{{name}:-...}}`, giving the value of `{name}` when it is set and non-empty and the text after `:+` otherwise")
            };
            warn(errors, SubstErrorKind::Unsupported, f.range.clone(), message);
            Op::UnsupportedDefault { syntax: s.to_string(), default }
        }
        ":" => {
            for a in &f.args {
                if let Node::Text { value, range } = a {
                    if value.parse::<i64>().is_err() {
                        let hint = if value.trim_start().starts_with('-') && value.starts_with(' ') {
                            "; Flux cannot take bash's `${v: -1}` (a negative offset written after a space)"
                        } else {
                            ""
                        };
                        warn(
                            errors,
                            SubstErrorKind::Malformed,
                            range.clone(),
                            format!("substring offset/length `{value}` is not an integer: Flux leaves the value of `{name}` unchanged{hint}"),
                        );
                    }
                }
            }
            Op::Substr { offset: arg(0).unwrap_or_default(), length: arg(1) }
        }
        s @ ("/" | "//" | "/#" | "/%") => {
            let mode = match s {
                "/" => ReplaceMode::First,
                "//" => ReplaceMode::All,
                "/#" => ReplaceMode::Prefix,
                _ => ReplaceMode::Suffix,
            };
            if let Some(Node::Text { value, range }) = f.args.first() {
                if value.contains(['*', '?', '[']) {
                    warn(
                        errors,
                        SubstErrorKind::Unsupported,
                        range.clone(),
                        format!("Flux matches the replace pattern `{value}` literally, not as a glob: `*`, `?` and `[` only match themselves"),
                    );
                }
            }
            if f.args.len() < 2 && matches!(mode, ReplaceMode::Prefix | ReplaceMode::Suffix) {
                let (form, alt) = if mode == ReplaceMode::Prefix {
                    ("/#", format!("${{{name}#pattern}}"))
                } else {
                    ("/%", format!("${{{name}%pattern}}"))
                };
                warn(
                    errors,
                    SubstErrorKind::Unsupported,
                    f.range.clone(),
                    format!("Flux ignores `${{{name}{form}pattern/}}` with an empty replacement and leaves the value unchanged; to remove the pattern write `{alt}`"),
                );
            }
            Op::Replace { mode, pattern: arg(0).unwrap_or_default(), replacement: arg(1) }
        }
        "^" => Op::Case { mode: CaseMode::UpperFirst },
        "^^" => Op::Case { mode: CaseMode::Upper },
        "," => Op::Case { mode: CaseMode::LowerFirst },
        ",," => Op::Case { mode: CaseMode::Lower },
        s if s.starts_with([',', '^']) => {
            warn(
                errors,
                SubstErrorKind::Unsupported,
                f.range.clone(),
                format!("`{s}` is not a case conversion: Flux leaves the value of `{name}` unchanged; write `^` (first letter upper), `^^` (upper), `,` (first letter lower) or `,,` (lower)"),
            );
            Op::Case { mode: CaseMode::Other(s.to_string()) }
        }
        s @ ("#" | "##") => Op::TrimPrefix { longest: s == "##", pattern: arg(0).unwrap_or_default() },
        s => Op::TrimSuffix { longest: s == "%%", pattern: arg(0).unwrap_or_default() },
    };
    let nested = f
        .args
        .iter()
        .filter_map(|n| match n {
            Node::Func(g) => Some(to_expr(text, g, errors)),
            Node::Text { .. } => None,
        })
        .collect();
    Expr {
        range: f.range.clone(),
        name: f.param.clone(),
        name_range: f.param_range.clone(),
        op_range: f.op_range.clone(),
        op,
        nested,
    }
}

/// Substitute `text` as Flux would, reading variables through `lookup`.
pub fn eval<'v>(text: &str, lookup: &dyn Fn(&str) -> Lookup<'v>) -> Evaluated {
    if memchr(b'$', text.as_bytes()).is_none() {
        return Evaluated { text: Some(text.to_string()), undefined: Vec::new(), errors: Vec::new() };
    }
    let parsed = parse_text(text);
    let mut cx = EvalCx { lookup, undefined: Vec::new() };
    let mut out = Some(Vec::with_capacity(text.len()));
    for n in &parsed.nodes {
        let v = cx.node(n, true);
        match (&mut out, v) {
            (Some(o), Some(v)) => o.extend_from_slice(&v),
            _ => out = None,
        }
    }
    let errors: Vec<SubstError> = parsed.errors;
    if !errors.is_empty() {
        out = None;
    }
    let mut undefined = cx.undefined;
    undefined.sort_by_key(|(_, r)| (r.start, r.end));
    Evaluated {
        text: out.map(|b| match String::from_utf8(b) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }),
        undefined,
        errors,
    }
}

struct EvalCx<'a, 'v> {
    lookup: &'a dyn Fn(&str) -> Lookup<'v>,
    undefined: Vec<(String, Range<usize>)>,
}

impl EvalCx<'_, '_> {
    /// `flows`: the value ends up in the result (for the "plain `${v}` set to empty" rule).
    fn node(&mut self, n: &Node, flows: bool) -> Option<Vec<u8>> {
        match n {
            Node::Text { value, .. } => Some(value.as_bytes().to_vec()),
            Node::Func(f) => self.func(f, flows),
        }
    }

    fn func(&mut self, f: &Func, flows: bool) -> Option<Vec<u8>> {
        let is_default = !f.is_len && matches!(f.op.as_str(), "=" | ":=" | ":-" | ":?" | ":+");
        let look = (self.lookup)(&f.param);
        match look {
            Lookup::Unset if !is_default => self.undefined.push((f.param.clone(), f.range.clone())),
            Lookup::Set("") if flows && !f.is_len && f.op.is_empty() => {
                self.undefined.push((f.param.clone(), f.range.clone()))
            }
            _ => {}
        }
        let value: Option<&[u8]> = match look {
            Lookup::Set(v) => Some(v.as_bytes()),
            Lookup::Unset => Some(b""),
            Lookup::Unknown => None,
        };
        let default_used = is_default && value == Some(b"");
        // Flux evaluates every argument, whether or not it is used.
        let args: Vec<Option<Vec<u8>>> = f.args.iter().map(|a| self.node(a, flows && default_used)).collect();
        let v = value?;
        if is_default {
            if !v.is_empty() || args.is_empty() {
                return Some(v.to_vec());
            }
            let mut out = Vec::new();
            for a in args {
                out.extend_from_slice(&a?);
            }
            return Some(out);
        }
        let mut known = Vec::with_capacity(args.len());
        for a in args {
            known.push(a?);
        }
        let a0 = known.first().map(Vec::as_slice).unwrap_or(b"");
        let a1 = known.get(1).map(Vec::as_slice);
        Some(match f.op.as_str() {
            _ if f.is_len => funcs::to_len(v),
            "" => v.to_vec(),
            "," => funcs::to_lower_first(v),
            ",," => funcs::to_lower(v),
            "^" => funcs::to_upper_first(v),
            "^^" => funcs::to_upper(v),
            ":" => funcs::to_substr(v, a0, a1),
            "/" => funcs::replace(v, a0, a1, false),
            "//" => funcs::replace(v, a0, a1, true),
            "/#" => funcs::replace_prefix(v, a0, a1),
            "/%" => funcs::replace_suffix(v, a0, a1),
            s @ ("#" | "##" | "%" | "%%") => {
                if v.len() > funcs::TRIM_LIMIT {
                    return None;
                }
                if s.starts_with('#') {
                    funcs::trim_prefix(v, a0, s == "##")
                } else {
                    funcs::trim_suffix(v, a0, s == "%%")
                }
            }
            // Go's lookupFunc falls back to toDefault, which without arguments is the value.
            _ => v.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests;
