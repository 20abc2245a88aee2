//! `stackcheck completion SHELL` and `stackcheck man`: generated from the clap definitions, so
//! they must know every command `stackcheck --help` lists, and they must work in the shell.

mod common;

use std::process::Command;

use common::stackcheck;
use saphyr::{LoadableYamlNode, YamlOwned};

/// The commands `stackcheck --help` lists (its `Commands:` section), but clap's `help`.
fn commands() -> Vec<String> {
    let out = stackcheck().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let section = text
        .split("\nCommands:\n")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap();
    let names: Vec<String> = section
        .lines()
        // A command's line starts with two spaces and its name; wrapped text is indented more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect();
    // The CLI contract's commands (../shared/DESIGN.md §3) are among them.
    for contract in [
        "check",
        "schema",
        "validate",
        "totals",
        "preflight",
        "snapshot",
        "docs",
        "post-render",
    ] {
        assert!(
            names.iter().any(|n| n == contract),
            "{contract} not in {names:?}"
        );
    }
    names
}

fn generate(shell: &str) -> String {
    let out = stackcheck().args(["completion", shell]).output().unwrap();
    assert!(
        out.status.success(),
        "completion {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What bash completes after `stackcheck WORDS...` with the generated script loaded.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=(stackcheck {})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n_stackcheck stackcheck \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        words.join(" "),
        words.len()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completion_completes_commands_and_their_flags() {
    let commands = commands();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("stackcheck.bash");
    std::fs::write(&script, generate("bash")).unwrap();

    let all = bash_complete(&script, &[""]);
    for name in &commands {
        assert!(
            all.contains(name),
            "`stackcheck <TAB>` does not offer {name}: {all:?}"
        );
    }
    assert_eq!(bash_complete(&script, &["tot"]), ["totals"]);
    let flags = bash_complete(&script, &["totals", "--ou"]);
    assert_eq!(flags, ["--output"]);
    let formats = bash_complete(&script, &["totals", "-o", ""]);
    for format in ["text", "json", "markdown"] {
        assert!(
            formats.iter().any(|f| f == format),
            "{format} not in {formats:?}"
        );
    }
}

#[test]
fn every_shell_knows_every_command() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let text = generate(shell);
        for name in &commands {
            assert!(
                text.contains(name.as_str()),
                "the {shell} completion does not mention {name}"
            );
        }
    }
    let zsh = generate("zsh");
    assert!(zsh.starts_with("#compdef stackcheck"), "{zsh}");
    assert!(generate("fish").contains("complete -c stackcheck"));
}

#[test]
fn helm_completion_yaml_names_every_command() {
    let commands = commands();
    let text = generate("helm");
    let docs = YamlOwned::load_from_str(&text).expect("completion.yaml is YAML");
    let root = &docs[0];
    assert_eq!(root["name"].as_str(), Some("stackcheck"));
    let names: Vec<&str> = root["commands"]
        .as_sequence()
        .expect("commands")
        .iter()
        .map(|c| c["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, commands, "{text}");
    let totals = root["commands"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str() == Some("totals"))
        .unwrap();
    let flags: Vec<&str> = totals["flags"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(flags.contains(&"output") && flags.contains(&"o") && flags.contains(&"chart"));
}

#[test]
fn man_page_has_name_synopsis_and_every_command() {
    let commands = commands();
    let out = stackcheck().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH stackcheck 1 "), "{page}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        page.contains(&format!("\"stackcheck {version}\"")),
        "{page}"
    );
    let name = page.split(".SH NAME\n").nth(1).expect("a NAME section");
    assert!(
        name.starts_with("stackcheck \\- Check a Helm release"),
        "{name}"
    );
    let synopsis = page.split(".SH SYNOPSIS\n").nth(1).expect("a SYNOPSIS");
    assert!(synopsis.starts_with("\\fBstackcheck\\fR "), "{synopsis}");
    let subcommands = page.split(".SH SUBCOMMANDS\n").nth(1).expect("SUBCOMMANDS");
    for name in &commands {
        let roff = name.replace('-', "\\-");
        assert!(
            subcommands.contains(&format!("stackcheck\\-{roff}(1)")),
            "{name} missing from SUBCOMMANDS"
        );
    }

    // --out-dir: one page per command, each named and with its own synopsis.
    let dir = tempfile::tempdir().unwrap();
    let out = stackcheck()
        .args(["man", "--out-dir"])
        .arg(dir.path().join("man1"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut want: Vec<String> = commands
        .iter()
        .map(|c| format!("stackcheck-{c}.1"))
        .chain(["stackcheck.1".to_string()])
        .collect();
    want.sort();
    assert_eq!(files, want);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("man1/stackcheck.1")).unwrap(),
        page,
        "stackcheck.1 is what `stackcheck man` prints"
    );
    let totals = std::fs::read_to_string(dir.path().join("man1/stackcheck-totals.1")).unwrap();
    assert!(
        totals.contains(".SH NAME\nstackcheck\\-totals \\- "),
        "{totals}"
    );
    assert!(
        totals.contains(".SH SYNOPSIS\n\\fBstackcheck totals\\fR "),
        "{totals}"
    );
    assert!(totals.contains(&format!("\"stackcheck {version}\"")));
}
