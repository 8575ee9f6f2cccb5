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
//! a file inside a module's directory, at any depth, is also a sub-module
//! (`lvsadm::app::ctx`, `lvsadm::app::supervise::state`) whose edges to
//! its siblings are checked when the block has a line for it; once one
//! child of a directory module has a line, every child needs one.

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

/// The part of a file's text that is not test code and not comments: each
/// `#[cfg(test)] mod` item is left out (`mod tests;`, or an inline
/// `mod tests { ... }` up to its closing brace), what follows it is kept.
fn code_of(text: &str) -> String {
    const TESTS: &str = "#[cfg(test)]\nmod ";
    let mut text = text.to_string();
    while let Some(i) = text.find(TESTS) {
        let rest = &text[i + TESTS.len()..];
        let end = match rest.find([';', '{']) {
            Some(j) if rest.as_bytes()[j] == b';' => i + TESTS.len() + j + 1,
            Some(j) => {
                // the brace that closes the module's body
                let mut depth = 0usize;
                let close = rest[j..].char_indices().find_map(|(k, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(k);
                            }
                        }
                        _ => {}
                    }
                    None
                });
                match close {
                    Some(k) => i + TESTS.len() + j + k + 1,
                    None => text.len(),
                }
            }
            None => text.len(),
        };
        text.replace_range(i..end, "");
    }
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let n = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..n]
}

/// Parses the rest of a path after `prefix` (its segments so far) at the
/// start of `s`: more `seg::` segments, a `{a, b::c, self}` group (each
/// member a path of its own) or the end of the path. Pushes each full path.
fn path_tail(prefix: Vec<String>, s: &str, out: &mut Vec<Vec<String>>) {
    let s = s.trim_start();
    if let Some(group) = s.strip_prefix('{') {
        // the members, split on commas outside nested braces
        let mut depth = 0;
        let mut member = 0;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    path_tail_member(&prefix, &group[member..k], out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    path_tail_member(&prefix, &group[member..k], out);
                    member = k + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let id = ident(s);
    if id.is_empty() {
        out.push(prefix);
        return;
    }
    let mut path = prefix;
    path.push(id.to_string());
    match s[id.len()..].strip_prefix("::") {
        Some(rest) => path_tail(path, rest, out),
        None => out.push(path),
    }
}

fn path_tail_member(prefix: &[String], member: &str, out: &mut Vec<Vec<String>>) {
    let m = member.trim();
    if m.is_empty() || m == "self" || m == "*" || m.starts_with("self ") {
        out.push(prefix.to_vec());
    } else {
        path_tail(prefix.to_vec(), m, out);
    }
}

/// Every path in `code` that starts with `crate::`, `super::` or `lvs::`,
/// as its segments (`["super", "super", "ctx", "Ctx"]`), a group's members
/// each a path.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for root in ["crate", "super", "lvs"] {
        let pat = format!("{root}::");
        let mut from = 0;
        while let Some(i) = code[from..].find(&pat) {
            let at = from + i;
            from = at + pat.len();
            // `foo_crate::`, `xcrate::`, `a::super::` are not path starts.
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            path_tail(vec![root.to_string()], &code[from..], &mut out);
        }
    }
    out
}

/// The module a file is: `app/supervise/core.rs` is `app::supervise::core`,
/// `app/supervise/mod.rs` is `app::supervise`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.len() > 1 && parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The edges of one file of crate `krate`, at `rel` below its `src/`;
/// `modules` are the crate's modules (`app`, `app::supervise::core`).
///
/// A `crate::` or `super::` path is resolved to the module path it names
/// and compared with the file's own module path: where they first differ,
/// at depth 0 it is an edge between top-level modules (`lvsadm::app ->
/// format`), deeper an edge between siblings inside a directory module
/// (`lvsadm::app::supervise::core -> state`, `lvsadm::app::supervise ->
/// ctx`). A name there that is not a module (an item the parent module
/// defines or re-exports, like `crate::app::Ctx`) makes no edge.
fn edges_of(krate: &str, rel: &str, text: &str, modules: &BTreeSet<String>) -> Vec<Edge> {
    let own = module_of(rel);
    let code = code_of(text);
    let mut edges = BTreeSet::new();
    for path in paths_in(&code) {
        let target: Vec<String> = match path[0].as_str() {
            "lvs" if krate != "lvs" => {
                if path.len() > 1 {
                    edges.insert(Edge {
                        file: rel.to_string(),
                        from: format!("{krate}::{}", own[0]),
                        to: format!("lvs::{}", path[1]),
                    });
                }
                continue;
            }
            "crate" => path[1..].to_vec(),
            "super" => {
                let ups = path.iter().take_while(|p| *p == "super").count();
                let Some(keep) = own.len().checked_sub(ups) else {
                    continue;
                };
                own[..keep].iter().chain(&path[ups..]).cloned().collect()
            }
            _ => continue,
        };
        // the first depth where the two module paths part
        let Some(i) = (0..own.len().min(target.len())).find(|&i| own[i] != target[i]) else {
            continue; // the module itself, its parent or its child
        };
        if i > 0 && !modules.contains(&target[..=i].join("::")) {
            continue;
        }
        edges.insert(Edge {
            file: rel.to_string(),
            from: format!("{krate}::{}", own[..=i].join("::")),
            to: target[i].clone(),
        });
    }
    edges.into_iter().collect()
}

/// The edges that the rules do not allow. A module with no line is an
/// error for every edge it has (a new module needs its line). A
/// sub-module without a line is not checked against its siblings unless
/// one of its siblings has a line: a directory module whose children are
/// in the block has all of them there (a new file in it needs its line).
fn forbidden(rules: &Rules, edges: &[Edge]) -> Vec<String> {
    let parent = |m: &str| {
        m.rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_string())
    };
    let listed_parents: BTreeSet<String> = rules
        .keys()
        .filter(|k| k.matches("::").count() >= 2)
        .map(|k| parent(k))
        .collect();
    let mut bad = Vec::new();
    for e in edges {
        let sibling = e.from.matches("::").count() >= 2;
        match rules.get(&e.from) {
            Some(allowed) if allowed.contains(&e.to) => {}
            None if sibling && !listed_parents.contains(&parent(&e.from)) => {}
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
    let rels: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (path, rel)
        })
        .collect();
    let modules: BTreeSet<String> = rels.iter().map(|(_, r)| module_of(r).join("::")).collect();
    let mut edges = Vec::new();
    for (path, rel) in &rels {
        if rel == "lib.rs" || rel == "main.rs" || is_test_file(rel) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        edges.extend(edges_of(krate, rel, &text, &modules));
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
         lvsadm::app::ctx ->\nlvsadm::app::listing -> ctx\nlvs::sys -> model\n```\n",
    )
    .unwrap();
    let modules: BTreeSet<String> = ["app", "app::ctx", "app::listing", "app::run", "format"]
        .map(String::from)
        .into();
    let format_src = "//! uses [`crate::app`] in a comment only\n\
        use lvs::model::Service;\nuse lvs::{model::Dest, resolve};\n\
        fn f() { crate::app::run(); }\n\
        #[cfg(test)]\nmod tests { use crate::cli; fn g() { if true { crate::app::x(); } } }\n\
        use crate::json::Y;\n";
    let mut edges = edges_of("lvsadm", "format/mod.rs", format_src, &modules);
    edges.extend(edges_of(
        "lvsadm",
        "app/ctx.rs",
        "use super::run::process;\nuse crate::format::X;\n",
        &modules,
    ));
    edges.extend(edges_of(
        "lvsadm",
        "app/listing.rs",
        "use super::ctx::Ctx;\n",
        &modules,
    ));
    edges.extend(edges_of(
        "lvs",
        "sys/netlink.rs",
        "use crate::netlink::consts::X;\nuse crate::model::Y;\n",
        &modules,
    ));
    edges.extend(edges_of(
        "lvsadm",
        "stdio.rs",
        "use lvs::process;\n",
        &modules,
    ));
    let bad = forbidden(&rules, &edges);
    assert_eq!(
        bad,
        [
            "format/mod.rs: lvsadm::format -> app is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "format/mod.rs: lvsadm::format -> json is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "format/mod.rs: lvsadm::format -> lvs::resolve is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "app/ctx.rs: lvsadm::app::ctx -> run is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "sys/netlink.rs: lvs::sys -> netlink is not an allowed edge (ARCHITECTURE.md, ```edges)",
            "stdio.rs: lvsadm::stdio has no line in ARCHITECTURE.md's ```edges block (its edge to lvs::process)",
        ]
    );
    assert!(parse_rules("no block").is_err());
    assert!(parse_rules("```edges\nlvs::a b\n```\n").is_err());
}

/// The control for modules inside a directory module (`app::supervise`):
/// its files' imports of each other (`super::x`, `crate::app::supervise::x`,
/// groups) and of their uncle modules (`super::super::x`, `crate::app::x`)
/// are edges checked against the block; a forbidden one added to a
/// copy of a real file is reported, and a new file with no line is too.
#[test]
fn sibling_edges_inside_a_directory_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let rules = parse_rules(&md).unwrap();
    let src = root.join("src");
    let modules: BTreeSet<String> = {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files
            .iter()
            .map(|p| module_of(&p.strip_prefix(&src).unwrap().to_string_lossy()).join("::"))
            .chain(["app::supervise::newbie".to_string()])
            .collect()
    };
    // The real state.rs: its sibling edges are seen and allowed.
    let state = std::fs::read_to_string(src.join("app/supervise/state.rs")).unwrap();
    let edges = edges_of("lvsadm", "app/supervise/state.rs", &state, &modules);
    assert!(edges
        .iter()
        .any(|e| e.from == "lvsadm::app::supervise::state" && e.to == "agent"));
    assert_eq!(forbidden(&rules, &edges), Vec::<String>::new());
    // The same file importing the supervisor's loop (state sits below it):
    // refused, written in each of the ways a path can name it.
    for import in [
        "use super::run::Event;\n",
        "use super::{agent, run::Event};\n",
        "use crate::app::supervise::run;\n",
        "fn f() { super::run::go() }\n",
    ] {
        let edges = edges_of(
            "lvsadm",
            "app/supervise/state.rs",
            &format!("{import}{state}"),
            &modules,
        );
        assert_eq!(
            forbidden(&rules, &edges),
            ["app/supervise/state.rs: lvsadm::app::supervise::state -> run is not an allowed edge (ARCHITECTURE.md, ```edges)"],
            "{import}"
        );
    }
    // An uncle: `super::super::listing` from supervise/check.rs is the
    // edge app::supervise -> listing, which the block does not allow.
    let edges = edges_of(
        "lvsadm",
        "app/supervise/check.rs",
        "use super::super::listing::x;\nuse crate::app::Ctx;\n",
        &modules,
    );
    assert_eq!(
        forbidden(&rules, &edges),
        ["app/supervise/check.rs: lvsadm::app::supervise -> listing is not an allowed edge (ARCHITECTURE.md, ```edges)"]
    );
    // A new file in the directory with no line of its own.
    let edges = edges_of(
        "lvsadm",
        "app/supervise/newbie.rs",
        "use super::state::Key;\n",
        &modules,
    );
    assert_eq!(
        forbidden(&rules, &edges),
        ["app/supervise/newbie.rs: lvsadm::app::supervise::newbie has no line in ARCHITECTURE.md's ```edges block (its edge to state)"]
    );
}
