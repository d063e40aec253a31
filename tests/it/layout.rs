//! The layout of `src/` (ARCHITECTURE.md): stages in folders, imports pointing one
//! way. Every `crate::` path in a module (code and doc links alike) must name a
//! module of the same or a lower layer, and the module graph has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers from the bottom: shared modules, then the stages in pipeline order,
/// then the wiring on top.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["num", "cell", "files", "par"],
    &["input"],
    &["rules"],
    &["judge"],
    &["count"],
    &["score"],
    &["output"],
    &["campaign", "collector", "demo", "draw", "simulate"],
];

fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Module path (`score::rank`) → source text, for every library file.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).expect("src readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "bin") {
                    walk(&p, root, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under src").with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), std::fs::read_to_string(&p).expect("source readable"));
            }
        }
    }
    let root = crate::manifest_dir().join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The modules each module names through `crate::` paths.
fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (m, text) in mods {
        let mut deps = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            // The longest prefix that is a module.
            if let Some(target) = (1..=parts.len())
                .rev()
                .map(|k| parts[..k].join("::"))
                .find(|c| mods.contains_key(c))
                && &target != m
                && !m.starts_with(&format!("{target}::"))
            {
                deps.insert(target);
            }
        }
        edges.insert(m.clone(), deps);
    }
    edges
}

#[test]
fn imports_point_down_the_pipeline() {
    let mods = modules();
    assert!(mods.len() > 20, "found the modules: {:?}", mods.keys());
    let mut wrong = Vec::new();
    for (m, deps) in edges(&mods) {
        let Some(from) = m.split("::").next().and_then(layer) else {
            if !m.is_empty() {
                wrong.push(format!("{m}: not in a layer of tests/it/layout.rs"));
            }
            continue;
        };
        for d in deps {
            let to = d.split("::").next().and_then(layer);
            if to.is_none_or(|to| to > from) {
                wrong.push(format!("{m} names {d}, a later stage"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the pipeline:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycles_between_files() {
    let mods = modules();
    let edges = edges(&mods);
    // Depth-first search with colours; a grey target closes a cycle.
    fn visit<'a>(
        u: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        colour.insert(u, 1);
        stack.push(u);
        for v in edges.get(u).into_iter().flatten() {
            match colour.get(v.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| *s == v).unwrap_or(0);
                    cycles.push(format!("{} -> {v}", stack[at..].join(" -> ")));
                }
                None => visit(v, edges, colour, stack, cycles),
                _ => {}
            }
        }
        stack.pop();
        colour.insert(u, 2);
    }
    let mut colour = BTreeMap::new();
    let mut cycles = Vec::new();
    for u in edges.keys() {
        if !colour.contains_key(u.as_str()) {
            visit(u, &edges, &mut colour, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle() {
    // The checker itself can fail: a made-up graph with a back edge.
    let mut mods = BTreeMap::new();
    mods.insert("judge::a".to_string(), "use crate::score::b;".to_string());
    mods.insert("score::b".to_string(), "see [`crate::judge::a`]".to_string());
    let e = edges(&mods);
    assert!(e["judge::a"].contains("score::b") && e["score::b"].contains("judge::a"));
}

/// Every program the README and the crate docs name (`cargo run --example
/// NAME`, `examples/` in `src/lib.rs`) is a file in `examples/` (cargo builds
/// them with the tests, so a file that is there compiles): three were once
/// deleted with a scratch file, and nothing noticed.
#[test]
fn the_examples_the_docs_name_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs");
    let mut named: BTreeSet<String> = BTreeSet::new();
    let words: Vec<&str> = readme.split_whitespace().collect();
    for pair in words.windows(2) {
        if pair[0].trim_matches('`') == "--example" {
            named.insert(
                pair[1]
                    .trim_matches(|c: char| !c.is_alphanumeric() && c != '_')
                    .to_string(),
            );
        }
    }
    assert_eq!(
        named.iter().map(String::as_str).collect::<Vec<_>>(),
        ["collector", "plan_in_code", "score_json"],
        "the README's --example names"
    );
    for name in &named {
        assert!(
            root.join("examples").join(format!("{name}.rs")).is_file(),
            "examples/{name}.rs is missing"
        );
        assert!(lib.contains(&format!("`{name}`")), "src/lib.rs does not name `{name}`");
    }
}
