//! Scalar text -> value: quotes and escapes, line folding, block scalars (`|`, `>`, with
//! chomping and indentation indicators), and the YAML 1.1 type of a plain scalar as
//! Kubernetes' YAML reader (go-yaml v2) resolves it.

use super::{ScalarStyle, ScalarType};

pub(super) fn line_indent_at(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..].bytes().take_while(|&b| b == b' ').count()
}

/// Multi-line plain and quoted scalars: line breaks fold to spaces, empty lines to '\n'.
pub(super) fn fold_lines(raw: &str) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    let mut out = String::new();
    let mut pending_newlines = 0;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if i == 0 {
            out.push_str(line);
            continue;
        }
        if line.is_empty() {
            pending_newlines += 1;
            continue;
        }
        if pending_newlines > 0 {
            out.extend(std::iter::repeat_n('\n', pending_newlines));
            pending_newlines = 0;
        } else {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

pub(super) fn unquote_single(raw: &str) -> String {
    let inner = raw.strip_prefix('\'').unwrap_or(raw);
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    inner.replace("''", "'")
}

pub(super) fn unquote_double(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let inner = if inner.contains('\n') { fold_lines(inner) } else { inner.to_string() };
    if !inner.contains('\\') {
        return inner;
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'n' => out.push('\n'),
            't' | '\t' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            ' ' => out.push(' '),
            '/' => out.push('/'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'N' => out.push('\u{85}'),
            '_' => out.push('\u{a0}'),
            'L' => out.push('\u{2028}'),
            'P' => out.push('\u{2029}'),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            '\n' => {}
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// Decodes a `|` or `>` block scalar (header line included in `raw`); `parent_indent` is the
/// indentation of the line the scalar starts on.
pub(super) fn decode_block(raw: &str, parent_indent: usize) -> (String, ScalarStyle) {
    let (header, body) = match raw.find('\n') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (raw, ""),
    };
    let header = header.split('#').next().unwrap_or("").trim();
    let style = if header.starts_with('>') { ScalarStyle::Folded } else { ScalarStyle::Literal };
    let chomp = if header.contains('-') {
        '-'
    } else if header.contains('+') {
        '+'
    } else {
        ' '
    };
    let explicit = header.chars().find(|c| c.is_ascii_digit()).and_then(|c| c.to_digit(10)).map(|d| d as usize);
    let lines: Vec<&str> = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let indent = explicit.map(|d| parent_indent + d).unwrap_or_else(|| {
        lines.iter().find(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start_matches(' ').len()).unwrap_or(0)
    });
    // Remove up to `indent` leading spaces (a line indented less than the block, which
    // tree-sitter can leave inside the scalar's range, loses only its spaces: cutting it at
    // `indent` bytes could split a character).
    let mut content: Vec<&str> = lines
        .iter()
        .map(|l| {
            let spaces = l.len() - l.trim_start_matches(' ').len();
            &l[spaces.min(indent)..]
        })
        .collect();
    // tree-sitter's range may stop before the final newline; trailing empty lines are chomped below.
    while content.last().is_some_and(|l| l.is_empty()) {
        content.pop();
    }
    let mut value = if style == ScalarStyle::Literal {
        content.join("\n")
    } else {
        let mut s = String::new();
        let mut prev_more_indented = false;
        for (i, line) in content.iter().enumerate() {
            let more = line.starts_with(' ') || line.starts_with('\t');
            if i > 0 {
                if line.is_empty() || more || prev_more_indented {
                    s.push('\n');
                } else if !s.ends_with('\n') {
                    s.push(' ');
                }
            }
            s.push_str(line);
            prev_more_indented = more;
        }
        s
    };
    match chomp {
        '-' => {}
        _ => {
            if !value.is_empty() {
                value.push('\n');
            }
        }
    }
    (value, style)
}

/// YAML 1.1 resolution of a plain scalar, as go-yaml v2 (and so Kubernetes) does it.
pub fn resolve_plain(v: &str) -> ScalarType {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True" | "TRUE" | "false"
        | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => return ScalarType::Bool,
        ".inf" | "-.inf" | "+.inf" | ".Inf" | "-.Inf" | "+.Inf" | ".INF" | "-.INF" | "+.INF" | ".nan" | ".NaN"
        | ".NAN" => return ScalarType::Float,
        _ => {}
    }
    let b = v.as_bytes();
    let first = b[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return ScalarType::Str;
    }
    let plain: String = v.chars().filter(|&c| c != '_').collect();
    let digits = plain.trim_start_matches(['-', '+']);
    let is_int = if let Some(h) = digits.strip_prefix("0x") {
        !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit())
    } else if let Some(o) = digits.strip_prefix("0o") {
        !o.is_empty() && o.bytes().all(|c| (b'0'..=b'7').contains(&c))
    } else if let Some(bn) = digits.strip_prefix("0b") {
        !bn.is_empty() && bn.bytes().all(|c| c == b'0' || c == b'1')
    } else {
        !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
    };
    if is_int {
        return ScalarType::Int;
    }
    // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exp) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let mantissa_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        int.bytes().all(|c| c.is_ascii_digit())
            && frac.is_none_or(|f| f.bytes().all(|c| c.is_ascii_digit()))
            && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.trim_start_matches(['-', '+']);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    if mantissa_ok && exp_ok && (mantissa.contains('.') || exp.is_some()) {
        return ScalarType::Float;
    }
    ScalarType::Str
}
