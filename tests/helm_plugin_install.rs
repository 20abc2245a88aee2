//! The Helm plugin packaging, end to end, with a real Helm v3 and v4.
//!
//! Each test installs the plugin of this working tree (`plugin.yaml` + `scripts/`) with
//! `helm plugin install <dir>` into throwaway `HELM_DATA_HOME` / `HELM_CONFIG_HOME` /
//! `HELM_CACHE_HOME` directories and runs it through Helm. Helm installs a local directory as a
//! symlink and the install hook writes `bin/stackcheck` into it, so the tests install a copy of
//! the plugin files (never the working tree itself: the v3 and v4 tests run in parallel). The
//! hook gets its binary from `STACKCHECK_BINARY` (the test build of stackcheck, or a fake that
//! echoes what it received), so no release build happens here.
//!
//! The Helm binaries come from `HELM_V3` and `HELM_V4`, which `scripts/test.sh` sets:
//!
//! ```sh
//! eval "$(tools/tools.sh)"   # builds the pinned Helm v3 and v4 once, prints the exports
//! cargo test --test helm_plugin_install
//! ```
//!
//! Without them the Helm tests are skipped, except under CI (`CI` set), where that is an error.
//!
//! The release tests run `scripts/release.sh` on a stackcheck binary (`STACKCHECK_BIN`, the
//! release build `scripts/test.sh` makes once, else the test build) and install what it makes:
//! the archive from a URL with Helm v3, the signed plugin package with Helm v4 (a GPG key made
//! for the test in a temporary GNUPGHOME), the archive the install hook downloads itself; and
//! each of them changed after the fact, which must be refused. Downloads go to an HTTP server
//! of the test on 127.0.0.1 and nowhere else: every Helm run gets `STACKCHECK_RELEASE_URL`
//! pointing at a local address, so even the install hook's default URL is never contacted.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TIMEOUT: Duration = Duration::from_secs(120);

/// A Helm binary with private, empty Helm directories and a copy of the plugin to install.
struct Helm {
    helm: common::Helm,
    tmp: TempDir,
}

impl Helm {
    /// Helm `major` ("v3" or "v4"), or `None` when the test is to be skipped (a failure under
    /// CI, where a missing Helm must not turn into a silent pass).
    fn new(major: &'static str) -> Option<Self> {
        let helm = common::helm(major)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!("stackcheck-plugin-{major}-"))
            .tempdir()
            .expect("temp dir");
        Some(Helm { helm, tmp })
    }

    /// `helm` with every Helm setting of the caller's environment removed and the Helm homes
    /// (and the kubeconfig) pointed into the temp dir.
    fn cmd(&self) -> Command {
        let t = self.tmp.path();
        let mut cmd = self.helm.isolated(t);
        cmd.env_remove("STACKCHECK_BINARY")
            .env_remove("STACKCHECK_INSTALL_FROM")
            .env_remove("STACKCHECK_TARGET")
            // The install hook may look for a prebuilt release: never on the network.
            .env(
                "STACKCHECK_RELEASE_URL",
                format!("file://{}/no-release-here", t.display()),
            )
            .current_dir(t)
            .timeout(TIMEOUT);
        cmd
    }

    /// Copies the plugin's files from the working tree to `<tmp>/src/stackcheck` (Helm names
    /// the installed plugin directory after the source directory).
    fn stage_plugin(&self) -> PathBuf {
        let root = Path::new(MANIFEST_DIR);
        let dest = self.tmp.path().join("src").join("stackcheck");
        fs::create_dir_all(dest.join("scripts")).unwrap();
        fs::copy(root.join("plugin.yaml"), dest.join("plugin.yaml")).unwrap();
        for entry in fs::read_dir(root.join("scripts")).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                // fs::copy keeps the permission bits (the run script must stay executable).
                fs::copy(entry.path(), dest.join("scripts").join(entry.file_name())).unwrap();
            }
        }
        dest
    }

    /// A copy of the plugin with a `Cargo.toml`, so that the install hook, finding no binary,
    /// would try to build it.
    fn stage_buildable_plugin(&self) -> PathBuf {
        let src = self.stage_plugin();
        fs::write(src.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        src
    }

    fn installed_dir(&self) -> PathBuf {
        self.tmp
            .path()
            .join("data")
            .join("plugins")
            .join("stackcheck")
    }

    /// The binary the install hook puts into the installed plugin.
    fn installed_bin(&self) -> PathBuf {
        self.installed_dir().join("bin").join("stackcheck")
    }

    /// `helm plugin install WHAT`.
    fn plugin_install(&self, what: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["plugin", "install"]).arg(what);
        cmd
    }

    /// `helm plugin VERB PACKAGE --keyring KEYRING`: install or verify a signed package.
    fn plugin_with_keyring(&self, verb: &str, package: &Path, keyring: &Path) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["plugin", verb])
            .arg(package)
            .arg("--keyring")
            .arg(keyring);
        cmd
    }

    /// `helm stackcheck --version` runs the installed binary and prints this crate's version.
    fn assert_runs_version(&self) {
        self.cmd()
            .args(["stackcheck", "--version"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("stackcheck {VERSION}")));
    }

    /// A plugin installed without its binary: when Helm kept its `plugin.yaml`, running it
    /// says the plugin binary is missing, with exit code 2.
    fn assert_half_installed_plugin_explains(&self) {
        if self.installed_dir().join("plugin.yaml").is_file() {
            self.cmd()
                .args(["stackcheck", "--version"])
                .assert()
                .code(2)
                .stderr(predicate::str::contains("plugin binary"));
        }
    }

    /// `helm plugin install` of a fresh copy of the plugin, with the install hook copying
    /// `binary`.
    fn install(&self, binary: &Path) {
        let src = self.stage_plugin();
        self.plugin_install(&src)
            .env("STACKCHECK_BINARY", binary)
            .assert()
            .success()
            .stdout(predicate::str::contains("Installed plugin: stackcheck"));
        let bin = self.installed_bin();
        assert!(
            bin.is_file(),
            "the install hook did not create {}",
            bin.display()
        );
        self.cmd()
            .args(["plugin", "list"])
            .assert()
            .success()
            .stdout(
                predicate::str::is_match(format!(r"(?m)^stackcheck\s+{}\s", regex_escape(VERSION)))
                    .unwrap(),
            );
    }
}

fn regex_escape(s: &str) -> String {
    s.replace('.', r"\.").replace('+', r"\+")
}

/// A stand-in for the stackcheck binary that reports its arguments, a few environment
/// variables and its stdin, then exits with `$FAKE_EXIT`.
fn fake_binary(dir: &Path) -> PathBuf {
    let path = dir.join("fake-stackcheck");
    fs::write(
        &path,
        r#"#!/bin/sh
for a in "$@"; do printf 'ARG=[%s]\n' "$a"; done
for v in HELM_BIN HELM_PLUGIN_NAME HELM_PLUGIN_DIR HELM_NAMESPACE HELM_KUBECONTEXT HELM_DEBUG KUBECONFIG STACKCHECK_PASSTHROUGH; do
  eval "printf '%s=[%s]\n' $v \"\${$v-unset}\""
done
printf 'STDIN=[%s]\n' "$(cat)"
exit "${FAKE_EXIT:-0}"
"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

// --- the manifest, no Helm needed ---------------------------------------------------------

/// Top-level keys of plugin.yaml with their values (enough for this flat file).
fn manifest_keys() -> Vec<(String, String)> {
    let text = fs::read_to_string(Path::new(MANIFEST_DIR).join("plugin.yaml")).unwrap();
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '\t', '#']))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

#[test]
fn plugin_yaml_is_legacy_format_with_the_crate_version() {
    let keys = manifest_keys();
    let get = |k: &str| {
        keys.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("name"), Some("stackcheck"));
    assert_eq!(
        get("version"),
        Some(VERSION),
        "plugin.yaml version must equal Cargo.toml's"
    );
    // Helm v3 reads plugin.yaml strictly and knows no apiVersion; Helm v4 rejects command together
    // with platformCommand (and hooks with platformHooks).
    for forbidden in ["apiVersion", "platformCommand", "platformHooks"] {
        assert_eq!(get(forbidden), None, "plugin.yaml must not set {forbidden}");
    }
    assert!(get("command").is_some() && get("hooks").is_some());
}

// --- Helm v3 and v4 -----------------------------------------------------------------------

/// Installs the plugin with the real stackcheck binary and runs it through Helm.
fn real_cli(helm: &Helm) {
    helm.install(Path::new(env!("CARGO_BIN_EXE_stackcheck")));
    helm.assert_runs_version();

    helm.cmd()
        .args(["stackcheck", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage"));

    // Exit code 2 (unreadable input) must come through Helm unchanged.
    helm.cmd()
        .args(["stackcheck", "validate", "/nonexistent/values.yaml"])
        .assert()
        .code(2);

    // Helm's own help lists the plugin with its usage line.
    helm.cmd()
        .arg("help")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^\s+stackcheck\s+\S").unwrap());
}

/// Installs the plugin with a fake binary and checks what reaches it: arguments (Helm's own
/// global flags taken out and turned into env vars), environment, stdin and the exit code.
fn passthrough(helm: &Helm) {
    let fake = fake_binary(helm.tmp.path());
    helm.install(&fake);
    let plugin_dir = helm.installed_dir();

    let out = helm
        .cmd()
        .args([
            "stackcheck",
            "--namespace",
            "ns-one",
            "check",
            "two words",
            "--kube-context=ctx-one",
            "-o",
            "json",
            "--set",
            "a=b,c=d",
            // Not expanded by Helm. (An empty "" argument cannot be tested: Helm v3 and v4 take
            // "" for one of their own value flags in manuallyProcessArgs and drop it together
            // with the argument after it.)
            "$HOME",
            "--",
            "--debug-not",
        ])
        .env("STACKCHECK_PASSTHROUGH", "kept as is")
        .env("FAKE_EXIT", "7")
        .write_stdin("from stdin")
        .assert()
        .code(7)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let args: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ARG=[").and_then(|l| l.strip_suffix(']')))
        .collect();
    assert_eq!(
        args,
        [
            "check",
            "two words",
            "-o",
            "json",
            "--set",
            "a=b,c=d",
            "$HOME",
            "--",
            "--debug-not"
        ],
        "arguments reaching the binary\n{stdout}"
    );
    let line = |k: &str, v: &str| {
        let want = format!("{k}=[{v}]");
        assert!(
            stdout.lines().any(|l| l == want),
            "expected `{want}` in the plugin's output:\n{stdout}"
        );
    };
    line("HELM_NAMESPACE", "ns-one");
    line("HELM_KUBECONTEXT", "ctx-one");
    line("HELM_BIN", &helm.helm.bin.to_string_lossy());
    line("HELM_PLUGIN_NAME", "stackcheck");
    line("HELM_PLUGIN_DIR", &plugin_dir.to_string_lossy());
    line("HELM_DEBUG", "false");
    // The kubeconfig `common::isolate` names (there is none).
    line(
        "KUBECONFIG",
        &helm.tmp.path().join("kubeconfig").to_string_lossy(),
    );
    line("STACKCHECK_PASSTHROUGH", "kept as is");
    line("STDIN", "from stdin");

    // --debug is Helm's: it becomes HELM_DEBUG=true. Exit 0 stays 0.
    helm.cmd()
        .args(["--debug", "stackcheck", "x"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("HELM_DEBUG=[true]")
                .and(predicate::str::contains("ARG=[x]\n")),
        );

    // Another exit code, to be sure it is not a fixed "1 on failure".
    helm.cmd()
        .args(["stackcheck"])
        .env("FAKE_EXIT", "3")
        .assert()
        .code(3);
}

/// No binary, no STACKCHECK_BINARY and no cargo: the install hook fails and says why.
fn install_without_cargo(helm: &Helm) {
    // A Cargo.toml makes the hook try to build; CARGO names the cargo it would run.
    let src = helm.stage_buildable_plugin();
    helm.plugin_install(&src)
        .env("CARGO", helm.tmp.path().join("no-such-cargo"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cargo (the Rust toolchain) was not found",
        ));
    // Running the half-installed plugin explains what is missing, with exit code 2.
    helm.assert_half_installed_plugin_explains();
}

#[test]
fn helm_v3_runs_the_plugin_cli() {
    if let Some(helm) = Helm::new("v3") {
        real_cli(&helm);
    }
}

#[test]
fn helm_v4_runs_the_plugin_cli() {
    if let Some(helm) = Helm::new("v4") {
        real_cli(&helm);
    }
}

#[test]
fn helm_v3_passes_args_env_stdin_and_exit_code_through() {
    if let Some(helm) = Helm::new("v3") {
        passthrough(&helm);
    }
}

#[test]
fn helm_v4_passes_args_env_stdin_and_exit_code_through() {
    if let Some(helm) = Helm::new("v4") {
        passthrough(&helm);
    }
}

#[test]
fn helm_v3_install_hook_explains_missing_cargo() {
    if let Some(helm) = Helm::new("v3") {
        install_without_cargo(&helm);
    }
}

#[test]
fn helm_v4_install_hook_explains_missing_cargo() {
    if let Some(helm) = Helm::new("v4") {
        install_without_cargo(&helm);
    }
}

// --- release archives, the verifying install hook, signed Helm v4 packages ----------------

const EPOCH: &str = "1700000000";

/// The stackcheck binary the release tests package: `STACKCHECK_BIN` (the release build that
/// `scripts/test.sh` makes once for every suite), else the test build of this crate.
fn release_binary() -> PathBuf {
    match std::env::var_os("STACKCHECK_BIN").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "STACKCHECK_BIN={} does not exist",
                path.display()
            );
            path
        }
        None => PathBuf::from(env!("CARGO_BIN_EXE_stackcheck")),
    }
}

/// `scripts/release.sh --out-dir OUT --binary <release_binary()> EXTRA...`, with a fixed
/// SOURCE_DATE_EPOCH; returns its stderr. `homes` keeps a Helm it runs off the user's homes.
fn release(out: &Path, extra: &[&std::ffi::OsStr], homes: Option<&Path>) -> String {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(Path::new(MANIFEST_DIR).join("scripts").join("release.sh"))
        .arg("--out-dir")
        .arg(out)
        .arg("--binary")
        .arg(release_binary())
        .args(extra)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdin(Stdio::null());
    if let Some(t) = homes {
        cmd.env("HELM_DATA_HOME", t.join("data"))
            .env("HELM_CONFIG_HOME", t.join("config"))
            .env("HELM_CACHE_HOME", t.join("cache"));
    }
    let out = cmd.output().expect("bash scripts/release.sh");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "release.sh failed:\n{stderr}");
    stderr
}

/// What `release` made: the directory, the archive in it and the target triple in its name.
struct Dist {
    dir: PathBuf,
    archive: PathBuf,
    triple: String,
}

impl Dist {
    fn find(dir: PathBuf) -> Dist {
        let prefix = format!("stackcheck-{VERSION}-");
        let archive = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(&prefix) && name.ends_with(".tar.gz")
            })
            .unwrap_or_else(|| panic!("no {prefix}*.tar.gz in {}", dir.display()));
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let triple = name[prefix.len()..name.len() - ".tar.gz".len()].to_string();
        Dist {
            dir,
            archive,
            triple,
        }
    }

    fn archive_name(&self) -> String {
        self.archive
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }
}

/// One unsigned release, shared by the tests of this file (in the target's temp dir).
fn dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-release");
        let _ = fs::remove_dir_all(&dir);
        release(&dir, &[], None);
        Dist::find(dir)
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(data))
}

/// One entry of a tar archive.
struct Entry {
    path: String,
    dir: bool,
    mode: u32,
    mtime: u64,
    owner: (u64, u64),
    data: Vec<u8>,
}

fn entries(archive: &Path) -> Vec<Entry> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(archive).unwrap(),
    ));
    tar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            let h = e.header();
            Entry {
                // Directories without their trailing slash, so names sort as release.sh sorts them.
                path: e
                    .path()
                    .unwrap()
                    .to_string_lossy()
                    .trim_end_matches('/')
                    .to_string(),
                dir: h.entry_type().is_dir(),
                mode: h.mode().unwrap(),
                mtime: h.mtime().unwrap(),
                owner: (h.uid().unwrap(), h.gid().unwrap()),
                data,
            }
        })
        .collect()
}

/// A copy of the gzipped tar `src` at `dest` where the files whose path is (or ends with
/// `/`) a key of `replace` get new contents; everything else, modes included, is kept.
fn repack(src: &Path, dest: &Path, replace: &[(&str, &[u8])]) {
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        fs::File::create(dest).unwrap(),
        flate2::Compression::fast(),
    ));
    let mut replaced = 0;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(fs::File::open(src).unwrap()));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let data = match replace
            .iter()
            .find(|(p, _)| path == *p || path.ends_with(&format!("/{p}")))
        {
            Some((_, new)) => {
                replaced += 1;
                new.to_vec()
            }
            None => data,
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    assert_eq!(
        replaced,
        replace.len(),
        "not every file to replace was found"
    );
}

/// A "binary" an attacker might swap in: it leaves `marker` behind when it runs.
fn tampered_binary(marker: &Path) -> Vec<u8> {
    format!(
        "#!/bin/sh\ntouch '{}'\necho 'stackcheck {VERSION}'\n",
        marker.display()
    )
    .into_bytes()
}

/// A copy of the archive or package `src` at `dest` with `bin/stackcheck` swapped for a
/// [`tampered_binary`]; returns the marker (in `helm`'s temp dir) that binary leaves when it runs.
fn tamper(helm: &Helm, src: &Path, dest: &Path) -> PathBuf {
    let marker = helm.tmp.path().join("tampered-binary-ran");
    let evil = tampered_binary(&marker);
    repack(src, dest, &[("bin/stackcheck", &evil)]);
    marker
}

/// What the install hook says when it refuses a swapped binary.
fn refuses_swapped_binary() -> impl Predicate<str> {
    predicate::str::contains("REFUSED").and(predicate::str::contains("bin/stackcheck has SHA-256"))
}

/// The swapped binary is neither installed nor ever run.
fn assert_tampered_binary_not_installed(helm: &Helm, marker: &Path) {
    assert!(!helm.installed_bin().exists());
    assert!(!marker.exists(), "the tampered binary ran");
}

/// A site for `helm`'s test, served on 127.0.0.1, with the shared release archive as released
/// in `good/` and with its binary swapped (see [`tamper`]) in `bad/`; with `sums`, the release's
/// SHA256SUMS in both. Returns the site's base URL and the swapped binary's marker.
fn release_site(helm: &Helm, bad: &str, sums: bool) -> (String, PathBuf) {
    let dist = dist();
    let name = dist.archive_name();
    let site = helm.tmp.path().join("site");
    for d in ["good", bad] {
        fs::create_dir_all(site.join(d)).unwrap();
        if sums {
            fs::copy(dist.dir.join("SHA256SUMS"), site.join(d).join("SHA256SUMS")).unwrap();
        }
    }
    fs::copy(&dist.archive, site.join("good").join(&name)).unwrap();
    let marker = tamper(helm, &dist.archive, &site.join(bad).join(&name));
    (serve(site), marker)
}

/// A static file server for `root` on 127.0.0.1 (GET and HEAD), for the rest of the test
/// process. Returns its base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" || header == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let mut parts = request.split_whitespace();
                let method = parts.next().unwrap_or_default();
                let path = parts.next().unwrap_or("/");
                let rel = path.split('?').next().unwrap().trim_start_matches('/');
                let file = Some(root.join(rel))
                    .filter(|f| !rel.split('/').any(|c| c == ".." || c.is_empty()) && f.is_file());
                let mut stream = stream;
                let _ = match file {
                    Some(file) => {
                        // Helm v3 installs a URL only when a HEAD answers with a gzip type.
                        let kind = if rel.ends_with(".tar.gz") || rel.ends_with(".tgz") {
                            "application/gzip"
                        } else {
                            "application/octet-stream"
                        };
                        let body = fs::read(file).unwrap();
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        stream.write_all(head.as_bytes()).and_then(|()| {
                            if method == "HEAD" {
                                Ok(())
                            } else {
                                stream.write_all(&body)
                            }
                        })
                    }
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn release_archive_holds_the_plugin_with_checksums_and_is_reproducible() {
    let dist = dist();
    let name = dist.archive_name();
    let bytes = fs::read(&dist.archive).unwrap();
    // SHA256SUMS covers the archive, in sha256sum's format.
    assert_eq!(
        fs::read_to_string(dist.dir.join("SHA256SUMS")).unwrap(),
        format!("{}  {name}\n", sha256_hex(&bytes))
    );

    let entries = entries(&dist.archive);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "entries are sorted");
    for want in [
        "plugin.yaml",
        "scripts/plugin-install.sh",
        "scripts/plugin-run.sh",
        "bin/stackcheck",
        "completion.yaml",
        "completions/stackcheck.bash",
        "completions/_stackcheck",
        "completions/stackcheck.fish",
        "completions/_stackcheck.ps1",
        "man/man1/stackcheck.1",
        "man/man1/stackcheck-totals.1",
        "README.md",
        "checksums.sha256",
    ] {
        assert!(paths.contains(&want), "{want} is not in {name}: {paths:?}");
    }
    let file = |p: &str| &entries.iter().find(|e| e.path == p).unwrap().data;
    for e in &entries {
        assert_eq!(
            (e.mtime, e.owner),
            (EPOCH.parse().unwrap(), (0, 0)),
            "{}",
            e.path
        );
        let exec = e.dir || e.path.starts_with("bin/") || e.path.starts_with("scripts/");
        assert_eq!(
            e.mode & 0o777,
            if exec { 0o755 } else { 0o644 },
            "mode of {}",
            e.path
        );
    }
    let repo = |p: &str| fs::read(Path::new(MANIFEST_DIR).join(p)).unwrap();
    assert!(file("plugin.yaml") == &repo("plugin.yaml"));
    assert!(file("scripts/plugin-install.sh") == &repo("scripts/plugin-install.sh"));
    assert!(
        file("bin/stackcheck") == &fs::read(release_binary()).unwrap(),
        "bin/stackcheck is not the binary released"
    );
    // Completions and man pages are the packaged binary's own.
    let own = |args: &[&str]| {
        let out = std::process::Command::new(release_binary())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let text = |p: &str| String::from_utf8_lossy(file(p)).into_owned();
    assert_eq!(text("completion.yaml"), own(&["completion", "helm"]));
    assert_eq!(
        text("completions/stackcheck.bash"),
        own(&["completion", "bash"])
    );
    assert_eq!(text("man/man1/stackcheck.1"), own(&["man"]));

    // checksums.sha256: every other file, with its SHA-256.
    let sums = String::from_utf8(file("checksums.sha256").clone()).unwrap();
    let mut want: Vec<String> = entries
        .iter()
        .filter(|e| !e.dir && e.path != "checksums.sha256")
        .map(|e| format!("{}  {}", sha256_hex(&e.data), e.path))
        .collect();
    want.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(sums.lines().collect::<Vec<_>>(), want);

    // The same inputs give the same bytes.
    let again = tempfile::tempdir().unwrap();
    release(again.path(), &[], None);
    assert!(
        fs::read(again.path().join(&name)).unwrap() == bytes,
        "a second release.sh run made a different {name}"
    );
}

/// `helm plugin install URL-of-the-release-archive` with Helm v3: the hook checks the
/// archive's binary against its checksums.sha256; a swapped binary is removed, never run.
#[test]
fn helm_v3_installs_the_release_archive_and_refuses_a_tampered_one() {
    let Some(helm) = Helm::new("v3") else {
        return;
    };
    let name = dist().archive_name();
    let (base, marker) = release_site(&helm, "tampered", false);

    helm.plugin_install(format!("{base}/good/{name}"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Installed plugin: stackcheck"))
        .stderr(predicate::str::contains(
            "bin/stackcheck matches checksums.sha256",
        ));
    helm.assert_runs_version();
    // `helm stackcheck <TAB>` from the archive's completion.yaml.
    helm.cmd()
        .args(["__complete", "stackcheck", ""])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\ntotals\n").and(predicate::str::contains("\npreflight\n")),
        );

    let helm = Helm::new("v3").unwrap();
    helm.plugin_install(format!("{base}/tampered/{name}"))
        .assert()
        .failure()
        .stderr(refuses_swapped_binary());
    helm.assert_half_installed_plugin_explains();
    assert_tampered_binary_not_installed(&helm, &marker);
}

/// A plugin directory without a binary (a git install of a release tag): the hook downloads
/// the release archive, and uses it only when SHA256SUMS has its SHA-256.
#[test]
fn helm_v3_install_hook_downloads_a_verified_release_and_refuses_a_changed_one() {
    let Some(helm) = Helm::new("v3") else {
        return;
    };
    let dist = dist();
    let name = dist.archive_name();
    let (base, marker) = release_site(&helm, "changed", true);

    helm.plugin_install(helm.stage_plugin())
        .env("STACKCHECK_RELEASE_URL", format!("{base}/good"))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "installed {name} (SHA-256 {}, as SHA256SUMS lists)",
            sha256_hex(&fs::read(&dist.archive).unwrap())
        )));
    assert!(
        fs::read(helm.installed_bin()).unwrap() == fs::read(release_binary()).unwrap(),
        "the installed binary is not the released one"
    );
    helm.assert_runs_version();
    // The hook wrote completion.yaml from the binary.
    helm.cmd()
        .args(["__complete", "stackcheck", "pre"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("preflight\n"));

    // The archive changed after SHA256SUMS was made: refused, nothing unpacked or installed.
    let helm = Helm::new("v3").unwrap();
    helm.plugin_install(helm.stage_plugin())
        .env("STACKCHECK_RELEASE_URL", format!("{base}/changed"))
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("REFUSED")
                .and(predicate::str::contains(format!(
                    "{base}/changed/SHA256SUMS says"
                )))
                .and(predicate::str::contains("not using it")),
        );
    assert_tampered_binary_not_installed(&helm, &marker);

    // Only a release was allowed, and there is none: fail without building.
    let helm = Helm::new("v3").unwrap();
    helm.plugin_install(helm.stage_buildable_plugin())
        .env("STACKCHECK_RELEASE_URL", format!("{base}/nothing-here"))
        .env("STACKCHECK_INSTALL_FROM", "release")
        .env("CARGO", helm.tmp.path().join("cargo-must-not-run"))
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("no SHA256SUMS at")
                .and(predicate::str::contains("tried: release)"))
                .and(predicate::str::contains("cargo").not()),
        );
}

/// The Helm v4 plugin package `release.sh --sign` makes installs with `--verify` against the
/// public key; a changed package, another signer and a missing signature are refused.
#[test]
fn helm_v4_installs_the_signed_plugin_package_and_refuses_a_tampered_one() {
    let Some(helm) = Helm::new("v4") else {
        return;
    };
    let Some(gpg) = common::Gpg::new() else {
        return;
    };
    let uid = "stackcheck release test <release@stackcheck.invalid>";
    let (secring, pubring) = gpg.key(uid, "ed25519");
    let out = helm.tmp.path().join("dist");
    release(
        &out,
        &[
            "--sign".as_ref(),
            "stackcheck release test".as_ref(),
            "--keyring".as_ref(),
            secring.as_os_str(),
            "--helm".as_ref(),
            helm.helm.bin.as_os_str(),
        ],
        Some(helm.tmp.path()),
    );
    let dist = Dist::find(out.clone());
    let pkg_name = format!("stackcheck-{VERSION}.tgz");
    let pkg = out.join(&dist.triple).join(&pkg_name);
    let prov = out.join(&dist.triple).join(format!("{pkg_name}.prov"));
    assert!(pkg.is_file() && prov.is_file());
    let sums = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(
        sums.contains(&format!(
            "{}  {}/{pkg_name}\n",
            sha256_hex(&fs::read(&pkg).unwrap()),
            dist.triple
        )),
        "{sums}"
    );

    helm.plugin_with_keyring("install", &pkg, &pubring)
        .assert()
        .success()
        .stdout(
            predicate::str::contains(format!("Signed by: {uid}"))
                .and(predicate::str::contains("Plugin Hash Verified: sha256:"))
                .and(predicate::str::contains("Installed plugin: stackcheck")),
        )
        .stderr(predicate::str::contains(
            "bin/stackcheck matches checksums.sha256",
        ));
    helm.assert_runs_version();
    helm.plugin_with_keyring("verify", &pkg, &pubring)
        .assert()
        .success();

    // The package with a swapped binary, next to the original signature.
    let bad = helm.tmp.path().join("tampered").join(&pkg_name);
    let marker = tamper(&helm, &pkg, &bad);
    fs::copy(&prov, bad.with_file_name(format!("{pkg_name}.prov"))).unwrap();
    let helm = Helm::new("v4").unwrap();
    helm.plugin_with_keyring("install", &bad, &pubring)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("plugin verification failed")
                .and(predicate::str::contains("sha256 sum does not match")),
        );
    assert!(!helm.installed_dir().exists());

    // Signed, but by a key the keyring does not hold.
    let other = common::Gpg::new().unwrap();
    let (_, other_pubring) = other.key("someone else <else@stackcheck.invalid>", "ed25519");
    helm.plugin_with_keyring("install", &pkg, &other_pubring)
        .assert()
        .failure()
        .stderr(predicate::str::contains("plugin verification failed"));
    assert!(!helm.installed_dir().exists());

    // No signature at all.
    let unsigned = helm.tmp.path().join("unsigned").join(&pkg_name);
    fs::create_dir_all(unsigned.parent().unwrap()).unwrap();
    fs::copy(&pkg, &unsigned).unwrap();
    helm.plugin_with_keyring("install", &unsigned, &pubring)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no provenance file"));
    assert!(!helm.installed_dir().exists());

    // Even with --verify=false the install hook refuses the swapped binary.
    helm.cmd()
        .args(["plugin", "install", "--verify=false"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(refuses_swapped_binary());
    assert_tampered_binary_not_installed(&helm, &marker);
}
