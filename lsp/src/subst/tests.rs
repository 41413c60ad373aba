use super::*;

/// Evaluate with `vars` set, `secret` names unknown, everything else unset.
fn ev(text: &str, vars: &[(&str, &str)], secret: &[&str]) -> Evaluated {
    let f = |name: &str| {
        if let Some((_, v)) = vars.iter().find(|(n, _)| *n == name) {
            Lookup::Set(v)
        } else if secret.contains(&name) {
            Lookup::Unknown
        } else {
            Lookup::Unset
        }
    };
    eval(text, &f)
}

fn out(text: &str, vars: &[(&str, &str)]) -> String {
    let e = ev(text, vars, &[]);
    assert!(e.errors.is_empty(), "{text}: {:?}", e.errors);
    e.text.expect("text")
}

fn undef(text: &str, vars: &[(&str, &str)]) -> Vec<(String, Range<usize>)> {
    ev(text, vars, &[]).undefined
}

fn one_error(text: &str) -> SubstError {
    let s = scan(text);
    assert_eq!(s.errors.len(), 1, "{text}: {:?}", s.errors);
    s.errors[0].clone()
}

// ---- plain and ranges ----

#[test]
fn plain_expr_ranges() {
    let s = scan("a ${name} b");
    assert!(s.errors.is_empty());
    assert_eq!(s.exprs.len(), 1);
    let e = &s.exprs[0];
    assert_eq!(e.range, 2..9);
    assert_eq!(e.name, "name");
    assert_eq!(e.name_range, 4..8);
    assert_eq!(e.op, Op::Plain);
    assert!(e.nested.is_empty());
}

#[test]
fn plain_substitutes_value() {
    assert_eq!(out("a-${x}-b", &[("x", "1")]), "a-1-b");
    assert_eq!(out("${x}${y}", &[("x", "1"), ("y", "2")]), "12");
}

#[test]
fn multibyte_text_ranges_are_byte_offsets() {
    let text = "héllo ${név} ✓ ${b}";
    let s = scan(text);
    assert!(s.errors.iter().all(|e| !e.fatal));
    assert_eq!(&text[s.exprs[0].range.clone()], "${név}");
    assert_eq!(&text[s.exprs[0].name_range.clone()], "név");
    assert_eq!(&text[s.exprs[1].range.clone()], "${b}");
    assert_eq!(out(text, &[("b", "ü")]), "héllo  ✓ ü");
}

#[test]
fn text_without_dollar_is_returned_as_is() {
    assert!(scan("plain text {}").is_empty());
    let e = ev("plain text", &[], &[]);
    assert_eq!(e.text.as_deref(), Some("plain text"));
    assert!(e.undefined.is_empty());
}

// ---- `$name` and escapes ----

#[test]
fn dollar_name_without_braces_is_left_alone() {
    assert!(scan("$name and $x").exprs.is_empty());
    assert_eq!(out("$name $", &[("name", "v")]), "$name $");
}

#[test]
fn double_dollar_brace_is_an_escape_not_an_expr() {
    let s = scan("a $${name} b");
    assert!(s.exprs.is_empty());
    assert!(s.errors.is_empty());
    assert_eq!(s.escapes, vec![2..4]);
    assert_eq!(out("a $${name} b", &[("name", "v")]), "a ${name} b");
}

#[test]
fn double_dollar_is_one_dollar_anywhere() {
    assert_eq!(out("$$x $$ $$$", &[]), "$x $ $$");
    assert_eq!(out("$$${x}", &[("x", "v")]), "$v");
    assert_eq!(out("$${x:=${y}}", &[("y", "Y")]), "${x:=Y}");
}

#[test]
fn backslashes_outside_expressions_are_literal() {
    assert_eq!(out(r"\\a\/ ${x}", &[("x", "v")]), r"\\a\/ v");
}

// ---- defaults ----

#[test]
fn default_colon_equals_used_when_unset() {
    assert_eq!(out("${v:=d}", &[]), "d");
    assert!(undef("${v:=d}", &[]).is_empty());
}

#[test]
fn default_colon_equals_used_when_empty() {
    assert_eq!(out("${v:=d}", &[("v", "")]), "d");
    assert_eq!(out("${v:-d}", &[("v", "")]), "d");
}

#[test]
fn default_colon_minus_not_used_when_set() {
    assert_eq!(out("${v:-d}", &[("v", "x")]), "x");
}

#[test]
fn default_equals_used_when_unset_and_also_when_empty_in_flux() {
    assert_eq!(out("${v=d}", &[]), "d");
    assert_eq!(out("${v=d}", &[("v", "")]), "d");
    assert_eq!(out("${v=d}", &[("v", "x")]), "x");
    let s = scan("${v=d}");
    assert_eq!(s.exprs[0].op, Op::DefaultIfUnset("d".into()));
}

#[test]
fn default_op_variants_and_raw_text() {
    let s = scan("${a:=x${b}y}${c:-}");
    assert_eq!(s.exprs[0].op, Op::DefaultIfUnsetOrEmpty("x${b}y".into()));
    assert_eq!(s.exprs[0].op_range, 3..5);
    assert_eq!(s.exprs[0].nested.len(), 1);
    assert_eq!(s.exprs[0].nested[0].range, 6..10);
    assert_eq!(s.exprs[0].nested[0].name_range, 8..9);
    assert_eq!(s.exprs[1].op, Op::DefaultIfUnsetOrEmpty(String::new()));
    assert!(s.exprs[0].op.has_default());
}

#[test]
fn default_nested_and_literal_text() {
    assert_eq!(out("${A:=${B}}", &[("B", "b")]), "b");
    assert_eq!(out("${A:=pre-${B}-post}", &[("B", "b")]), "pre-b-post");
    assert_eq!(out("${A:=${B:=${C}}}", &[("C", "c")]), "c");
    assert_eq!(out("${A:=x}", &[("A", "a")]), "a");
}

#[test]
fn default_empty_gives_empty() {
    assert_eq!(out("[${v:=}]", &[]), "[]");
}

#[test]
fn default_stops_at_first_closing_brace() {
    // Flux: the default is `{"a":1` and the `}` after it is text.
    assert_eq!(out(r#"${v:={"a":1}}"#, &[]), r#"{"a":1}"#);
}

#[test]
fn default_double_dollar_is_not_an_escape_inside_default() {
    assert_eq!(out("${A:=$$}", &[]), "$$");
}

// ---- strict / undefined ----

#[test]
fn undefined_plain_unset_reported_with_range() {
    assert_eq!(undef("x ${v} y", &[]), vec![("v".to_string(), 2..6)]);
    assert_eq!(ev("x ${v} y", &[], &[]).text.as_deref(), Some("x  y"));
}

#[test]
fn undefined_plain_empty_value_is_reported() {
    assert_eq!(undef("${v}", &[("v", "")]), vec![("v".to_string(), 0..4)]);
}

#[test]
fn undefined_not_reported_with_default() {
    assert!(undef("${v:=d}${w=}", &[]).is_empty());
    assert!(undef("${v:-d}", &[("v", "")]).is_empty());
}

#[test]
fn undefined_nested_in_used_default_is_reported() {
    assert_eq!(undef("${A:=${B}}", &[]), vec![("B".to_string(), 5..9)]);
    assert_eq!(undef("${A:=${B}}", &[("B", "")]), vec![("B".to_string(), 5..9)]);
}

#[test]
fn undefined_nested_unset_in_unused_default_is_reported_flux_evaluates_it() {
    // Flux evaluates arguments before the operator: strict mode fails on B.
    assert_eq!(undef("${A:=${B}}", &[("A", "a")]), vec![("B".to_string(), 5..9)]);
    // ...but an empty B never reaches the result.
    assert!(undef("${A:=${B}}", &[("A", "a"), ("B", "")]).is_empty());
}

#[test]
fn undefined_transform_of_unset_is_reported_but_not_of_empty() {
    for t in ["${#v}", "${v^^}", "${v:1}", "${v/a/b}", "${v#a}", "${v%%a}"] {
        assert_eq!(undef(t, &[]).len(), 1, "{t}");
        assert!(undef(t, &[("v", "")]).is_empty(), "{t}");
    }
}

#[test]
fn undefined_in_transform_argument() {
    assert_eq!(undef("${v:${off}}", &[("v", "abc")]), vec![("off".to_string(), 4..10)]);
    assert!(undef("${v:${off}}", &[("v", "abc"), ("off", "")]).is_empty());
}

#[test]
fn undefined_in_text_order() {
    let u = undef("${b} ${a:=${c}} ${d}", &[]);
    let names: Vec<_> = u.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["b", "c", "d"]);
}

// ---- Unknown ----

#[test]
fn unknown_value_gives_no_text_but_is_not_undefined() {
    let e = ev("x ${s} y", &[], &["s"]);
    assert_eq!(e.text, None);
    assert!(e.undefined.is_empty());
}

#[test]
fn unknown_in_unused_default_keeps_text() {
    let e = ev("${A:=${S}}", &[("A", "a")], &["S"]);
    assert_eq!(e.text.as_deref(), Some("a"));
    let e = ev("${A:=${S}}", &[], &["S"]);
    assert_eq!(e.text, None);
    let e = ev("${S:=d}", &[], &["S"]);
    assert_eq!(e.text, None);
    assert!(e.undefined.is_empty());
}

#[test]
fn unknown_default_does_not_flag_empty_nested() {
    let e = ev("${S:=${B}}", &[("B", "")], &["S"]);
    assert!(e.undefined.is_empty());
}

// ---- string functions ----

#[test]
fn len_counts_bytes() {
    assert_eq!(out("${#v}", &[("v", "abc")]), "3");
    assert_eq!(out("${#v}", &[("v", "é")]), "2");
    let s = scan("${#v}");
    assert_eq!(s.exprs[0].op, Op::Len);
    assert_eq!(s.exprs[0].name_range, 3..4);
}

#[test]
fn substr_offset_and_length() {
    let v = [("p", "/home/bozo/ideas/thoughts.for.today")];
    assert_eq!(out("${p:11}", &v), "ideas/thoughts.for.today");
    assert_eq!(out("${p:11:5}", &v), "ideas");
    assert_eq!(out("${p:-5}", &v), "/home/bozo/ideas/thoughts.for.today"); // a default!
    assert_eq!(out("${v:1:-1}", &[("v", "abcd")]), "bc");
    assert_eq!(out("${v:${o}:${l}}", &[("v", "abcd"), ("o", "1"), ("l", "2")]), "bc");
    let s = scan("${v:1:2}");
    assert_eq!(s.exprs[0].op, Op::Substr { offset: "1".into(), length: Some("2".into()) });
}

#[test]
fn substr_non_integer_leaves_value_and_warns() {
    assert_eq!(out("${v:x}", &[("v", "abc")]), "abc");
    let e = one_error("${v: -1}");
    assert!(!e.fatal);
    assert_eq!(e.kind, SubstErrorKind::Malformed);
    assert_eq!(e.range, 4..7);
}

#[test]
fn substr_non_ascii_after_colon_is_fatal() {
    let e = one_error("${v:é}");
    assert!(e.fatal);
    assert_eq!(e.range, 0..7);
}

#[test]
fn replace_first_all_prefix_suffix() {
    let v = [("s", "abcABC123ABCabc")];
    assert_eq!(out("${s/abc/xyz}", &v), "xyzABC123ABCabc");
    assert_eq!(out("${s//abc/xyz}", &v), "xyzABC123ABCxyz");
    assert_eq!(out("${s/#abc/XYZ}", &v), "XYZABC123ABCabc");
    assert_eq!(out("${s/%abc/XYZ}", &v), "abcABC123ABCXYZ");
    assert_eq!(out("${s/abc/}", &v), "ABC123ABCabc");
    let s = scan("${s//a/b}");
    assert_eq!(
        s.exprs[0].op,
        Op::Replace { mode: ReplaceMode::All, pattern: "a".into(), replacement: Some("b".into()) }
    );
}

#[test]
fn replace_escaped_slash_and_backslash() {
    assert_eq!(out(r"${s/\//-}", &[("s", "foo/bar")]), "foo-bar");
    assert_eq!(out(r"${s//\//-}", &[("s", "a/b/c")]), "a-b-c");
    assert_eq!(out(r"${s/a/\\}", &[("s", "xa")]), r"x\");
}

#[test]
fn replace_empty_pattern_prepends_or_appends_in_flux() {
    assert_eq!(out("${s/#/pre-}", &[("s", "v")]), "pre-v");
    assert_eq!(out("${s/%/-post}", &[("s", "v")]), "v-post");
}

#[test]
fn replace_prefix_without_replacement_is_noop_and_warned() {
    assert_eq!(out("${s/#a/}", &[("s", "abc")]), "abc");
    let e = one_error("${s/#a/}");
    assert!(!e.fatal);
    assert_eq!(e.kind, SubstErrorKind::Unsupported);
}

#[test]
fn replace_pattern_is_not_a_glob() {
    assert_eq!(out("${s/*/x}", &[("s", "a*b")]), "axb");
    let e = one_error("${s/*/x}");
    assert!(!e.fatal);
}

#[test]
fn case_upper_lower_first_and_all() {
    let v = [("v", "abcDEF")];
    assert_eq!(out("${v^}", &v), "AbcDEF");
    assert_eq!(out("${v^^}", &v), "ABCDEF");
    assert_eq!(out("${v,}", &[("v", "ABC")]), "aBC");
    assert_eq!(out("${v,,}", &v), "abcdef");
    assert_eq!(out("${v^^}", &[("v", "élan")]), "ÉLAN");
}

#[test]
fn case_mixed_is_noop_and_warned() {
    assert_eq!(out("${v,^}", &[("v", "aB")]), "aB");
    let e = one_error("${v^,}");
    assert_eq!(e.kind, SubstErrorKind::Unsupported);
    assert!(!e.fatal);
}

#[test]
fn trim_prefix_and_suffix_globs() {
    let v = [("f", "bash.string.txt")];
    assert_eq!(out("${f#*.}", &v), "string.txt");
    assert_eq!(out("${f##*.}", &v), "txt");
    assert_eq!(out("${f%.*}", &v), "bash.string");
    assert_eq!(out("${f%%.*}", &v), "bash");
    assert_eq!(out("${f#*/}", &[("f", "/path/to/file")]), "path/to/file");
    assert_eq!(out("${f##*/}", &[("f", "/path/to/file")]), "file");
    let s = scan("${f%%.*}");
    assert_eq!(s.exprs[0].op, Op::TrimSuffix { longest: true, pattern: ".*".into() });
}

#[test]
fn trim_pattern_may_be_nested_expr() {
    assert_eq!(out("${v#${p}}", &[("v", "abc"), ("p", "a")]), "bc");
}

// ---- unsupported ----

#[test]
fn unsupported_colon_question_acts_as_default_not_error() {
    let e = one_error("${v:?msg}");
    assert_eq!(e.kind, SubstErrorKind::Unsupported);
    assert!(!e.fatal);
    assert_eq!(e.range, 0..9);
    assert_eq!(out("${v:?msg}", &[]), "msg");
    assert!(undef("${v:?msg}", &[]).is_empty());
}

#[test]
fn unsupported_colon_plus_acts_as_default() {
    assert_eq!(out("${v:+alt}", &[("v", "x")]), "x");
    assert_eq!(out("${v:+alt}", &[]), "alt");
    let s = scan("${v:+alt}");
    assert_eq!(s.exprs[0].op, Op::UnsupportedDefault { syntax: ":+".into(), default: "alt".into() });
}

#[test]
fn unsupported_plus_minus_question_without_colon_are_fatal() {
    for t in ["${v+alt}", "${v-def}", "${v?msg}"] {
        let e = one_error(t);
        assert_eq!(e.kind, SubstErrorKind::Unsupported, "{t}");
        assert!(e.fatal, "{t}");
        assert_eq!(e.range, 0..t.len(), "{t}");
        assert!(ev(t, &[], &[]).text.is_none());
    }
    assert!(one_error("${v-def}").message.contains("${v:-default}"));
}

#[test]
fn unsupported_indirect_expansion() {
    let e = one_error("${!v}");
    assert_eq!(e.kind, SubstErrorKind::Unsupported);
    assert!(e.fatal);
}

// ---- malformed ----

#[test]
fn malformed_unterminated() {
    let e = one_error("a ${name");
    assert_eq!(e.kind, SubstErrorKind::Malformed);
    assert!(e.fatal);
    assert_eq!(e.range, 2..8);
    assert!(e.message.contains("unterminated"));
    let e = one_error("${");
    assert_eq!(e.range, 0..2);
    let e = ev("x ${a:=b", &[], &[]);
    assert!(e.text.is_none());
    assert_eq!(e.errors.len(), 1);
}

#[test]
fn malformed_empty_braces() {
    let e = one_error("${}");
    assert_eq!(e.kind, SubstErrorKind::Malformed);
    assert_eq!(e.range, 0..3);
    assert!(e.message.contains("$${}"));
}

#[test]
fn malformed_name_with_space_or_dot() {
    assert!(one_error("${ a}").fatal);
    assert!(one_error("${a }").fatal);
    assert!(one_error("${a.b}").fatal);
    assert!(one_error("${a${b}}").fatal);
}

#[test]
fn malformed_invalid_name_is_not_fatal_and_unset() {
    let e = one_error("x${1a}");
    assert_eq!(e.kind, SubstErrorKind::Malformed);
    assert!(!e.fatal);
    assert_eq!(e.range, 3..5);
    assert_eq!(undef("${1a}", &[]).len(), 1);
    let e = one_error("${é}");
    assert!(!e.fatal);
}

#[test]
fn malformed_operator_without_argument() {
    for t in ["${v#}", "${v%}", "${v:}", "${v/}", "${v//a}", "${v^x}", "${#}", "${#v:1}"] {
        let e = one_error(t);
        assert!(e.fatal, "{t}");
        assert_eq!(e.kind, SubstErrorKind::Malformed, "{t}");
    }
}

#[test]
fn malformed_argument_mixing_text_and_expr() {
    let e = one_error("${v#a${x}}");
    assert!(e.fatal);
    assert!(e.message.contains("either literal text or a single"));
}

#[test]
fn malformed_nested_error_points_at_inner_expr() {
    let s = scan("${a:=${b.c}} ${d}");
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].range, 5..11);
    assert_eq!(s.exprs.len(), 1);
    assert_eq!(s.exprs[0].name, "d");
}

#[test]
fn malformed_recovery_finds_later_exprs() {
    let s = scan("${a ${b} ${}");
    assert_eq!(s.errors.len(), 2);
    assert_eq!(s.errors[0].range, 0..3);
    assert_eq!(s.errors[1].range, 9..12);
    let names: Vec<_> = s.exprs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["b"]);
}

#[test]
fn malformed_deep_nesting_is_capped_not_overflowing() {
    let n = 10_000;
    let text = format!("{}x{}", "${a:=".repeat(n), "}".repeat(n));
    let s = scan(&text);
    assert!(s.has_fatal());
    let text = "${".repeat(n);
    let s = scan(&text);
    assert!(s.has_fatal());
    let text = "${a:=".repeat(n);
    let e = ev(&text, &[], &[]);
    assert!(e.text.is_none());
    // Within the cap it works.
    let depth = parse::MAX_DEPTH - 1;
    let text = format!("{}x{}", "${a:=".repeat(depth), "}".repeat(depth));
    assert_eq!(out(&text, &[]), "x");
}

#[test]
fn scanner_is_linear_on_pathological_input() {
    let big = "${a:=$".repeat(50_000) + &"$$ ${".repeat(50_000) + &"x".repeat(100_000);
    let t = std::time::Instant::now();
    let _ = scan(&big);
    let _ = ev(&big, &[], &[]);
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
}

#[test]
fn never_panics_on_odd_inputs() {
    let pieces = [
        "${", "}", "$", "$$", "a", ":", "=", "-", "?", "+", "#", "%", "/", "\\", "^", ",", "é", "日", "\0", "{", "*",
        "[", "]",
    ];
    let mut seed = 12345u64;
    for _ in 0..20_000 {
        let mut t = String::new();
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let len = (seed >> 60) as usize + 1;
        for _ in 0..len {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            t.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
        }
        let s = scan(&t);
        for e in s.all_exprs() {
            assert!(t.is_char_boundary(e.range.start) && t.is_char_boundary(e.range.end));
            assert!(t.get(e.name_range.clone()).is_some());
        }
        for e in &s.errors {
            assert!(t.get(e.range.clone()).is_some(), "{t:?} {e:?}");
        }
        let _ = ev(&t, &[("a", "aé日")], &[]);
    }
}

#[test]
fn is_valid_name_matches_flux_regex() {
    assert!(is_valid_name("a"));
    assert!(is_valid_name("_1"));
    assert!(is_valid_name("cluster_Name2"));
    assert!(!is_valid_name(""));
    assert!(!is_valid_name("1a"));
    assert!(!is_valid_name("a-b"));
    assert!(!is_valid_name("é"));
}
