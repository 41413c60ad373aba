//! The parser: a port of fluxcd/pkg `envsubst/parse/{scan,parse}.go` (forked from
//! github.com/drone/envsubst) that keeps byte ranges into the original text.
//!
//! The Go scanner is a small state machine (a mode, an accept function and escape flags set by
//! each parse function); this file keeps that shape on purpose, function for function, so the
//! accepted language is the same down to its oddities (`${v#a${x}}` is an error, `${v:=a}b}`
//! has default `a`, `${v,^}` parses, ...). Go's `skip()` deletes escape characters from its
//! buffer; here the token's value is built as it is scanned and positions stay those of the
//! original text.
//!
//! Known deviations from Go, all deliberate:
//! - Go's scanner takes a NUL character for the end of input and silently drops the rest;
//!   here NUL is an ordinary character (in Flux the text is a serialized YAML document in
//!   which a NUL is written as an escape, so it never reaches the scanner raw).
//! - Identifier characters: Go uses `unicode.IsLetter || unicode.IsDigit || '_'`; Rust has
//!   no general-category tables in std, so `char::is_alphanumeric` stands in. The two agree
//!   on ASCII; names with other characters are reported invalid anyway.
//! - Nesting deeper than [`MAX_DEPTH`] is reported as an error instead of recursing on.

use std::ops::Range;

use super::SubstErrorKind;

/// Part of the message when an argument is followed by something other than `}`.
const ARG_HINT: &str = " (in Flux an argument is either literal text or a single `${...}`, not both)";

/// Deepest nesting of `${...}` inside arguments that is parsed.
pub(crate) const MAX_DEPTH: usize = 64;

/// A piece of parsed text.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal text; `value` has escapes applied (`$$` → `$`, and in replace arguments also
    /// `\/` → `/` and `\\` → `\`).
    Text {
        value: String,
        range: Range<usize>,
    },
    Func(Box<Func>),
}

impl Node {
    pub(crate) fn range(&self) -> Range<usize> {
        match self {
            Node::Text { range, .. } => range.clone(),
            Node::Func(f) => f.range.clone(),
        }
    }
}

/// One `${...}` (Go's `FuncNode`).
#[derive(Debug, Clone)]
pub(crate) struct Func {
    /// `$` through `}`.
    pub range: Range<usize>,
    /// The variable name (Go's `Param`).
    pub param: String,
    pub param_range: Range<usize>,
    /// The operator as Go names it (Go's `Name`): "" for `${v}`, "#" for both `${#v}` and
    /// `${v#p}` (see `is_len`), ":=", "/#", "^^", ...
    pub op: String,
    pub op_range: Range<usize>,
    /// `${#v}`.
    pub is_len: bool,
    /// Go's `Args`: one node per argument, except the default operators whose nodes are
    /// concatenated.
    pub args: Vec<Node>,
}

/// A parse failure (Go returns the first and gives up on the whole text).
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    /// The `$` of the innermost `${` being parsed.
    pub start: usize,
    pub kind: SubstErrorKind,
    pub message: String,
}

// Scanner modes (Go: scanIdent, scanLbrack, scanRbrack, scanEscape).
const M_IDENT: u8 = 1;
const M_LBRACK: u8 = 2;
const M_RBRACK: u8 = 4;
const M_ESCAPE: u8 = 8;
// Escape flags (Go: dollar, backslash). Inside `${` both are on; the top level (handled by
// the caller, with only `$$`) never reaches this scanner.
const E_DOLLAR: u8 = 1;
const E_BACKSLASH: u8 = 2;
const E_ALL: u8 = E_DOLLAR | E_BACKSLASH;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Eof,
    Ident,
    Lbrack,
    Rbrack,
    Illegal,
}

/// Go's accept functions; `i` is the token's byte length including `r`.
#[derive(Clone, Copy, Debug)]
enum Accept {
    Ident,
    Colon,
    OneHash,
    NotClosing,
    HashFunc,
    PercentFunc,
    DefaultFunc,
    ReplaceFunc,
    OneEqual,
    OneColon,
    RejectColonClose,
    Slash,
    NotSlash,
    CasingFunc,
}

pub(crate) fn is_ident_char(r: char) -> bool {
    r == '_' || r.is_alphanumeric()
}

impl Accept {
    fn ok(self, r: char, i: usize) -> bool {
        match self {
            Accept::Ident => is_ident_char(r),
            Accept::Colon => r == ':',
            Accept::OneHash => r == '#' && i == 1,
            Accept::NotClosing => r != '}',
            Accept::HashFunc => r == '#' && i < 3,
            Accept::PercentFunc => r == '%' && i < 3,
            Accept::DefaultFunc => (i == 1 && r == ':') || (i == 2 && matches!(r, '=' | '-' | '?' | '+')),
            Accept::ReplaceFunc => (i == 1 && r == '/') || (i == 2 && matches!(r, '/' | '#' | '%')),
            Accept::OneEqual => i == 1 && r == '=',
            Accept::OneColon => i == 1 && r == ':',
            Accept::RejectColonClose => r != ':' && r != '}',
            Accept::Slash => r == '/',
            Accept::NotSlash => r != '/',
            Accept::CasingFunc => (r == ',' || r == '^') && i < 3,
        }
    }
}

struct Scanner<'t> {
    src: &'t str,
    pos: usize,
    start: usize,
    width: usize,
    mode: u8,
    esc: u8,
    accept: Accept,
    /// The current token's text, escapes applied.
    value: String,
}

impl<'t> Scanner<'t> {
    fn read(&mut self) -> Option<char> {
        match self.src.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn unread(&mut self) {
        self.pos -= self.width;
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.read();
        self.unread();
        r
    }

    /// The character at `at`, for messages.
    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    fn scan(&mut self) -> Tok {
        self.start = self.pos;
        self.value.clear();
        let Some(r) = self.read() else {
            return Tok::Eof;
        };
        if self.scan_lbrack(r) {
            Tok::Lbrack
        } else if self.scan_rbrack(r) {
            Tok::Rbrack
        } else if self.scan_ident(r) {
            Tok::Ident
        } else {
            Tok::Illegal
        }
    }

    fn scan_lbrack(&mut self, r: char) -> bool {
        if self.mode & M_LBRACK == 0 {
            return false;
        }
        if r == '$' {
            if self.read() == Some('{') {
                return true;
            }
            self.unread();
        }
        false
    }

    fn scan_rbrack(&self, r: char) -> bool {
        self.mode & M_RBRACK != 0 && r == '}'
    }

    fn scan_escaped(&mut self, r: char) -> bool {
        if self.mode & M_ESCAPE == 0 {
            return false;
        }
        if r == '$' && self.esc & E_DOLLAR != 0 && self.peek() == Some('$') {
            return true;
        }
        r == '\\' && self.esc & E_BACKSLASH != 0 && matches!(self.peek(), Some('/' | '\\'))
    }

    /// Go's `skip()`: drop the escape character just read and take the (one-byte) character
    /// after it literally.
    fn skip(&mut self) {
        if let Some(c) = self.char_at(self.pos) {
            self.value.push(c);
            self.pos += c.len_utf8();
        }
    }

    fn scan_ident(&mut self, r: char) -> bool {
        if self.mode & M_IDENT == 0 {
            return false;
        }
        if self.scan_escaped(r) {
            self.skip();
        } else if self.accept.ok(r, self.value.len() + r.len_utf8()) {
            self.value.push(r);
        } else {
            return false;
        }
        while let Some(r) = self.read() {
            if self.scan_lbrack(r) {
                // back to the `$` ('$' and '{' are one byte each)
                self.pos -= 2;
                break;
            }
            if self.scan_escaped(r) {
                self.skip();
                continue;
            }
            if !self.accept.ok(r, self.value.len() + r.len_utf8()) {
                self.pos -= r.len_utf8();
                break;
            }
            self.value.push(r);
        }
        true
    }
}

pub(crate) struct Parser<'t> {
    s: Scanner<'t>,
    depth: usize,
}

fn show(c: Option<char>) -> String {
    match c {
        None => "the end of the text".to_string(),
        Some(c) if c.is_whitespace() => format!("whitespace ({c:?})"),
        Some(c) => format!("`{c}`"),
    }
}

impl<'t> Parser<'t> {
    pub(crate) fn new(src: &'t str) -> Self {
        Parser {
            s: Scanner {
                src,
                pos: 0,
                start: 0,
                width: 0,
                mode: 0,
                esc: E_ALL,
                accept: Accept::NotClosing,
                value: String::new(),
            },
            depth: 0,
        }
    }

    fn err(&self, start: usize, kind: SubstErrorKind, message: String) -> ParseError {
        ParseError { start, kind, message }
    }

    fn malformed(&self, start: usize, message: String) -> ParseError {
        self.err(start, SubstErrorKind::Malformed, message)
    }

    /// The message for running out of text inside `${`.
    fn unterminated(&self, start: usize) -> ParseError {
        self.malformed(
            start,
            "unterminated `${`: no closing `}` before the end of the text; add the `}`, or write `$${` for a literal `${`"
                .to_string(),
        )
    }

    /// Parse the `${...}` whose `$` is at `start`; the scanner stands after the `{`.
    pub(crate) fn parse_func_at(&mut self, start: usize) -> Result<Func, ParseError> {
        self.s.pos = start + 2;
        self.parse_func(start)
    }

    fn parse_func(&mut self, start: usize) -> Result<Func, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.malformed(
                start,
                format!(
                    "`${{...}}` nested more than {MAX_DEPTH} levels deep; gitops-lsp does not analyse deeper nesting"
                ),
            ));
        }
        self.depth += 1;
        let r = self.parse_func_inner(start);
        self.depth -= 1;
        r
    }

    fn parse_func_inner(&mut self, start: usize) -> Result<Func, ParseError> {
        self.s.esc = E_ALL;
        if self.s.peek() == Some('#') {
            return self.parse_len(start);
        }
        self.s.accept = Accept::Ident;
        self.s.mode = M_IDENT;
        if self.s.scan() != Tok::Ident {
            return Err(self.bad_name(start));
        }
        let param = std::mem::take(&mut self.s.value);
        let param_range = self.s.start..self.s.pos;
        let func = Func {
            range: start..start,
            param,
            param_range,
            op: String::new(),
            op_range: self.s.pos..self.s.pos,
            is_len: false,
            args: Vec::new(),
        };
        match self.s.peek() {
            Some(':') => return self.parse_default_or_substr(func),
            Some('=') => return self.parse_default(func),
            Some(',' | '^') => return self.parse_casing(func),
            Some('/') => return self.parse_replace(func),
            Some('#') => return self.parse_remove(func, Accept::HashFunc),
            Some('%') => return self.parse_remove(func, Accept::PercentFunc),
            _ => {}
        }
        self.s.accept = Accept::Ident;
        self.s.mode = M_RBRACK;
        let after = self.s.pos;
        if self.s.scan() == Tok::Rbrack {
            return Ok(self.finish(func));
        }
        Err(self.missing_brace(start, &func.param, after))
    }

    fn finish(&self, mut func: Func) -> Func {
        func.range = func.range.start..self.s.pos;
        func
    }

    /// Go's ErrParseVariableName: `${` not followed by a name.
    fn bad_name(&self, start: usize) -> ParseError {
        let c = self.s.char_at(start + 2);
        let msg = match c {
            None => return self.unterminated(start),
            Some('}') => "empty `${}`: put a variable name between the braces, e.g. `${cluster_name}`, or write `$${}` for a literal `${}`".to_string(),
            Some('!') => {
                return self.err(
                    start,
                    SubstErrorKind::Unsupported,
                    "indirect expansion `${!name}` is not supported by Flux: the build fails with \"unable to parse variable name\"".to_string(),
                )
            }
            Some(c) if c.is_whitespace() => "whitespace after `${`: write the variable name right after the brace, e.g. `${name}`; for a literal `${` write `$${`".to_string(),
            Some(c) => format!(
                "`${{` must be followed by a variable name (letters, digits, `_`), not `{c}`; for a literal `${{` write `$${{`"
            ),
        };
        self.malformed(start, msg)
    }

    /// Go's ErrMissingClosingBrace: a name followed by something that is no operator.
    fn missing_brace(&self, start: usize, name: &str, after: usize) -> ParseError {
        let c = self.s.char_at(after);
        let unsupported = |msg: String| self.err(start, SubstErrorKind::Unsupported, msg);
        match c {
            None => self.unterminated(start),
            Some('-') => unsupported(format!(
                "`${{{name}-default}}` is not supported by Flux: its parser stops after the name and the build fails with \"missing closing brace\"; write `${{{name}:-default}}` or `${{{name}:=default}}` (Flux uses the default when the variable is unset or empty)"
            )),
            Some('+') => unsupported(format!(
                "`${{{name}+alternate}}` is not supported by Flux: the build fails with \"missing closing brace\""
            )),
            Some('?') => unsupported(format!(
                "`${{{name}?message}}` is not supported by Flux: the build fails with \"missing closing brace\"; write `${{{name}}}` (strict substitution fails the build when it is unset)"
            )),
            Some('$') => self.malformed(
                start,
                format!("`${{` inside the variable name `{name}`: for a default write `${{{name}:=${{other}}}}`"),
            ),
            Some(c) => self.malformed(
                start,
                format!(
                    "{} after the variable name `{name}`: a name is letters, digits and `_`, and may only be followed by `}}` or an operator (`:=`, `:-`, `=`, `#`, `%`, `/`, `^`, `,`, `:`); Flux fails with \"missing closing brace\"",
                    show(Some(c))
                ),
            ),
        }
    }

    /// A generic bad-substitution error inside an operator, `what` naming the form.
    fn bad(&self, start: usize, what: &str) -> ParseError {
        let at = self.s.start;
        match self.s.char_at(at) {
            None => self.unterminated(start),
            c => self.malformed(
                start,
                format!("malformed {what}: unexpected {}; Flux fails with \"bad substitution\"", show(c)),
            ),
        }
    }

    /// `hint` follows the "expected `}`" part of the message.
    fn consume_rbrack(&mut self, start: usize, what: &str, hint: &str) -> Result<(), ParseError> {
        self.s.mode = M_RBRACK;
        if self.s.scan() == Tok::Rbrack {
            return Ok(());
        }
        let at = self.s.start;
        Err(match self.s.char_at(at) {
            None => self.unterminated(start),
            c => self.malformed(
                start,
                format!(
                    "malformed {what}: expected `}}`, found {}{hint}; Flux fails with \"bad substitution\"",
                    show(c)
                ),
            ),
        })
    }

    fn parse_param(&mut self, start: usize, accept: Accept, mode: u8, what: &str) -> Result<Node, ParseError> {
        self.s.accept = accept;
        self.s.mode = mode | M_LBRACK;
        match self.s.scan() {
            Tok::Lbrack => {
                let st = self.s.start;
                Ok(Node::Func(Box::new(self.parse_func(st)?)))
            }
            Tok::Ident | Tok::Rbrack => {
                Ok(Node::Text { value: std::mem::take(&mut self.s.value), range: self.s.start..self.s.pos })
            }
            Tok::Eof => Err(self.unterminated(start)),
            Tok::Illegal => {
                let c = self.s.char_at(self.s.start);
                Err(self.malformed(
                    start,
                    format!(
                        "malformed {what}: missing argument before {}; Flux fails with \"unable to parse substitution within function\"",
                        show(c)
                    ),
                ))
            }
        }
    }

    fn scan_op(&mut self, func: &mut Func, accept: Accept) -> bool {
        self.s.accept = accept;
        self.s.mode = M_IDENT;
        if self.s.scan() != Tok::Ident {
            return false;
        }
        func.op = std::mem::take(&mut self.s.value);
        func.op_range = self.s.start..self.s.pos;
        true
    }

    fn parse_default_or_substr(&mut self, func: Func) -> Result<Func, ParseError> {
        let start = func.range.start;
        let colon = self.s.pos;
        self.s.read();
        let r = self.s.peek();
        self.s.pos = colon;
        if let Some(c) = r.filter(|c| c.len_utf8() > 1) {
            // Go unreads by the width of the peeked rune instead of the ':', lands before
            // the colon and fails.
            return Err(self.malformed(
                start,
                format!(
                    "`{c}` right after `${{{}:` cannot be parsed by Flux (\"bad substitution\"): a substring offset is a number; for a default write `${{{}:=...}}`",
                    func.param, func.param
                ),
            ));
        }
        match r {
            Some('=' | '-' | '?' | '+') => self.parse_default(func),
            _ => self.parse_substr(func),
        }
    }

    fn parse_substr(&mut self, mut func: Func) -> Result<Func, ParseError> {
        let start = func.range.start;
        const WHAT: &str = "substring `${name:offset}` / `${name:offset:length}`";
        if !self.scan_op(&mut func, Accept::OneColon) {
            return Err(self.bad(start, WHAT));
        }
        func.args.push(self.parse_param(start, Accept::RejectColonClose, M_IDENT, WHAT)?);
        self.s.accept = Accept::Colon;
        self.s.mode = M_IDENT | M_RBRACK;
        match self.s.scan() {
            Tok::Rbrack => return Ok(self.finish(func)),
            Tok::Ident => {}
            _ => return Err(self.bad(start, WHAT)),
        }
        func.args.push(self.parse_param(start, Accept::NotClosing, M_IDENT, WHAT)?);
        self.consume_rbrack(start, WHAT, ARG_HINT)?;
        Ok(self.finish(func))
    }

    fn parse_remove(&mut self, mut func: Func, accept: Accept) -> Result<Func, ParseError> {
        let start = func.range.start;
        let what = if matches!(accept, Accept::HashFunc) {
            "prefix removal `${name#pattern}` / `${name##pattern}`"
        } else {
            "suffix removal `${name%pattern}` / `${name%%pattern}`"
        };
        if !self.scan_op(&mut func, accept) {
            return Err(self.bad(start, what));
        }
        func.args.push(self.parse_param(start, Accept::NotClosing, M_IDENT, what)?);
        self.consume_rbrack(start, what, ARG_HINT)?;
        Ok(self.finish(func))
    }

    fn parse_replace(&mut self, mut func: Func) -> Result<Func, ParseError> {
        let start = func.range.start;
        const WHAT: &str = "replacement `${name/pattern/replacement}`";
        if !self.scan_op(&mut func, Accept::ReplaceFunc) {
            return Err(self.bad(start, WHAT));
        }
        if self.s.peek() == Some('/') {
            // Flux (not drone): an empty pattern, as in `${v/#/prefix-}`.
            let p = self.s.pos;
            func.args.push(Node::Text { value: String::new(), range: p..p });
        } else {
            func.args.push(self.parse_param(start, Accept::NotSlash, M_IDENT | M_ESCAPE, WHAT)?);
        }
        self.s.accept = Accept::Slash;
        self.s.mode = M_IDENT;
        if self.s.scan() != Tok::Ident {
            let at = self.s.start;
            return Err(match self.s.char_at(at) {
                None => self.malformed(
                    start,
                    "malformed replacement: the pattern needs a closing `/` (`${name/pattern/replacement}`; write `\\/` for a literal `/` in the pattern), and the `${` a closing `}`".to_string(),
                ),
                c => self.malformed(
                    start,
                    format!("malformed {WHAT}: expected `/` after the pattern, found {}; Flux fails with \"bad substitution\"", show(c)),
                ),
            });
        }
        if self.s.peek() == Some('}') {
            self.consume_rbrack(start, WHAT, "")?;
            return Ok(self.finish(func));
        }
        func.args.push(self.parse_param(start, Accept::NotClosing, M_IDENT | M_ESCAPE, WHAT)?);
        self.consume_rbrack(start, WHAT, ARG_HINT)?;
        Ok(self.finish(func))
    }

    fn parse_default(&mut self, mut func: Func) -> Result<Func, ParseError> {
        let start = func.range.start;
        const WHAT: &str = "default `${name:=default}`";
        let accept = if self.s.peek() == Some('=') { Accept::OneEqual } else { Accept::DefaultFunc };
        if !self.scan_op(&mut func, accept) {
            return Err(self.bad(start, WHAT));
        }
        loop {
            if self.s.peek() == Some('}') {
                self.consume_rbrack(start, WHAT, "")?;
                return Ok(self.finish(func));
            }
            func.args.push(self.parse_param(start, Accept::NotClosing, M_IDENT, WHAT)?);
        }
    }

    fn parse_casing(&mut self, mut func: Func) -> Result<Func, ParseError> {
        let start = func.range.start;
        const WHAT: &str = "case conversion (`${name^}`, `${name^^}`, `${name,}`, `${name,,}`)";
        if !self.scan_op(&mut func, Accept::CasingFunc) {
            return Err(self.bad(start, WHAT));
        }
        self.consume_rbrack(start, WHAT, " (case conversion takes no argument)")?;
        Ok(self.finish(func))
    }

    fn parse_len(&mut self, start: usize) -> Result<Func, ParseError> {
        const WHAT: &str = "length `${#name}`";
        let mut func = Func {
            range: start..start,
            param: String::new(),
            param_range: self.s.pos..self.s.pos,
            op: String::new(),
            op_range: self.s.pos..self.s.pos,
            is_len: true,
            args: Vec::new(),
        };
        if !self.scan_op(&mut func, Accept::OneHash) {
            return Err(self.bad(start, WHAT));
        }
        self.s.accept = Accept::Ident;
        self.s.mode = M_IDENT;
        if self.s.scan() != Tok::Ident {
            let c = self.s.char_at(self.s.start);
            return Err(match c {
                None => self.unterminated(start),
                c => self.malformed(
                    start,
                    format!("malformed {WHAT}: `${{#` must be followed by a variable name, found {}", show(c)),
                ),
            });
        }
        func.param = std::mem::take(&mut self.s.value);
        func.param_range = self.s.start..self.s.pos;
        self.consume_rbrack(start, WHAT, " (nothing may follow the name in `${#name}`)")?;
        Ok(self.finish(func))
    }
}
