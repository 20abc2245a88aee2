//! Will the model server start? GPU memory accounted the way vLLM accounts it at startup.
//!
//! A pure core (no I/O, no cluster types) that the preflight calls per GPU pod:
//!
//! 1. [`server`] reads what a container runs: it detects a vLLM server from its image, command,
//!    args and `VLLM_*` env and takes every flag that decides memory ([`server::VllmFlags`]).
//!    SGLang, TGI, NIM and Ollama are *detected* but not parsed: for those the
//!    `stackcheck.dev/*` annotations stay the way to describe the memory need.
//! 2. [`config`] reads a Hugging Face `config.json` into the fields that decide memory
//!    ([`config::ModelConfig`]); [`catalog`] bundles those for popular open models and
//!    checkpoints, each with its source. An unknown model is a typed result, never a guess.
//! 3. [`account`] computes, per GPU rank and in exact integer bytes, what vLLM's V1 engine
//!    computes: weights, the profiling run's activation peak, non-torch memory, the CUDA-graph
//!    estimate (by vLLM version), the memory left for the KV cache and the KV cache one
//!    `max-model-len` sequence needs (`vllm/v1/kv_cache_interface.py`).
//! 4. [`verdict`] turns that into vLLM's own decision and message
//!    (`vllm/v1/core/kv_cache_utils.py`), an `uncertain` band where our activation estimate
//!    cannot decide, and advice (largest `--max-model-len`, sequences that fit at once); plus
//!    vLLM's free-memory check for servers sharing one GPU (`vllm/v1/worker/gpu_worker.py`).
//! 5. [`gpus`] gives each GPU product's memory as torch reports it, for nodes without GPU
//!    Feature Discovery's `nvidia.com/gpu.memory` label.
//!
//! Reference: `shared/VLLM-MEMORY.md` (startup sequence, formulas, measured ground truth).

pub mod account;
pub mod catalog;
pub mod config;
pub mod gpus;
pub mod server;
pub mod verdict;

#[cfg(test)]
mod tests;

use std::fmt;

use account::{Account, AccountError, Setup};
use catalog::CatalogError;
use config::ModelConfig;
use gpus::Device;
use server::{Container, Detection, ServerError, ServerKind, VllmServer};
use verdict::Verdict;

/// What the check found for one container on one GPU device.
#[derive(Debug, Clone)]
pub enum ContainerCheck {
    /// Not a model server we know.
    NotAModelServer,
    /// A model server whose flags we do not read: the `stackcheck.dev/*` annotations decide.
    NotParsed { kind: ServerKind, reason: String },
    /// A vLLM command we cannot read (a bad flag value, an unresolved variable).
    BadCommand(ServerError),
    /// The model is neither bundled nor given as a `config.json`: a note saying what to provide.
    UnknownModel {
        server: Box<VllmServer>,
        error: CatalogError,
    },
    /// vLLM itself would reject the flags for this model.
    Rejected {
        server: Box<VllmServer>,
        error: AccountError,
    },
    /// Accounted: the per-rank terms and vLLM's verdict.
    Checked {
        server: Box<VllmServer>,
        /// Where the model's config came from: the catalog's source URL or "config.json given".
        model_source: String,
        account: Box<Account>,
        verdict: Verdict,
    },
}

/// Checks one container on one GPU device (for a MIG device, its slice): detects the server,
/// finds the model (`model_config` — a user's `config.json` — wins over the catalog) and
/// decides as vLLM will.
pub fn check_container(
    container: Container<'_>,
    device: &Device,
    model_config: Option<&ModelConfig>,
) -> ContainerCheck {
    let server = match server::detect(container) {
        Ok(Detection::Vllm(s)) => s,
        Ok(Detection::NotParsed { kind, reason }) => {
            return ContainerCheck::NotParsed { kind, reason };
        }
        Ok(Detection::None) => return ContainerCheck::NotAModelServer,
        Err(e) => return ContainerCheck::BadCommand(e),
    };
    let (config, source, id) = match model_config {
        Some(c) => (
            c,
            "config.json given".to_string(),
            server.flags.model.clone(),
        ),
        None => match catalog::lookup(&server.flags.model) {
            Ok(m) => (&m.config, m.source.clone(), m.id.clone()),
            Err(error) => {
                return ContainerCheck::UnknownModel {
                    server: Box::new(server),
                    error,
                };
            }
        },
    };
    let setup = Setup {
        model_id: &id,
        model: config,
        flags: &server.flags,
        device,
        version: server.version,
        estimate_cudagraphs_env: server.estimate_cudagraphs_env,
    };
    match account::account(&setup) {
        Ok(a) => {
            let verdict = verdict::decide(&a);
            ContainerCheck::Checked {
                server: Box::new(server),
                model_source: source,
                account: Box::new(a),
                verdict,
            }
        }
        Err(error) => ContainerCheck::Rejected {
            server: Box::new(server),
            error,
        },
    }
}

/// Bytes in one GiB (vLLM's `GiB_bytes`, `vllm/utils/mem_constants.py`).
pub const GIB: u64 = 1 << 30;
/// Bytes in one MiB.
pub const MIB: u64 = 1 << 20;

/// An exact non-negative decimal ratio such as `--gpu-memory-utilization 0.9` (= 9/10).
///
/// vLLM multiplies a Python float; we keep the decimal the user wrote so that `0.9 × total` is
/// exact and reproducible (differences from the float product are below one byte per GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator, a power of ten.
    pub den: u64,
}

impl Ratio {
    /// vLLM's default `gpu_memory_utilization` (`vllm/config/cache.py`).
    pub const DEFAULT_UTILIZATION: Ratio = Ratio { num: 9, den: 10 };

    /// Parses a plain decimal (`0.9`, `.85`, `1`, `1.0`); at most 9 fraction digits.
    pub fn parse_decimal(text: &str) -> Option<Ratio> {
        let t = text.trim();
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if frac.len() > 9 || int.len() > 9 {
            return None;
        }
        let den = 10u64.pow(frac.len() as u32);
        let int_v: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac_v: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        Some(Ratio {
            num: int_v * den + frac_v,
            den,
        })
    }

    /// `floor(value × self)`, exactly.
    pub fn of(self, value: u64) -> u64 {
        (u128::from(value) * u128::from(self.num) / u128::from(self.den)) as u64
    }

    /// `self + other`, exactly (denominators are powers of ten).
    pub fn plus(self, other: Ratio) -> Ratio {
        let den = self.den.max(other.den);
        Ratio {
            num: self
                .num
                .saturating_mul(den / self.den.max(1))
                .saturating_add(other.num.saturating_mul(den / other.den.max(1))),
            den,
        }
    }

    /// `self > 1`.
    pub fn exceeds_one(self) -> bool {
        self.num > self.den
    }
}

impl fmt::Display for Ratio {
    /// Python's `repr` of the same float for short decimals: `0.9`, `0.85`, `1.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.num / self.den;
        let mut frac = self.num % self.den;
        let mut digits = self.den.ilog10();
        if frac == 0 {
            return write!(f, "{int}.0");
        }
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{int}.{frac:0width$}", width = digits as usize)
    }
}

/// vLLM's `format_gib` (`vllm/utils/mem_utils.py`): `f"{round(b / GiB_bytes, 2)}"`, i.e. the
/// value rounded half-to-even to two decimals and printed as Python prints that float
/// (`24.0`, `5.62`, `9.6`, `-1.44`). Exact: `b / 2^30` is a binary fraction, so Python's
/// correctly rounded `round` sees exactly this rational.
pub fn format_gib(bytes: i128) -> String {
    let neg = bytes < 0;
    let b = bytes.unsigned_abs();
    let g = u128::from(GIB);
    // hundredths, rounded half to even
    let scaled = b * 100;
    let mut h = scaled / g;
    let rem = scaled % g;
    if rem * 2 > g || (rem * 2 == g && h % 2 == 1) {
        h += 1;
    }
    let sign = if neg && h > 0 { "-" } else { "" };
    let int = h / 100;
    let frac = h % 100;
    if frac == 0 {
        format!("{sign}{int}.0")
    } else if frac.is_multiple_of(10) {
        format!("{sign}{int}.{}", frac / 10)
    } else {
        format!("{sign}{int}.{frac:02}")
    }
}

/// `ceil(a / b)` (vLLM's `cdiv`, `vllm/utils/math_utils.py`).
pub(crate) fn cdiv(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}
