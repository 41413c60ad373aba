//! The string functions Flux applies to a variable's value, ported from
//! fluxcd/pkg `envsubst/funcs.go` and the glob matcher `envsubst/path/match.go`
//! (both forked from github.com/drone/envsubst).
//!
//! Go strings are byte strings, and these functions slice them by byte (`${v:1}` can cut a
//! UTF-8 sequence in two), so everything here works on `&[u8]`. Where Go decodes runes
//! (`[]rune(s)`, `utf8.DecodeRuneInString`, `strings.Map`), an invalid byte decodes to
//! U+FFFD with width 1, as in Go.

/// U+FFFD, what Go's decoder yields for an invalid byte.
const REPLACEMENT: char = '\u{FFFD}';

/// Go's `utf8.DecodeRune`: the first rune of `b` and its width; `(U+FFFD, 1)` for an invalid
/// or truncated sequence. `b` must not be empty.
pub(crate) fn decode_rune(b: &[u8]) -> (char, usize) {
    let first = b[0];
    if first < 0x80 {
        return (first as char, 1);
    }
    let n = match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (REPLACEMENT, 1),
    };
    if b.len() < n {
        return (REPLACEMENT, 1);
    }
    match std::str::from_utf8(&b[..n]) {
        Ok(s) => s.chars().next().map_or((REPLACEMENT, 1), |c| (c, n)),
        Err(_) => (REPLACEMENT, 1),
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Go's `unicode.ToUpper` (simple case mapping). Rust only exposes the full mapping; where
/// that is one character it is the simple mapping, and where it is several (`ß` → `SS`) Go
/// keeps the character. Exotic letters whose simple mapping differs from both (a few Greek
/// letters with iota subscript) are the only known mismatch.
fn go_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower`; see [`go_upper`]. `İ` (U+0130) lowers to `i` in Go.
fn go_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == '\u{130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn map_runes(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let (c, n) = decode_rune(&s[i..]);
        push_char(&mut out, f(c));
        i += n;
    }
    out
}

/// `${#v}`: the length in bytes (Go `len`), in decimal.
pub(crate) fn to_len(s: &[u8]) -> Vec<u8> {
    s.len().to_string().into_bytes()
}

/// `${v,,}`: Go `strings.ToLower`.
pub(crate) fn to_lower(s: &[u8]) -> Vec<u8> {
    map_runes(s, go_lower)
}

/// `${v^^}`: Go `strings.ToUpper`.
pub(crate) fn to_upper(s: &[u8]) -> Vec<u8> {
    map_runes(s, go_upper)
}

fn map_first(s: &[u8], f: fn(char) -> char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let (c, n) = decode_rune(s);
    let mut out = Vec::with_capacity(s.len() + 3);
    push_char(&mut out, f(c));
    out.extend_from_slice(&s[n..]);
    out
}

/// `${v,}`: the first rune lowered.
pub(crate) fn to_lower_first(s: &[u8]) -> Vec<u8> {
    map_first(s, go_lower)
}

/// `${v^}`: the first rune uppered.
pub(crate) fn to_upper_first(s: &[u8]) -> Vec<u8> {
    map_first(s, go_upper)
}

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, ASCII decimal digits, no
/// spaces or underscores, in `i64` range. Rust's `i64::from_str` accepts exactly that.
fn atoi(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse::<i64>().ok()
}

/// `${v:pos}` and `${v:pos:len}` (Flux's `toSubstr`, byte offsets). A position or length
/// that is not an integer leaves the value unchanged; a negative position counts from the
/// end; a negative length (Flux only; drone panics) stops that many bytes before the end.
/// Where Go's `pos+length` would overflow (and Go would panic) the rest of the string is
/// returned.
pub(crate) fn to_substr(s: &[u8], pos_arg: &[u8], len_arg: Option<&[u8]>) -> Vec<u8> {
    let n = s.len() as i64;
    let Some(mut pos) = atoi(pos_arg) else {
        return s.to_vec();
    };
    if pos < 0 {
        pos = (n + pos).max(0);
    }
    let Some(len_arg) = len_arg else {
        return if pos < n { s[pos as usize..].to_vec() } else { Vec::new() };
    };
    let Some(length) = atoi(len_arg) else {
        return s.to_vec();
    };
    if length < 0 {
        let end = n + length;
        if end < pos {
            return Vec::new();
        }
        return s[pos as usize..end as usize].to_vec();
    }
    match pos.checked_add(length) {
        Some(end) if end < n => s[pos as usize..end as usize].to_vec(),
        _ if pos < n => s[pos as usize..].to_vec(),
        _ => Vec::new(),
    }
}

/// Go's `utf8.RuneCount`.
fn rune_count(s: &[u8]) -> usize {
    let mut i = 0;
    let mut count = 0;
    while i < s.len() {
        i += decode_rune(&s[i..]).1;
        count += 1;
    }
    count
}

/// Go's `strings.Count`.
fn count(s: &[u8], old: &[u8]) -> usize {
    if old.is_empty() {
        return rune_count(s) + 1;
    }
    memchr::memmem::find_iter(s, old).count()
}

/// Go's `strings.Replace(s, old, new, n)`; `limit` None is `n = -1` (all).
fn go_replace(s: &[u8], old: &[u8], new: &[u8], limit: Option<usize>) -> Vec<u8> {
    let m = count(s, old);
    if m == 0 || limit == Some(0) {
        return s.to_vec();
    }
    let n = limit.map_or(m, |l| l.min(m));
    let mut out = Vec::with_capacity(s.len() + n * new.len());
    let mut start = 0;
    for i in 0..n {
        let mut j = start;
        if old.is_empty() {
            if i > 0 {
                j += decode_rune(&s[start..]).1;
            }
        } else {
            j += memchr::memmem::find(&s[start..], old).unwrap_or(0);
        }
        out.extend_from_slice(&s[start..j]);
        out.extend_from_slice(new);
        start = j + old.len();
    }
    out.extend_from_slice(&s[start..]);
    out
}

/// `${v/p/r}` (first) and `${v//p/r}` (all): plain substring replacement, not a glob. With
/// no replacement (`${v/p/}`) the matches are deleted.
pub(crate) fn replace(s: &[u8], pattern: &[u8], replacement: Option<&[u8]>, all: bool) -> Vec<u8> {
    go_replace(s, pattern, replacement.unwrap_or(b""), if all { None } else { Some(1) })
}

/// `${v/#p/r}`: replace a literal prefix. With no replacement (`${v/#p/}`) Flux leaves the
/// value unchanged (its `replacePrefix` wants exactly two arguments).
pub(crate) fn replace_prefix(s: &[u8], pattern: &[u8], replacement: Option<&[u8]>) -> Vec<u8> {
    match replacement {
        Some(r) if s.starts_with(pattern) => go_replace(s, pattern, r, Some(1)),
        _ => s.to_vec(),
    }
}

/// `${v/%p/r}`: replace a literal suffix; unchanged without a replacement, as above.
pub(crate) fn replace_suffix(s: &[u8], pattern: &[u8], replacement: Option<&[u8]>) -> Vec<u8> {
    match replacement {
        Some(r) if s.ends_with(pattern) => {
            let mut out = s[..s.len() - pattern.len()].to_vec();
            out.extend_from_slice(r);
            out
        }
        _ => s.to_vec(),
    }
}

/// Go's `reverse`: `[]rune(s)` reversed (invalid bytes become U+FFFD).
fn reverse(s: &[u8]) -> Vec<u8> {
    let mut runes = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let (c, n) = decode_rune(&s[i..]);
        runes.push(c);
        i += n;
    }
    let mut out = Vec::with_capacity(s.len());
    for &c in runes.iter().rev() {
        push_char(&mut out, c);
    }
    out
}

/// Values longer than this are not trimmed (the result is reported unknown): Flux's trim
/// tries the glob against every prefix, which is quadratic or worse.
pub(crate) const TRIM_LIMIT: usize = 16 * 1024;

fn trim_shortest(s: &[u8], pattern: &[u8]) -> Vec<u8> {
    let mut shortest = None;
    for i in 0..s.len() {
        let candidate = &s[..s.len() - i];
        match glob_match(pattern, candidate) {
            Err(BadPattern) => return s.to_vec(),
            Ok(true) => shortest = Some(candidate.len()),
            Ok(false) => {}
        }
    }
    match shortest {
        Some(l) => s[l..].to_vec(),
        None => s.to_vec(),
    }
}

fn trim_longest(s: &[u8], pattern: &[u8]) -> Vec<u8> {
    for i in 0..s.len() {
        let candidate = &s[..s.len() - i];
        match glob_match(pattern, candidate) {
            Err(BadPattern) => return s.to_vec(),
            Ok(true) => return s[candidate.len()..].to_vec(),
            Ok(false) => {}
        }
    }
    s.to_vec()
}

/// `${v#p}` / `${v##p}`: remove the shortest / longest prefix matching the glob `p`. The
/// empty prefix is never tried, and a malformed glob leaves the value unchanged.
pub(crate) fn trim_prefix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    if longest {
        trim_longest(s, pattern)
    } else {
        trim_shortest(s, pattern)
    }
}

/// `${v%p}` / `${v%%p}`: as Flux does it, the value and the glob are both reversed rune by
/// rune and the prefix is trimmed (so `[a-z]` in a suffix glob reads `]z-a[`).
pub(crate) fn trim_suffix(s: &[u8], pattern: &[u8], longest: bool) -> Vec<u8> {
    let r = reverse(s);
    let rp = reverse(pattern);
    reverse(&trim_prefix(&r, &rp, longest))
}

/// A malformed glob (Go's `path.ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// The glob matcher of drone's `path.Match` fork: like Go's `path.Match` but `*` and `?`
/// also match `/`, a trailing `*` matches everything, and a non-final chunk after `*` is
/// matched at its first possible place (no full backtracking). Errors are only reported for
/// the parts of the pattern actually reached.
pub(crate) fn glob_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(true);
        }
        let m = match_chunk(chunk, name);
        if let Ok(Some(t)) = m {
            if t.is_empty() || !pattern.is_empty() {
                name = t;
                continue;
            }
        }
        m?;
        if star {
            for i in 0..name.len() {
                match match_chunk(chunk, &name[i + 1..]) {
                    Ok(Some(t)) => {
                        if pattern.is_empty() && !t.is_empty() {
                            continue;
                        }
                        name = t;
                        continue 'pattern;
                    }
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Whether `chunk` (no `*`) matches the beginning of `s`: `Ok(Some(rest))` if so.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, BadPattern> {
    while !chunk.is_empty() {
        if s.is_empty() {
            return Ok(None);
        }
        match chunk[0] {
            b'[' => {
                let (r, n) = decode_rune(s);
                s = &s[n..];
                chunk = &chunk[1..];
                let mut not_negated = true;
                if let [b'^', rest @ ..] = chunk {
                    not_negated = false;
                    chunk = rest;
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if nrange > 0 {
                        if let [b']', rest @ ..] = chunk {
                            chunk = rest;
                            break;
                        }
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched != not_negated {
                    return Ok(None);
                }
            }
            b'?' => {
                s = &s[decode_rune(s).1..];
                chunk = &chunk[1..];
            }
            c => {
                let c = if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&c) => c,
                        None => return Err(BadPattern),
                    }
                } else {
                    c
                };
                if c != s[0] {
                    return Ok(None);
                }
                s = &s[1..];
                chunk = &chunk[1..];
            }
        }
    }
    Ok(Some(s))
}

/// A possibly escaped character of a `[...]` class; the rest is never empty on success.
fn get_esc(mut chunk: &[u8]) -> Result<(char, &[u8]), BadPattern> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let (r, n) = decode_rune(chunk);
    let bad = r == REPLACEMENT && n == 1;
    let rest = &chunk[n..];
    if bad || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> Result<bool, BadPattern> {
        glob_match(p.as_bytes(), n.as_bytes())
    }

    #[test]
    fn glob_star_matches_slash_and_trailing_star_matches_all() {
        assert_eq!(m("*", "a/b"), Ok(true));
        assert_eq!(m("a*", "a/b/c"), Ok(true));
        assert_eq!(m("*/", "path/"), Ok(true));
        assert_eq!(m("?", "/"), Ok(true));
        assert_eq!(m("a?c", "abc"), Ok(true));
        assert_eq!(m("a?c", "abbc"), Ok(false));
    }

    #[test]
    fn glob_classes_and_escapes() {
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]x", "bx"), Ok(false));
        assert_eq!(m("[^a-c]x", "dx"), Ok(true));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("[", "a"), Err(BadPattern));
        assert_eq!(m("a\\", "a"), Ok(false)); // the name runs out before the bad escape
        assert_eq!(m("\\", "a"), Err(BadPattern));
    }

    #[test]
    fn go_replace_with_empty_old_inserts_between_runes() {
        assert_eq!(go_replace(b"ab", b"", b"-", None), b"-a-b-");
        assert_eq!(go_replace("é".as_bytes(), b"", b"-", None), "-é-".as_bytes());
        assert_eq!(go_replace(b"ab", b"", b"-", Some(1)), b"-ab");
        assert_eq!(go_replace(b"aaa", b"a", b"b", Some(1)), b"baa");
    }

    #[test]
    fn substr_is_bytewise_and_clamped() {
        assert_eq!(to_substr(b"abcdef", b"2", None), b"cdef");
        assert_eq!(to_substr(b"abcdef", b"-2", None), b"ef");
        assert_eq!(to_substr(b"abcdef", b"-20", None), b"abcdef");
        assert_eq!(to_substr(b"abcdef", b"9", None), b"");
        assert_eq!(to_substr(b"abcdef", b"1", Some(b"2")), b"bc");
        assert_eq!(to_substr(b"abcdef", b"1", Some(b"-1")), b"bcde");
        assert_eq!(to_substr(b"abcdef", b"4", Some(b"-3")), b"");
        assert_eq!(to_substr(b"abcdef", b"x", None), b"abcdef");
        assert_eq!(to_substr(b"abcdef", b" 1", None), b"abcdef");
        assert_eq!(to_substr(b"abcdef", b"+1", None), b"bcdef");
        assert_eq!(to_substr(b"abc", b"1", Some(b"9223372036854775807")), b"bc");
        assert_eq!(to_substr("é".as_bytes(), b"1", None), &[0xa9]);
    }

    #[test]
    fn trims_follow_flux() {
        assert_eq!(trim_prefix(b"bash.string.txt", b"*.", false), b"string.txt");
        assert_eq!(trim_prefix(b"bash.string.txt", b"*.", true), b"txt");
        assert_eq!(trim_suffix(b"bash.string.txt", b".*", false), b"bash.string");
        assert_eq!(trim_suffix(b"bash.string.txt", b".*", true), b"bash");
        assert_eq!(trim_prefix(b"abc", b"[", false), b"abc");
        assert_eq!(trim_prefix(b"abc", b"", false), b"abc");
    }

    #[test]
    fn case_mapping_is_go_simple_mapping() {
        assert_eq!(to_upper("straße".as_bytes()), "STRAßE".as_bytes());
        assert_eq!(to_lower("İ".as_bytes()), b"i");
        assert_eq!(to_upper_first("élan".as_bytes()), "Élan".as_bytes());
        assert_eq!(to_lower_first(b""), b"");
        assert_eq!(to_upper(&[0xff, b'a']), "\u{FFFD}A".as_bytes());
    }
}
