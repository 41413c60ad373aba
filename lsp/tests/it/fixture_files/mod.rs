//! Fixture strings holding several files, each after a `#- /path` header line (a YAML
//! comment); shared by the data-driven test files.

/// Splits a fixture into files, each dedented by its own smallest indentation.
pub fn split(fixture: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.trim_start().strip_prefix("#- /") {
            out.push((path.trim().to_string(), Vec::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push(line);
        }
    }
    out.into_iter()
        .map(|(path, lines)| {
            let indent = lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let mut text: String = lines
                .iter()
                .map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() })
                .collect::<Vec<_>>()
                .join("\n");
            while text.ends_with("\n\n") || text.ends_with(' ') {
                text.pop();
            }
            if !text.ends_with('\n') {
                text.push('\n');
            }
            (path, text)
        })
        .collect()
}
