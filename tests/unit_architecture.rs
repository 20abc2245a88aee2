//! The dependency rule of `docs/ARCHITECTURE.md`: a module of `src/` imports only modules below it
//! in the data flow. Read from the `crate::` paths of the sources (unit tests left out: they may
//! render what they test), so a new upward import or a cycle fails here, naming the file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may import the modules of the layers below its own.
const LAYERS: &[&[&str]] = &[
    &["source", "fsutil"],
    &["diagnostic"],
    &["yaml"],
    &["quantity"],
    &["values"],
    &["chart"],
    &["schema"],
    &["render"],
    &["workload"],
    &["conformance"],
    &["totals"],
    &["cluster"],
    &["scheduler"],
    &["model_memory"],
    &["preflight"],
    &["release"],
    &["check"],
    &["report"],
    &["docs"],
    &["publish"],
    &["cli"],
];

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| {
            panic!("module `{module}` has no layer: add it to LAYERS (and ARCHITECTURE.md)")
        })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module → the top-level modules it names through `crate::`, with the files that do.
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let name = file.file_name().unwrap().to_string_lossy();
        if ["lib", "main", "test_support"].contains(&top.as_str()) || name == "tests.rs" {
            continue;
        }
        let deps = graph.entry(top.clone()).or_default();
        let code = code(&fs::read_to_string(&file).unwrap());
        for (i, _) in code.match_indices("crate::") {
            let target: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !target.is_empty() && target != top && target != "test_support" {
                deps.entry(target).or_default().insert(rel.clone());
            }
        }
    }
    graph
}

#[test]
fn every_module_imports_only_modules_below_it() {
    let mut upward = Vec::new();
    for (module, deps) in graph() {
        for (dep, files) in deps {
            if layer(&dep) >= layer(&module) {
                upward.push(format!(
                    "{module} -> {dep} ({})",
                    Vec::from_iter(files).join(", ")
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the data flow:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycles() {
    let graph = graph();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == module) {
            cycles.push([&path[start..], &[module]].concat().join(" -> "));
            return;
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for dep in graph.get(module).into_iter().flat_map(BTreeMap::keys) {
            visit(dep, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// The library does not depend on the command-line framework: only `cli` names clap.
#[test]
fn only_the_cli_uses_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let users: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(src.join("cli")) && !f.ends_with("main.rs"))
        .filter(|f| code(&fs::read_to_string(f).unwrap()).contains("clap::"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(users.is_empty(), "clap outside src/cli: {users:?}");
}
