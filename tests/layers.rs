//! The layers check themselves: every `crate::`, `super::` and `lvs::`
//! path in the sources of both crates (src/ and crates/lvs/src/) is an
//! import edge between modules, and each edge must be one that the
//! architecture allows. The allowed edges are written once, in the
//! fenced ```edges block of ARCHITECTURE.md, which this test parses.
//!
//! What is read: the non-test code of every `.rs` file below each crate's
//! `src/` (files named `tests.rs` or `*_tests.rs`, directories named
//! `tests`, and a trailing `#[cfg(test)] mod tests` are test code, which may
//! reach further), without comments. The crate roots (`lib.rs`,
//! `main.rs`) declare the modules and are not checked.
//!
//! A module is a crate's top-level module (`lvsadm::format`, `lvs::netlink`);
//! a file inside a module's directory is also a sub-module
//! (`lvsadm::app::ctx`) whose edges to its siblings are checked when the
//! block has a line for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The allowed edges: `crate::module` (or `crate::module::sub`) to the
/// set of targets it may import. Targets are a module of the same crate
/// (`format`), a sibling for a sub-module line (`ctx`), or `lvs::module`.
type Rules = BTreeMap<String, BTreeSet<String>>;

/// Reads the lines of the ```edges block: `from -> to to ...`; `#` starts
/// a comment. An error for a malformed line or a missing block.
fn parse_rules(markdown: &str) -> Result<Rules, String> {
    let start = markdown
        .find("```edges\n")
        .ok_or("no ```edges block in ARCHITECTURE.md")?
        + "```edges\n".len();
    let len = markdown[start..]
        .find("```")
        .ok_or("the ```edges block does not end")?;
    let mut rules = Rules::new();
    for line in markdown[start..start + len].lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (from, to) = line
            .split_once("->")
            .ok_or_else(|| format!("no `->` in: {line}"))?;
        let from = from.trim().to_string();
        if rules.contains_key(&from) {
            return Err(format!("two lines for {from}"));
        }
        rules.insert(from, to.split_whitespace().map(str::to_string).collect());
    }
    Ok(rules)
}

/// One import edge found in a source file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    file: String,
    /// `lvsadm::format` or `lvsadm::app::ctx` (for sibling edges).
    from: String,
    /// `cnum`, `lvs::resolve`, or a sibling `run`.
    to: String,
}

/// The part of a file's text that is not test code and not comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segments after `prefix::` in `code`, with the members
/// of a `prefix::{a, b::c}` group.
fn segments_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let pat = format!("{prefix}::");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(&pat) {
        let at = from + i;
        from = at + pat.len();
        // `foo_crate::` or `xcrate::` is not `crate::`.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            // top-level members only: split on commas outside nested braces
            let mut depth = 0;
            let mut member_start = true;
            for (k, c) in group[..end].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => member_start = true,
                    c if member_start && !c.is_whitespace() => {
                        member_start = false;
                        let id = ident(&group[k..]);
                        if !id.is_empty() {
                            out.push(id);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let id = ident(rest);
            if !id.is_empty() {
                out.push(id);
            }
        }
    }
    out
}

/// The edges of one file of crate `krate`, at `rel` below its `src/`.
fn edges_of(krate: &str, rel: &str, text: &str) -> Vec<Edge> {
    let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    let top = parts[0];
    // `app/ctx.rs` (or `app/ctx/mod.rs`) is the sub-module `app::ctx`;
    // `app/mod.rs` is `app` itself.
    let sub = match parts.as_slice() {
        [_, s] | [_, s, "mod"] if *s != "mod" => Some(*s),
        _ => None,
    };
    let code = code_of(text);
    let from = format!("{krate}::{top}");
    let mut edges = BTreeSet::new();
    let mut edge = |from: String, to: String| {
        edges.insert(Edge {
            file: rel.to_string(),
            from,
            to,
        });
    };
    for seg in segments_after(&code, "crate") {
        if seg != top {
            edge(from.clone(), seg);
        }
    }
    if krate != "lvs" {
        for seg in segments_after(&code, "lvs") {
            edge(from.clone(), format!("lvs::{seg}"));
        }
    }
    if let Some(sub) = sub {
        // a sibling: `super::x` from a sub-module, `crate::top::x`
        let own = format!("crate::{top}");
        let mut siblings = segments_after(&code, "super");
        siblings.extend(segments_after(&code, &own));
        for s in siblings {
            if s != sub {
                edge(format!("{from}::{sub}"), s);
            }
        }
    }
    edges.into_iter().collect()
}

/// The edges that the rules do not allow. A module with no line is an
/// error for every edge it has (a new module needs its line); a
/// sub-module without a line is not checked against its siblings.
fn forbidden(rules: &Rules, edges: &[Edge]) -> Vec<String> {
    let mut bad = Vec::new();
    for e in edges {
        let sibling = e.from.matches("::").count() == 2;
        match rules.get(&e.from) {
            Some(allowed) if allowed.contains(&e.to) => {}
            None if sibling => {}
            Some(_) => bad.push(format!(
                "{}: {} -> {} is not an allowed edge (ARCHITECTURE.md, ```edges)",
                e.file, e.from, e.to
            )),
            None => bad.push(format!(
                "{}: {} has no line in ARCHITECTURE.md's ```edges block (its edge to {})",
                e.file, e.from, e.to
            )),
        }
    }
    bad
}

fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == "tests.rs" || name.ends_with("_tests.rs") || rel.split('/').any(|p| p == "tests")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Every edge of the crate whose sources are in `src`.
fn crate_edges(krate: &str, src: &Path) -> Vec<Edge> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut edges = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" || is_test_file(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        edges.extend(edges_of(krate, &rel, &text));
    }
    edges
}

#[test]
fn every_import_is_an_allowed_edge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let rules = parse_rules(&md).unwrap();
    let mut edges = crate_edges("lvsadm", &root.join("src"));
    edges.extend(crate_edges("lvs", &root.join("crates/lvs/src")));
    // The walk found the code: the known edges are among those seen.
    assert!(edges
        .iter()
        .any(|e| e.from == "lvsadm::app" && e.to == "cli"));
    assert!(edges
        .iter()
        .any(|e| e.from == "lvs::netlink" && e.to == "sys"));
    let bad = forbidden(&rules, &edges);
    assert!(bad.is_empty(), "forbidden imports:\n{}", bad.join("\n"));
    // Every line of the block names a module that exists.
    let seen: BTreeSet<&str> = edges.iter().map(|e| e.from.as_str()).collect();
    for from in rules.keys() {
        let parts: Vec<&str> = from.split("::").collect();
        let base = if parts[0] == "lvs" {
            root.join("crates/lvs/src")
        } else {
            root.join("src")
        };
        let path = base.join(parts[1..].join("/"));
        let exists = path.is_dir() || path.with_extension("rs").is_file();
        assert!(
            exists || seen.contains(from.as_str()),
            "{from}: no such module"
        );
    }
}

/// The control: on synthetic sources, an import the rules do not allow is
/// reported, with its file and edge, and allowed ones are not.
#[test]
fn the_checker_reports_a_forbidden_import() {
    let rules = parse_rules(
        "# x\n```edges\nlvsadm::format -> lvs::model  # pure\nlvsadm::app -> format\n\
         lvsadm::app::ctx ->\nlvs::sys -> model\n```\n",
    )
    .unwrap();
    let format_src = "//! uses [`crate::app`] in a comment only\n\
        use lvs::model::Service;\nuse lvs::{model::Dest, resolve};\n\
        fn f() { crate::app::run(); }\n\
        #[cfg(test)]\nmod tests { use crate::cli; }\n";
    let mut edges = edges_of("lvsadm", "format/mod.rs", format_src);
    edges.extend(edges_of(
        "lvsadm",
        "app/ctx.rs",
        "use super::run::process;\nuse crate::format::X;\n",
    ));
    edges.extend(edges_of(
        "lvsadm",
        "app/listing.rs",
        "use super::ctx::Ctx;\n",
    ));
    edges.extend(edges_of(
        "lvs",
        "sys/netlink.rs",
        "use crate::netlink::consts::X;\nuse crate::model::Y;\n",
    ));
    edges.extend(edges_of("lvsadm", "stdio.rs", "use lvs::process;\n"));
    let bad = forbidden(&rules, &edges);
    assert_eq!(
        bad,
        [
            "format/mod.rs: lvsadm::format -> app is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "format/mod.rs: lvsadm::format -> lvs::resolve is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "app/ctx.rs: lvsadm::app::ctx -> run is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "sys/netlink.rs: lvs::sys -> netlink is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "stdio.rs: lvsadm::stdio has no line in ARCHITECTURE.md's ```edges block (its edge to lvs::process)",
        ]
    );
    assert!(parse_rules("no block").is_err());
    assert!(parse_rules("```edges\nlvs::a b\n```\n").is_err());
}
