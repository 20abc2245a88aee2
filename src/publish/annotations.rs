//! Artifact Hub annotations that can be derived from the chart itself, and adding them to a
//! `Chart.yaml` text without disturbing the rest of it.
//!
//! - `artifacthub.io/images`: every container image (with its container name) the chart's
//!   profiles render, deduplicated and sorted, in Artifact Hub's format.
//! - `artifacthub.io/license`: the SPDX id of a `LICENSE` file in the chart, when it is one of a
//!   few licences recognisable from their first lines.
//!
//! Hand-written annotations always win: a key already in `Chart.yaml` is kept as it is.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;

use crate::render::Object;
use crate::source::{SourceKind, Sources};
use crate::yaml::{self, NodeKind};

pub const IMAGES: &str = "artifacthub.io/images";
pub const LICENSE: &str = "artifacthub.io/license";

/// One entry of `artifacthub.io/images`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Image {
    /// The container's name.
    pub name: String,
    pub image: String,
}

/// The images of every container (app, init and ephemeral) of every pod template in `objects`:
/// Pods, CronJobs' job templates and anything with `spec.template.spec.containers` (Deployments,
/// StatefulSets, DaemonSets, ReplicaSets, Jobs, ReplicationControllers, and custom kinds shaped
/// like them).
pub fn images<'a>(objects: impl IntoIterator<Item = &'a Object>) -> BTreeSet<Image> {
    let mut out = BTreeSet::new();
    for object in objects {
        let json = &object.json;
        let spec = match object.kind() {
            "Pod" => &json["spec"],
            "CronJob" => &json["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &json["spec"]["template"]["spec"],
        };
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for container in spec[list].as_array().into_iter().flatten() {
                if let (Some(name), Some(image)) =
                    (container["name"].as_str(), container["image"].as_str())
                    && !image.trim().is_empty()
                {
                    out.insert(Image {
                        name: name.to_string(),
                        image: image.trim().to_string(),
                    });
                }
            }
        }
    }
    out
}

/// The value of `artifacthub.io/images`: a YAML list of `name` and `image`.
pub fn images_value(images: &BTreeSet<Image>) -> String {
    images
        .iter()
        .map(|i| {
            format!(
                "- name: {}\n  image: {}\n",
                scalar(&i.name),
                scalar(&i.image)
            )
        })
        .collect()
}

/// A YAML scalar: plain when it is made of characters that cannot mean anything else in YAML,
/// else a JSON string (which YAML reads the same).
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-:@".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !s.ends_with(':');
    if plain {
        s.to_string()
    } else {
        Json::String(s.to_string()).to_string()
    }
}

/// The SPDX id of the licence in the chart's `LICENSE` (or `LICENSE.txt`, `LICENSE.md`,
/// `COPYING`), when its opening names one we can recognise without guessing.
pub fn license(chart_dir: &Path) -> Option<&'static str> {
    ["LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"]
        .iter()
        .find_map(|f| std::fs::read_to_string(chart_dir.join(f)).ok())
        .and_then(|text| spdx(&text))
}

fn spdx(text: &str) -> Option<&'static str> {
    let head: String = text
        .chars()
        .take(600)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if head.contains("Apache License") && head.contains("Version 2.0") {
        Some("Apache-2.0")
    } else if head.starts_with("MIT License")
        || head.contains("Permission is hereby granted, free of charge")
    {
        Some("MIT")
    } else if head.contains("Mozilla Public License Version 2.0") {
        Some("MPL-2.0")
    } else {
        None
    }
}

/// Why a `Chart.yaml` cannot get annotations.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EditError(String);

/// The annotations already in a `Chart.yaml` text (key → value as written).
pub fn existing(text: &str) -> Result<Vec<(String, Json)>, EditError> {
    let json = parse(text)?;
    Ok(json["annotations"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

fn parse(text: &str) -> Result<Json, EditError> {
    let mut sources = Sources::new();
    let id = sources.add("Chart.yaml", text, SourceKind::Other);
    let value = crate::values::parse_values(&sources, id).map_err(|e| EditError(e.to_string()))?;
    Ok(value.to_json())
}

/// `text` (a `Chart.yaml`) with the annotations `add` added, none of which may already be
/// there. Everything outside `annotations:` is kept byte for byte; an existing `annotations:`
/// block is rewritten with its values unchanged (comments inside it are lost). The result is
/// read back and compared with what was meant, so an edit can never change anything else.
pub fn add_annotations(text: &str, add: &[(String, String)]) -> Result<String, EditError> {
    if add.is_empty() {
        return Ok(text.to_string());
    }
    let before = parse(text)?;
    let mut sources = Sources::new();
    let id = sources.add("Chart.yaml", text, SourceKind::Other);
    let root = yaml::parse(id, text).map_err(|e| EditError(e.to_string()))?;
    let entries = match root.as_ref().map(|n| &n.kind) {
        Some(NodeKind::Map(entries)) => entries.as_slice(),
        Some(NodeKind::Null) | None => &[],
        Some(_) => return Err(EditError("Chart.yaml is not a mapping".into())),
    };
    let existing: Vec<(String, Json)> = before["annotations"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    if let Some((k, _)) = add
        .iter()
        .find(|(k, _)| existing.iter().any(|(e, _)| e == k))
    {
        return Err(EditError(format!("annotation {k} is already set")));
    }
    let mut block = String::from("annotations:\n");
    for (k, v) in &existing {
        let v = match v {
            Json::String(s) => Json::String(s.clone()),
            other => Json::String(other.to_string()),
        };
        block.push_str(&format!("  {}: {v}\n", Json::String(k.clone())));
    }
    for (k, v) in add {
        if v.contains('\n') {
            // A literal block keeps the text as it is: `|` for one final newline, `|-` for none.
            let chomp = if v.ends_with('\n') { "|" } else { "|-" };
            block.push_str(&format!("  {k}: {chomp}\n"));
            for line in v.lines() {
                block.push_str(&format!("    {line}\n"));
            }
        } else {
            block.push_str(&format!("  {k}: {}\n", Json::String(v.clone())));
        }
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let edited = match entries.iter().find(|e| e.key == "annotations") {
        None => {
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out + &block
        }
        Some(entry) => {
            if entry.key_span.start.col != 1 {
                return Err(EditError(
                    "Chart.yaml's annotations are not a top-level block key".into(),
                ));
            }
            let first = entry.key_span.start.line as usize - 1;
            let end = entry.value.span.end;
            // A block mapping ends where the next line starts: that line is not part of it.
            let mut last = end.line as usize - 1;
            if end.col == 1 && last > first {
                last -= 1;
            }
            let last = last.min(lines.len().saturating_sub(1));
            let mut out: String = lines[..first].concat();
            out.push_str(&block);
            out.push_str(&lines[last + 1..].concat());
            out
        }
    };
    // Read the result back: the same document with only the annotations added.
    let mut expected = before.clone();
    if !expected["annotations"].is_object() {
        expected["annotations"] = Json::Object(serde_json::Map::new());
    }
    for (k, v) in add {
        expected["annotations"][k] = Json::String(v.clone());
    }
    let after = parse(&edited)?;
    let normalise = |mut j: Json| {
        if let Some(a) = j.get_mut("annotations").and_then(Json::as_object_mut) {
            for v in a.values_mut() {
                if !v.is_string() {
                    *v = Json::String(v.to_string());
                }
            }
        }
        j
    };
    if normalise(after) != normalise(expected) {
        return Err(EditError(
            "adding the annotations would change other fields of Chart.yaml (an unusual layout); add them by hand".into(),
        ));
    }
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Pos, Span};

    fn object(json: Json) -> Object {
        let pos = Pos {
            line: 1,
            col: 1,
            index: 0,
        };
        Object {
            json,
            template: None,
            subcharts: Vec::new(),
            span: Span {
                source: 0,
                start: pos,
                end: pos,
            },
        }
    }

    #[test]
    fn images_from_every_pod_template_deduplicated_and_sorted() {
        let objects = [
            object(
                serde_json::json!({"kind": "Deployment", "spec": {"template": {"spec": {
                "initContainers": [{"name": "wait", "image": "busybox:1.37"}],
                "containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "side", "image": "envoy:1"}]}}}}),
            ),
            object(
                serde_json::json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "backup", "image": "postgres:16"}]}}}}}}),
            ),
            object(
                serde_json::json!({"kind": "Pod", "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}),
            ),
            object(serde_json::json!({"kind": "Service", "spec": {"ports": []}})),
        ];
        let found = images(&objects);
        let names: Vec<String> = found
            .iter()
            .map(|i| format!("{}={}", i.name, i.image))
            .collect();
        assert_eq!(
            names,
            [
                "backup=postgres:16",
                "side=envoy:1",
                "wait=busybox:1.37",
                "web=nginx:1.27"
            ]
        );
        assert_eq!(
            images_value(&found).lines().take(2).collect::<Vec<_>>(),
            ["- name: backup", "  image: postgres:16"]
        );
    }

    #[test]
    fn odd_scalars_are_quoted() {
        assert_eq!(scalar("ghcr.io/a/b:1@sha256:ab"), "ghcr.io/a/b:1@sha256:ab");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(scalar("*x"), "\"*x\"");
    }

    #[test]
    fn licences_recognised_from_their_opening() {
        assert_eq!(
            spdx(
                "\n                                 Apache License\n                           Version 2.0, January 2004\n"
            ),
            Some("Apache-2.0")
        );
        assert_eq!(spdx("MIT License\n\nCopyright (c) 2024 x\n"), Some("MIT"));
        assert_eq!(spdx("All rights reserved."), None);
    }

    const ADD: &str = "- name: web\n  image: nginx:1.27\n";

    fn add(text: &str) -> String {
        add_annotations(text, &[(IMAGES.to_string(), ADD.to_string())]).expect("edit")
    }

    #[test]
    fn annotations_are_appended_when_there_are_none() {
        let text = "apiVersion: v2\n# a comment\nname: x\nversion: 0.1.0"; // no final newline
        let out = add(text);
        assert!(out.starts_with("apiVersion: v2\n# a comment\nname: x\nversion: 0.1.0\n"));
        assert_eq!(
            parse(&out).unwrap()["annotations"][IMAGES],
            Json::String(ADD.into())
        );
    }

    #[test]
    fn existing_annotations_are_kept_and_the_rest_untouched() {
        let text = "apiVersion: v2\nname: x\nannotations:\n  # mine\n  artifacthub.io/license: MIT\n  category: |\n    a\n    b\nversion: 0.1.0 # keep\ndependencies: []\n";
        let out = add(text);
        assert!(out.starts_with("apiVersion: v2\nname: x\nannotations:\n"));
        assert!(
            out.ends_with("version: 0.1.0 # keep\ndependencies: []\n"),
            "{out}"
        );
        let json = parse(&out).unwrap();
        assert_eq!(json["annotations"]["artifacthub.io/license"], "MIT");
        assert_eq!(json["annotations"]["category"], "a\nb\n");
        assert_eq!(json["annotations"][IMAGES], ADD);
        // At the end of the file, and as a flow mapping.
        let out = add("name: x\nannotations: {a: b}\n");
        assert_eq!(parse(&out).unwrap()["annotations"]["a"], "b");
        let out = add("name: x\nannotations:\n  a: b");
        assert_eq!(parse(&out).unwrap()["annotations"]["a"], "b");
        assert_eq!(parse(&out).unwrap()["annotations"][IMAGES], ADD);
    }

    #[test]
    fn single_line_and_unterminated_values_read_back_exactly() {
        // The licence is one line: written as a quoted scalar, not a block that adds a newline.
        for value in ["Apache-2.0", "a: b # not a comment", "two\nlines", "ends\n"] {
            let out = add_annotations("name: x\n", &[(LICENSE.to_string(), value.to_string())])
                .unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(parse(&out).unwrap()["annotations"][LICENSE], value, "{out}");
        }
    }

    #[test]
    fn a_hand_written_annotation_is_never_replaced() {
        let e = add_annotations(
            "name: x\nannotations:\n  artifacthub.io/images: mine\n",
            &[(IMAGES.to_string(), ADD.to_string())],
        )
        .expect_err("already set");
        assert!(e.to_string().contains("already set"));
    }
}
