//! What a container serves: a vLLM server and its memory flags, another model server, or none.
//!
//! # Detection
//!
//! - **vLLM** — parsed. Any of: the command runs `vllm serve MODEL …` or
//!   `python[3] -m vllm.entrypoints.openai.api_server …` (directly, or inside `sh -c "…"` /
//!   `bash -c "…"`, split with POSIX shell-word rules by the `shlex` crate); the image is a vLLM
//!   image (`vllm/vllm-openai`, `…/vllm-openai-rocm`, `rocm/vllm`, `…/vllm-cuda-…`, any
//!   repository whose name contains `vllm`) and the flags are in `args` (the image's entrypoint
//!   is `vllm serve` or the api_server module); or a `VLLM_*` env var next to such a command.
//! - **SGLang** (`lmsysorg/sglang`, `python -m sglang.launch_server`), **TGI**
//!   (`ghcr.io/huggingface/text-generation-inference`, `text-generation-launcher`), **NVIDIA
//!   NIM** (`nvcr.io/nim/…`) and **Ollama** (`ollama/ollama`, `ollama serve`) — detected by image
//!   or command, not parsed yet: [`Detection::NotParsed`] says to describe them with the
//!   `stackcheck.dev/*` annotations.
//!
//! # Flags
//!
//! Every flag that decides memory ([`VllmFlags`]), in the forms vLLM's `FlexibleArgumentParser`
//! (`vllm/utils/argparse_utils.py`) accepts: `--flag value`, `--flag=value`, underscores for
//! dashes (`--max_model_len`), the short `-tp`/`-pp`/`-q` aliases, and human-readable integers
//! for `--max-model-len`, `--max-num-batched-tokens` and `--kv-cache-memory-bytes` (`32k` =
//! 32 000, `32K` = 32 768; `auto`/`-1` for `--max-model-len`: `human_readable_int` and
//! `human_readable_int_or_auto`). Kubernetes' `$(VAR)` references in command and args, and
//! `$VAR`/`${VAR}` words in shell scripts, are resolved from the container's env; a value that
//! stays unresolved is an error when it is a memory flag. Other flags are skipped (with their
//! value when they take one).

use super::Ratio;

/// A container, as the pod spec states it.
#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    pub image: &'a str,
    pub command: &'a [String],
    pub args: &'a [String],
    /// `env` entries with a literal `value` (`valueFrom` entries are absent).
    pub env: &'a [(String, String)],
}

/// Model servers we recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Vllm,
    Sglang,
    Tgi,
    Nim,
    Ollama,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Vllm => "vLLM",
            ServerKind::Sglang => "SGLang",
            ServerKind::Tgi => "Text Generation Inference",
            ServerKind::Nim => "NVIDIA NIM",
            ServerKind::Ollama => "Ollama",
        }
    }
}

/// What [`detect`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Detection {
    Vllm(VllmServer),
    /// A model server whose flags we do not read yet.
    NotParsed {
        kind: ServerKind,
        reason: String,
    },
    /// Not a model server we know.
    None,
}

/// How the vLLM server was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandStyle {
    /// `vllm serve MODEL …`
    VllmServe,
    /// `python -m vllm.entrypoints.openai.api_server --model MODEL …`
    ApiServerModule,
    /// No command: the image's entrypoint, flags in `args`.
    ImageEntrypoint,
}

/// A vLLM version from the image tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `--max-model-len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxModelLen {
    Tokens(u64),
    /// `auto` or `-1`: vLLM picks the largest length that fits (recent versions).
    Auto,
}

/// `--dtype`: the dtype weights and activations are computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// The checkpoint's (float32 checkpoints load as 16 bit).
    Auto,
    Float16,
    Bfloat16,
    Float32,
}

impl Dtype {
    /// Bytes per element: 4 for float32, else 2.
    pub fn bytes(self) -> u64 {
        if self == Dtype::Float32 { 4 } else { 2 }
    }
}

/// `--kv-cache-dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvCacheDtype {
    /// The model dtype.
    Auto,
    Bfloat16,
    Float16,
    /// `fp8`, `fp8_e4m3`, `fp8_e5m2`, `fp8_inc`: 1 byte.
    Fp8,
}

/// `--quantization` (online, or naming the checkpoint's method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantizationFlag {
    /// `fp8`, `fbgemm_fp8`, `modelopt`, `ptpc_fp8`: unquantized checkpoints become FP8.
    Fp8,
    /// `bitsandbytes`: NF4 in place.
    Bitsandbytes,
    /// A method that reads a quantized checkpoint (`awq`, `awq_marlin`, `gptq`, `gptq_marlin`,
    /// `compressed-tensors`, `mxfp4`, `marlin`, …): the checkpoint's config decides.
    Checkpoint,
}

/// The flags that decide a vLLM server's memory. `None` = vLLM's default, resolved in
/// [`crate::model_memory::account`] (some defaults depend on the GPU).
#[derive(Debug, Clone, PartialEq)]
pub struct VllmFlags {
    pub model: String,
    pub tensor_parallel_size: u64,
    pub pipeline_parallel_size: u64,
    pub max_model_len: Option<MaxModelLen>,
    pub gpu_memory_utilization: Ratio,
    pub dtype: Dtype,
    pub quantization: Option<QuantizationFlag>,
    pub kv_cache_dtype: KvCacheDtype,
    pub max_num_batched_tokens: Option<u64>,
    pub max_num_seqs: Option<u64>,
    pub kv_cache_memory_bytes: Option<u64>,
    pub enforce_eager: bool,
    pub block_size: Option<u64>,
}

impl VllmFlags {
    /// vLLM's defaults for `model`.
    pub fn new(model: impl Into<String>) -> VllmFlags {
        VllmFlags {
            model: model.into(),
            tensor_parallel_size: 1,
            pipeline_parallel_size: 1,
            max_model_len: None,
            gpu_memory_utilization: Ratio::DEFAULT_UTILIZATION,
            dtype: Dtype::Auto,
            quantization: None,
            kv_cache_dtype: KvCacheDtype::Auto,
            max_num_batched_tokens: None,
            max_num_seqs: None,
            kv_cache_memory_bytes: None,
            enforce_eager: false,
            block_size: None,
        }
    }
}

/// A detected vLLM server.
#[derive(Debug, Clone, PartialEq)]
pub struct VllmServer {
    pub flags: VllmFlags,
    pub style: CommandStyle,
    /// The command was a shell script (`sh -c "…"`).
    pub via_shell: bool,
    /// From the image tag; `None` for `latest`, digests and non-upstream images.
    pub version: Option<Version>,
    /// `VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS` when set (`vllm/envs.py`).
    pub estimate_cudagraphs_env: Option<bool>,
}

/// A vLLM command we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerError {
    #[error(
        "vLLM server without a model: give it as `vllm serve MODEL` or `--model MODEL` (or describe the server with the stackcheck.dev/* annotations)"
    )]
    MissingModel,
    #[error("vLLM flag {flag} needs a value")]
    MissingValue { flag: String },
    #[error("vLLM flag {flag} {value:?}: {expected}")]
    InvalidValue {
        flag: String,
        value: String,
        expected: &'static str,
    },
    #[error(
        "vLLM flag {flag} is {value:?}, a variable the container's env does not set literally; set it in env (value, not valueFrom) or use the stackcheck.dev/* annotations"
    )]
    Unresolved { flag: String, value: String },
    #[error("the container's shell command cannot be split into words: {0}")]
    Shell(String),
}

/// Detects the model server a container runs and reads a vLLM server's memory flags.
pub fn detect(c: Container<'_>) -> Result<Detection, ServerError> {
    let argv: Vec<String> = c
        .command
        .iter()
        .chain(c.args.iter())
        .map(|a| expand_k8s(a, c.env))
        .collect();
    let (words, via_shell) = match shell_script(&argv) {
        Some(script) => (
            shlex::split(&script).ok_or_else(|| ServerError::Shell(script.clone()))?,
            true,
        ),
        None => (argv, false),
    };
    let words: Vec<String> = if via_shell {
        words.iter().map(|w| expand_shell_word(w, c.env)).collect()
    } else {
        words
    };
    let repo = image_repository(c.image);
    let env_cudagraphs = c
        .env
        .iter()
        .find(|(k, _)| k == "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS")
        .map(|(_, v)| v.trim() != "0" && !v.trim().is_empty());
    let found = find_vllm(&words);
    let vllm_image = repo.contains("vllm");
    let vllm_env = c.env.iter().any(|(k, _)| k.starts_with("VLLM_"));
    let (style, rest) = match found {
        Some((style, rest)) => (style, rest),
        None if vllm_image && c.command.is_empty() => {
            (CommandStyle::ImageEntrypoint, words.clone())
        }
        None => {
            return Ok(other_server(&repo, &words, vllm_image || vllm_env));
        }
    };
    let flags = parse_flags(&rest, style)?;
    Ok(Detection::Vllm(VllmServer {
        flags,
        style,
        via_shell,
        version: image_version(c.image),
        estimate_cudagraphs_env: env_cudagraphs,
    }))
}

fn other_server(repo: &str, words: &[String], vllm_hint: bool) -> Detection {
    let joined = words.join(" ");
    let reason = |how: &str| {
        format!(
            "{how}; its flags are not read yet: describe its memory with the stackcheck.dev/* annotations"
        )
    };
    if repo.contains("sglang")
        || joined.contains("sglang.launch_server")
        || joined.contains("sglang serve")
    {
        return Detection::NotParsed {
            kind: ServerKind::Sglang,
            reason: reason("SGLang (image lmsysorg/sglang or sglang.launch_server)"),
        };
    }
    if repo.contains("text-generation-inference") || joined.contains("text-generation-launcher") {
        return Detection::NotParsed {
            kind: ServerKind::Tgi,
            reason: reason("TGI (image text-generation-inference or text-generation-launcher)"),
        };
    }
    if repo.starts_with("nvcr.io/nim/") {
        return Detection::NotParsed {
            kind: ServerKind::Nim,
            reason: reason(
                "NVIDIA NIM (image nvcr.io/nim/…, configured by NIM_* env and profiles)",
            ),
        };
    }
    if repo.contains("ollama") || joined.contains("ollama serve") {
        return Detection::NotParsed {
            kind: ServerKind::Ollama,
            reason: reason("Ollama (image ollama/ollama or ollama serve)"),
        };
    }
    if vllm_hint {
        return Detection::NotParsed {
            kind: ServerKind::Vllm,
            reason: "vLLM image or VLLM_* env, but the command runs neither `vllm serve` nor the api_server module (a wrapper script?); describe its memory with the stackcheck.dev/* annotations".into(),
        };
    }
    Detection::None
}

/// `sh -c SCRIPT` / `bash -lc SCRIPT` / `/bin/sh -c SCRIPT` → SCRIPT.
fn shell_script(argv: &[String]) -> Option<String> {
    let first = argv.first()?;
    let name = first.rsplit('/').next().unwrap_or(first);
    if !matches!(name, "sh" | "bash" | "dash" | "zsh" | "ash") {
        return None;
    }
    let pos = argv
        .iter()
        .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
    argv.get(pos + 1).cloned()
}

/// Finds `vllm serve` or `-m vllm.entrypoints.…api_server` and returns the words after it
/// (up to a shell separator).
fn find_vllm(words: &[String]) -> Option<(CommandStyle, Vec<String>)> {
    // Shell words end a command at a separator word, or at a word ending in `;` (shlex does
    // not split `2;` from `2`).
    let end_of = |from: usize| -> Vec<String> {
        let mut out = Vec::new();
        for w in &words[from..] {
            if matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&") {
                break;
            }
            if let Some(stripped) = w.strip_suffix(';') {
                out.push(stripped.to_string());
                break;
            }
            out.push(w.clone());
        }
        out
    };
    for i in 0..words.len() {
        let w = words[i].trim_end_matches(';');
        let prog = w.rsplit('/').next().unwrap_or(w);
        if prog == "vllm" && words.get(i + 1).map(String::as_str) == Some("serve") {
            return Some((CommandStyle::VllmServe, end_of(i + 2)));
        }
        if prog.starts_with("python")
            && words.get(i + 1).map(String::as_str) == Some("-m")
            && let Some(module) = words.get(i + 2)
        {
            if module.starts_with("vllm.entrypoints.") && module.ends_with("api_server") {
                return Some((CommandStyle::ApiServerModule, end_of(i + 3)));
            }
            if module == "vllm.entrypoints.cli.main"
                && words.get(i + 3).map(String::as_str) == Some("serve")
            {
                return Some((CommandStyle::VllmServe, end_of(i + 4)));
            }
        }
    }
    None
}

/// Kubernetes' `$(VAR)` expansion of command and args (`$$` escapes a `$`); unknown
/// references stay as written, as Kubernetes leaves them.
fn expand_k8s(arg: &str, env: &[(String, String)]) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(close) => {
                    let name = &inner[..close];
                    match env.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[close + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A whole shell word `$VAR` / `${VAR}` (or `--flag=$VAR`) from env; others unchanged.
fn expand_shell_word(word: &str, env: &[(String, String)]) -> String {
    let (prefix, var) = match word.split_once("=$") {
        Some((p, v)) if p.starts_with('-') => (format!("{p}="), format!("${v}")),
        _ => (String::new(), word.to_string()),
    };
    let name = var
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| var.strip_prefix('$'));
    match name {
        Some(n) if n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            match env.iter().rev().find(|(k, _)| k == n) {
                Some((_, v)) => format!("{prefix}{v}"),
                None => word.to_string(),
            }
        }
        _ => word.to_string(),
    }
}

/// `docker.io/vllm/vllm-openai:v0.10.1@sha256:…` → `docker.io/vllm/vllm-openai`, lowercased.
fn image_repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map_or(0, |p| p + 1);
    let repo = match no_digest[last_slash..].find(':') {
        Some(colon) => &no_digest[..last_slash + colon],
        None => no_digest,
    };
    repo.to_ascii_lowercase()
}

/// The vLLM version of an upstream image tag (`vllm/vllm-openai:v0.10.1.1` → 0.10.1).
/// Only upstream `vllm-openai` images: downstream builds (Red Hat AI Inference Server, NGC)
/// number their own releases.
pub fn image_version(image: &str) -> Option<Version> {
    let repo = image_repository(image);
    let name = repo.rsplit('/').next().unwrap_or(&repo);
    if !name.starts_with("vllm-openai") {
        return None;
    }
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map_or(0, |p| p + 1);
    let tag = no_digest[last_slash..].split_once(':')?.1;
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts = tag.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some(Version::new(major, minor, patch))
}

/// Boolean flags vLLM users commonly pass, so that the word after them is not taken as
/// their value.
const BOOLEAN_FLAGS: &[&str] = &[
    "trust-remote-code",
    "enable-prefix-caching",
    "no-enable-prefix-caching",
    "enable-chunked-prefill",
    "no-enable-chunked-prefill",
    "enable-auto-tool-choice",
    "disable-log-requests",
    "disable-log-stats",
    "enable-log-requests",
    "enable-expert-parallel",
    "disable-custom-all-reduce",
    "disable-sliding-window",
    "disable-frontend-multiprocessing",
    "enable-lora",
    "no-enforce-eager",
    "async-scheduling",
    "disable-fastapi-docs",
    "enable-sleep-mode",
    "headless",
];

fn parse_flags(words: &[String], style: CommandStyle) -> Result<VllmFlags, ServerError> {
    let mut flags = VllmFlags::new(String::new());
    let mut model: Option<String> = None;
    let mut i = 0;
    // `vllm serve MODEL`: the first word, when it is not a flag.
    if matches!(
        style,
        CommandStyle::VllmServe | CommandStyle::ImageEntrypoint
    ) && let Some(w) = words.first()
        && !w.starts_with('-')
    {
        model = Some(w.clone());
        i = 1;
    }
    // Words that are neither flags nor flag values: argparse takes the model positional
    // anywhere (`vllm serve --port 8000 MODEL`).
    let mut bare: Vec<&String> = Vec::new();
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if !word.starts_with('-') || word == "-" {
            bare.push(word);
            continue;
        }
        let (raw_name, inline) = match word.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (word.as_str(), None),
        };
        let name = raw_name.trim_start_matches('-').replace('_', "-");
        let canonical = match name.as_str() {
            "tp" => "tensor-parallel-size",
            "pp" => "pipeline-parallel-size",
            "q" => "quantization",
            "kv-cache-memory" => "kv-cache-memory-bytes",
            other => other,
        };
        let flag = format!("--{canonical}");
        if canonical == "enforce-eager" {
            flags.enforce_eager = match inline.as_deref() {
                None => true,
                Some(v) => parse_bool(&flag, v)?,
            };
            continue;
        }
        if canonical == "no-enforce-eager" {
            flags.enforce_eager = false;
            continue;
        }
        let takes_value = matches!(
            canonical,
            "model"
                | "tensor-parallel-size"
                | "pipeline-parallel-size"
                | "max-model-len"
                | "gpu-memory-utilization"
                | "dtype"
                | "quantization"
                | "kv-cache-dtype"
                | "max-num-batched-tokens"
                | "max-num-seqs"
                | "kv-cache-memory-bytes"
                | "block-size"
        );
        if !takes_value {
            // Unknown flag: skip its value unless it is a known boolean.
            if inline.is_none()
                && !BOOLEAN_FLAGS.contains(&canonical)
                && words.get(i).is_some_and(|w| !w.starts_with('-'))
            {
                i += 1;
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let v = words
                    .get(i)
                    .filter(|w| !w.starts_with("--") || w.as_str() == "-1")
                    .cloned()
                    .ok_or_else(|| ServerError::MissingValue { flag: flag.clone() })?;
                i += 1;
                v
            }
        };
        if value.contains('$') {
            return Err(ServerError::Unresolved { flag, value });
        }
        let invalid = |expected: &'static str| ServerError::InvalidValue {
            flag: flag.clone(),
            value: value.clone(),
            expected,
        };
        match canonical {
            "model" => model = Some(value.clone()),
            "tensor-parallel-size" => {
                flags.tensor_parallel_size =
                    positive(&value).ok_or_else(|| invalid("a positive integer"))?
            }
            "pipeline-parallel-size" => {
                flags.pipeline_parallel_size =
                    positive(&value).ok_or_else(|| invalid("a positive integer"))?
            }
            "max-model-len" => {
                flags.max_model_len = Some(match value.trim() {
                    "auto" | "-1" => MaxModelLen::Auto,
                    v => MaxModelLen::Tokens(human_readable_int(v).filter(|n| *n > 0).ok_or_else(
                        || invalid("a positive token count (e.g. 32768, 32k, 32K) or auto"),
                    )?),
                })
            }
            "gpu-memory-utilization" => {
                let r = Ratio::parse_decimal(&value)
                    .filter(|r| r.num > 0 && !r.exceeds_one())
                    .ok_or_else(|| invalid("a decimal in (0, 1], e.g. 0.9"))?;
                flags.gpu_memory_utilization = r;
            }
            "dtype" => {
                flags.dtype = match value.as_str() {
                    "auto" => Dtype::Auto,
                    "half" | "float16" => Dtype::Float16,
                    "bfloat16" => Dtype::Bfloat16,
                    "float" | "float32" => Dtype::Float32,
                    _ => return Err(invalid("auto, half, float16, bfloat16, float or float32")),
                }
            }
            "quantization" => {
                flags.quantization = Some(match value.as_str() {
                    "fp8" | "fbgemm_fp8" | "modelopt" | "ptpc_fp8" => QuantizationFlag::Fp8,
                    "bitsandbytes" => QuantizationFlag::Bitsandbytes,
                    "awq" | "awq_marlin" | "gptq" | "gptq_marlin" | "gptq_marlin_24" | "marlin"
                    | "compressed-tensors" | "mxfp4" | "experts_int8" | "modelopt_fp4" => {
                        QuantizationFlag::Checkpoint
                    }
                    _ => {
                        return Err(invalid(
                            "a quantization method stackcheck accounts (fp8, fbgemm_fp8, modelopt, bitsandbytes, awq, awq_marlin, gptq, gptq_marlin, marlin, compressed-tensors, mxfp4)",
                        ));
                    }
                })
            }
            "kv-cache-dtype" => {
                flags.kv_cache_dtype = match value.as_str() {
                    "auto" => KvCacheDtype::Auto,
                    "bfloat16" => KvCacheDtype::Bfloat16,
                    "float16" | "half" => KvCacheDtype::Float16,
                    "fp8" | "fp8_e4m3" | "fp8_e5m2" | "fp8_inc" => KvCacheDtype::Fp8,
                    _ => {
                        return Err(invalid(
                            "auto, bfloat16, float16, fp8, fp8_e4m3, fp8_e5m2 or fp8_inc",
                        ));
                    }
                }
            }
            "max-num-batched-tokens" => {
                flags.max_num_batched_tokens = Some(
                    human_readable_int(&value)
                        .filter(|n| *n > 0)
                        .ok_or_else(|| invalid("a positive token count (e.g. 8192 or 8k)"))?,
                )
            }
            "max-num-seqs" => {
                flags.max_num_seqs =
                    Some(positive(&value).ok_or_else(|| invalid("a positive integer"))?)
            }
            "kv-cache-memory-bytes" => {
                flags.kv_cache_memory_bytes = Some(
                    human_readable_int(&value)
                        .filter(|n| *n > 0)
                        .ok_or_else(|| invalid("a positive byte count (e.g. 8589934592 or 8G)"))?,
                )
            }
            "block-size" => {
                flags.block_size = Some(
                    positive(&value)
                        .filter(|n| n.is_power_of_two())
                        .ok_or_else(|| invalid("a power of two (1, 8, 16, 32, 64, 128, …)"))?,
                )
            }
            _ => {}
        }
    }
    if model.is_none() && style != CommandStyle::ApiServerModule {
        model = bare.first().map(|w| w.to_string());
    }
    flags.model = model.ok_or(ServerError::MissingModel)?;
    Ok(flags)
}

fn positive(v: &str) -> Option<u64> {
    v.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

fn parse_bool(flag: &str, v: &str) -> Result<bool, ServerError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ServerError::InvalidValue {
            flag: flag.to_string(),
            value: v.to_string(),
            expected: "true or false",
        }),
    }
}

/// vLLM's `human_readable_int` (`vllm/utils/argparse_utils.py`): a plain integer, or a number
/// with a decimal suffix `k m g t` (powers of 1000, fractions allowed: `25.6k`) or a binary
/// suffix `K M G T` (powers of 1024, integers only). Fractions are truncated like `int()`.
pub fn human_readable_int(text: &str) -> Option<u64> {
    let t = text.trim();
    let last = t.chars().last()?;
    let (number, mult, binary) = match last {
        'k' => (&t[..t.len() - 1], 1_000u64, false),
        'm' => (&t[..t.len() - 1], 1_000_000, false),
        'g' => (&t[..t.len() - 1], 1_000_000_000, false),
        't' => (&t[..t.len() - 1], 1_000_000_000_000, false),
        'K' => (&t[..t.len() - 1], 1 << 10, true),
        'M' => (&t[..t.len() - 1], 1 << 20, true),
        'G' => (&t[..t.len() - 1], 1 << 30, true),
        'T' => (&t[..t.len() - 1], 1 << 40, true),
        _ => return t.parse().ok(),
    };
    let (int, frac) = match number.split_once('.') {
        Some((i, f)) if !binary => (i, f),
        Some(_) => return None,
        None => (number, ""),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 12 {
        return None;
    }
    let int_v: u64 = int.parse().ok()?;
    let mut value = int_v.checked_mul(mult)?;
    if !frac.is_empty() {
        let frac_v: u128 = frac.parse().ok()?;
        let den = 10u128.pow(frac.len() as u32);
        value = value.checked_add((frac_v * u128::from(mult) / den) as u64)?;
    }
    Some(value)
}
