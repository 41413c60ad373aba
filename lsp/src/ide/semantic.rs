//! Semantic tokens for Flux substitution: which parts of a file's `${...}` are variables,
//! operators and escapes, and what each variable is in the clusters that apply it.
//!
//! Owns: the token legend (types and modifiers, by name) and `semantic_tokens`, a pure
//! function of an `Analysis` and a file giving byte ranges. The server encodes them (UTF-16,
//! deltas); editors colour them by type and modifier, so the same colours reach every editor
//! that asks for semantic tokens, whatever its grammar.
//!
//! Tokens (each inside one scalar of an object, in text order, never overlapping):
//! - `variable`: the name in `${NAME}`, `${NAME:=default}`, `${#NAME}`… (nested ones too);
//! - `operator`: what follows the name (`:=`, `:-`, `^^`, `//`, `#` of `${#NAME}`…);
//! - `escapeSequence`: `$$`, which Flux writes out as one `$` (`$${NAME}` gives `${NAME}`).
//!
//! Modifiers of a `variable`, over every (cluster, Flux Kustomization) that applies and
//! substitutes the object (only the focus cluster's when one is given):
//! - `undefined`: some of them does not define it and the `${...}` has no default (Flux
//!   fails the Kustomization, or substitutes "" before 2.9);
//! - `defaulted`: some of them does not define it (or sets it to "") and the default is used;
//! - `secret`: some of them reads it from a Secret (its value is never shown);
//! - `unsubstituted`: none of them substitutes it (not applied, no `postBuild` variables, or
//!   `kustomize.toolkit.fluxcd.io/substitute: disabled`): the text stays as written.
//!
//! A variable defined by every cluster gets no modifier. A name that may come from a source
//! whose keys cannot be read is not `undefined` (unknown), and `secret` when every such source
//! is a Secret (as hover and inlay hints tell it).

use super::locate::Index;
use crate::analysis::Analysis;
use crate::files::{RelPath, TextRange};
use crate::project::{Bindings, ObjLoc, Value};
use crate::subst::Expr;

/// Token type names, by index (the legend's order).
pub const TOKEN_TYPES: &[&str] = &["variable", "operator", "escapeSequence"];
/// Token modifier names, by bit (the legend's order).
pub const TOKEN_MODIFIERS: &[&str] = &["undefined", "defaulted", "secret", "unsubstituted"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Variable = 0,
    Operator = 1,
    Escape = 2,
}

impl TokenType {
    pub fn name(self) -> &'static str {
        TOKEN_TYPES[self as usize]
    }
}

/// Modifier bits (bit i is `TOKEN_MODIFIERS[i]`).
pub mod modifier {
    pub const UNDEFINED: u32 = 1 << 0;
    pub const DEFAULTED: u32 = 1 << 1;
    pub const SECRET: u32 = 1 << 2;
    pub const UNSUBSTITUTED: u32 = 1 << 3;
}

/// The names of the modifier bits set in `bits`, in legend order.
pub fn modifier_names(bits: u32) -> Vec<&'static str> {
    TOKEN_MODIFIERS.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, n)| *n).collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Byte range in the file (may span lines inside a multi-line scalar; the server splits).
    pub range: TextRange,
    pub token_type: TokenType,
    /// `modifier` bits.
    pub modifiers: u32,
}

fn overlaps(a: &TextRange, b: &TextRange) -> bool {
    a.start < b.end && b.start < a.end
}

/// What one place (a Flux Kustomization's variables) makes of `e`'s variable.
fn state(b: &Bindings, e: &Expr) -> u32 {
    let secret_source = |from: &str| from.starts_with("Secret ");
    match b.vars.get(&e.name) {
        Some(bd) => match &bd.value {
            Value::Known(v) if v.is_empty() && e.op.has_default() => modifier::DEFAULTED,
            Value::Known(_) => 0,
            Value::Secret => modifier::SECRET,
            Value::Unknown if secret_source(&bd.from) => modifier::SECRET,
            Value::Unknown => 0,
        },
        None if !b.opaque.is_empty() => {
            if b.opaque.iter().all(|o| secret_source(o)) {
                modifier::SECRET
            } else {
                0
            }
        }
        None if e.op.has_default() => modifier::DEFAULTED,
        None => modifier::UNDEFINED,
    }
}

/// The tokens of `file` that touch `range` (the whole file when `None`), sorted by offset.
/// `cluster`: only this cluster's view for the modifiers (ignored when no cluster has the name).
pub fn semantic_tokens(
    a: &Analysis,
    file: &RelPath,
    range: Option<TextRange>,
    cluster: Option<&str>,
) -> Vec<SemanticToken> {
    let Some(fi) = a.snapshot.file_idx(file) else { return Vec::new() };
    let f = a.snapshot.file(fi);
    let range = range.unwrap_or(0..f.text.len());
    let cluster = cluster.and_then(|c| a.project.clusters.iter().position(|x| x.name == c));
    let idx = Index::of(a);
    let mut out = Vec::new();
    for (oi, o) in f.objects.iter().enumerate() {
        let touches = |r: &TextRange| overlaps(r, &range);
        if !o.subst_sites.iter().any(|s| touches(&s.range)) {
            continue;
        }
        // The Flux Kustomizations that substitute this object, once each.
        let mut places: Vec<(usize, u32)> = Vec::new();
        for &(ci, pi) in idx.placements_of(ObjLoc { file: fi, obj: oi as u32 }) {
            let ci = ci as usize;
            if cluster.is_some_and(|c| c != ci) {
                continue;
            }
            let c = &a.project.clusters[ci];
            let pl = &c.placements[pi as usize];
            let on = c.kss[pl.ks as usize].bindings.enabled && !pl.subst_disabled && !o.subst_disabled;
            if on && !places.contains(&(ci, pl.ks)) {
                places.push((ci, pl.ks));
            }
        }
        for site in o.subst_sites.iter().filter(|s| touches(&s.range)) {
            for e in site.scan.all_exprs() {
                let modifiers = if places.is_empty() {
                    modifier::UNSUBSTITUTED
                } else {
                    places
                        .iter()
                        .map(|&(ci, ks)| state(&a.project.clusters[ci].kss[ks as usize].bindings, e))
                        .fold(0, |m, s| m | s)
                };
                if !e.name_range.is_empty() {
                    out.push(SemanticToken { range: e.name_range.clone(), token_type: TokenType::Variable, modifiers });
                }
                if !e.op_range.is_empty() {
                    out.push(SemanticToken {
                        range: e.op_range.clone(),
                        token_type: TokenType::Operator,
                        modifiers: 0,
                    });
                }
            }
            for r in &site.scan.escapes {
                out.push(SemanticToken { range: r.clone(), token_type: TokenType::Escape, modifiers: 0 });
            }
        }
    }
    out.retain(|t| overlaps(&t.range, &range) && t.range.end <= f.text.len());
    out.sort_by_key(|t| (t.range.start, t.range.end));
    // An alias repeats its anchor's scalars; and tokens must never overlap.
    let mut last_end = 0;
    out.retain(|t| {
        let keep = t.range.start >= last_end;
        if keep {
            last_end = t.range.end;
        }
        keep
    });
    out
}
