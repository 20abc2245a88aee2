//! Per-GPU-rank memory, accounted as vLLM's V1 engine does at startup (VLLM-MEMORY §1–3).
//!
//! `requested = gpu_memory_utilization × total`; the profiling run measures weights, the
//! activation peak of one dummy batch of `max_num_batched_tokens` and non-torch allocations;
//! `available_kv = requested − weights − activation − non_torch` (minus a CUDA-graph estimate
//! since v0.21) — `Worker.determine_available_memory`, `vllm/v1/worker/gpu_worker.py`. With
//! `--kv-cache-memory-bytes` there is no profiling: that value is the KV budget.
//!
//! Every figure is an exact integer number of bytes. Weights and KV follow vLLM's rules
//! exactly from the model's config; activation, non-torch and graph memory are *estimates*
//! calibrated on published measurements, and carry an error band that [`super::verdict`]
//! turns into `uncertain`.

use std::ops::Range;

use super::config::{Attention, ModelClass, ModelConfig, Parameters, Quantization};
use super::gpus::Device;
use super::server::{Dtype, KvCacheDtype, MaxModelLen, QuantizationFlag, Version, VllmFlags};
use super::{GIB, MIB, Ratio, cdiv};

/// Why a deployment cannot be accounted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error(
        "--quantization names a method for quantized checkpoints, but {model}'s config.json has no quantization_config"
    )]
    NotQuantized { model: String },
    #[error(
        "--max-model-len {requested} is longer than {model}'s derived maximum {derived} (max_position_embeddings and rope scaling); vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1"
    )]
    MaxModelLenTooLong {
        model: String,
        requested: u64,
        derived: u64,
    },
    #[error(
        "--tensor-parallel-size {tp} does not divide {model}'s {heads} attention heads (vLLM refuses it)"
    )]
    TensorParallelHeads { model: String, tp: u64, heads: u64 },
    #[error(
        "--pipeline-parallel-size {pp} is more than {model}'s {layers} layers (vLLM refuses it)"
    )]
    PipelineTooDeep { model: String, pp: u64, layers: u64 },
}

/// vLLM's CUDA-graph memory is subtracted from the KV budget since v0.21.0
/// (`VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS` defaults to 1, `vllm/envs.py`: "Enabled by
/// default as of v0.21.0"); before, graphs lived in the `1 − utilization` headroom.
pub const GRAPHS_SUBTRACTED_SINCE: Version = Version::new(0, 21, 0);

/// Activation peak at 8192 batched tokens, by model class (VLLM-MEMORY §3, measured on H100 at
/// vLLM's defaults: dense 4.8–5.6 GiB, MoE 7.4–8 GiB, multimodal 2.1–2.5 GiB; we take the
/// middle). The peak grows linearly with `max_num_batched_tokens` (vLLM logs ~1.2–1.4 GiB for
/// 8B dense models at 2048 tokens, a quarter of 4.8–5.6).
pub fn activation_at_8192(class: ModelClass) -> u64 {
    match class {
        ModelClass::Dense => 5325 * MIB,      // 5.2 GiB
        ModelClass::Moe => 7885 * MIB,        // 7.7 GiB
        ModelClass::Multimodal => 2355 * MIB, // 2.3 GiB
    }
}

/// Non-torch memory (CUDA context, NCCL buffers): ~0.15 GiB on one GPU, ~0.6 GiB once NCCL
/// runs (tensor or pipeline parallel) — VLLM-MEMORY §3, measured 0.13–0.14 and 0.55.
pub fn non_torch(world_size: u64) -> u64 {
    if world_size <= 1 {
        15 * GIB / 100
    } else {
        60 * GIB / 100
    }
}

/// CUDA-graph memory estimate per rank (llm-d measured −0.9…1.03 GiB; vLLM's own estimate is
/// `profile_cudagraph_memory`, `vllm/v1/worker/gpu_model_runner.py`): 0.5 GiB, 1 GiB for MoE.
pub fn cuda_graphs_estimate(class: ModelClass) -> u64 {
    match class {
        ModelClass::Moe => GIB,
        _ => GIB / 2,
    }
}

/// The scheduler defaults vLLM picks per GPU (`EngineArgs.get_batch_defaults`,
/// `vllm/engine/arg_utils.py`, OpenAI API server context): 8192 batched tokens and 1024
/// sequences when the device has ≥ 70 GiB and is not an A100 ("Setting large
/// max_num_batched_tokens for A100 reduces throughput", PR #17885), else 2048 and 256.
pub fn batch_defaults(device: &Device) -> (u64, u64) {
    if device.total >= 70 * GIB && !device.name.to_ascii_lowercase().contains("a100") {
        (8192, 1024)
    } else {
        (2048, 256)
    }
}

/// KV cache spec of one layer on one rank (`vllm/v1/kv_cache_interface.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KvSpec {
    /// Bytes of one block of `block_size` tokens (`page_size_bytes`).
    pub page_bytes: u64,
    pub block_size: u64,
    /// `Some(w)` for a `SlidingWindowSpec`.
    pub sliding_window: Option<u64>,
}

impl KvSpec {
    /// `max_memory_usage_bytes`: full attention holds `cdiv(len, block)` blocks; a sliding
    /// window holds `cdiv(min(window − 1 + max_num_batched_tokens, len), block) + 1`.
    pub fn max_memory_usage_bytes(&self, max_model_len: u64, max_num_batched_tokens: u64) -> u64 {
        match self.sliding_window {
            None => cdiv(max_model_len, self.block_size) * self.page_bytes,
            Some(w) => {
                let tokens = (w.saturating_sub(1) + max_num_batched_tokens).min(max_model_len);
                (cdiv(tokens, self.block_size) + 1) * self.page_bytes
            }
        }
    }
}

/// The KV specs of the layers one rank holds.
pub fn kv_specs(
    model: &ModelConfig,
    layers: Range<u64>,
    tp: u64,
    block_size: u64,
    kv_bytes: u64,
) -> Vec<KvSpec> {
    layers
        .map(|i| {
            let page_bytes = match model.mla {
                // MLA: one latent per token, no K/V pair, not split by TP (`MLAAttentionSpec`).
                Some(m) => block_size * (m.kv_lora_rank + m.qk_rope_head_dim) * kv_bytes,
                // `AttentionSpec.real_page_size_bytes`: 2 × block × heads × head_size × dtype.
                None => 2 * block_size * model.kv_heads_per_rank(tp) * model.head_dim * kv_bytes,
            };
            let sliding = model.layers.get(i as usize) == Some(&Attention::Sliding);
            KvSpec {
                page_bytes,
                block_size,
                sliding_window: if sliding { model.sliding_window } else { None },
            }
        })
        .collect()
}

/// KV bytes one request of `len` tokens needs on a rank (`max_memory_usage_bytes` summed over
/// its layers, as `check_enough_kv_cache_memory` does).
pub fn kv_needed(specs: &[KvSpec], len: u64, max_num_batched_tokens: u64) -> u64 {
    specs
        .iter()
        .map(|s| s.max_memory_usage_bytes(len, max_num_batched_tokens))
        .sum()
}

/// vLLM's `estimate_max_model_len` (`vllm/v1/core/kv_cache_utils.py`): binary search for the
/// largest length in `1..=upper` whose KV fits `available`; 0 when not even one token fits.
pub fn estimate_max_model_len(
    specs: &[KvSpec],
    available: i128,
    upper: u64,
    max_num_batched_tokens: u64,
) -> u64 {
    let fits = |len: u64| i128::from(kv_needed(specs, len, max_num_batched_tokens)) <= available;
    if upper == 0 || !fits(1) {
        return 0;
    }
    let (mut left, mut right, mut result) = (1u64, upper, 1u64);
    while left <= right {
        let mid = left + (right - left) / 2;
        if fits(mid) {
            result = mid;
            left = mid + 1;
        } else {
            right = mid - 1;
        }
    }
    result
}

/// Layers of each pipeline stage (`get_pp_indices`, `vllm/distributed/utils.py`): an equal
/// share, with the remainder given one each to the stages before the last, from the
/// second-to-last backwards (the last stage also holds the LM head).
pub fn pp_partition(layers: u64, pp: u64) -> Vec<Range<u64>> {
    let pp = pp.max(1);
    let mut sizes = vec![layers / pp; pp as usize];
    let remaining = layers % pp;
    for i in 2..remaining + 2 {
        let idx = (pp as usize).wrapping_sub(i as usize);
        if let Some(s) = sizes.get_mut(idx) {
            *s += 1;
        }
    }
    let mut start = 0;
    sizes
        .into_iter()
        .map(|n| {
            let r = start..start + n;
            start += n;
            r
        })
        .collect()
}

/// A pipeline stage: its layers, and whether it is the first (embedding) or last (LM head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub layers: Range<u64>,
    pub first: bool,
    pub last: bool,
}

/// Weight bytes one TP rank of a pipeline stage holds.
///
/// - 16-bit (or `--dtype float32`): parameters × dtype bytes.
/// - FP8 / INT8 (`fp8`, compressed-tensors W8, `--quantization fp8`): attention and MLP
///   projections 1 byte; embeddings, `lm_head`, norms and routers stay 16 bit — why an FP8 70B is
///   ~67.7 GiB, not 65 (VLLM-MEMORY §3).
/// - INT4 AWQ/GPTQ with group `g`: 4 bits plus a 16-bit scale (and a 4-bit zero) per group —
///   4.16 bits at `g = 128`.
/// - MXFP4 (gpt-oss): experts 4 bits + one 8-bit scale per 32 (4.25 bits) with the expert
///   intermediate size of each rank padded to a multiple of 256 (the kernels' alignment,
///   `vllm/model_executor/layers/quantization/mxfp4.py`; it reproduces the measured 13.47 GiB
///   of gpt-oss-20b); everything else BF16.
/// - NF4 (bitsandbytes): 4 bits + a 32-bit absmax per 64 (4.5 bits).
///
/// Layer weights are split evenly over TP (vLLM shards every projection and the vocab);
/// the embedding sits on the first stage, the LM head (a copy of tied embeddings when PP > 1)
/// on the last.
pub fn weights_per_rank(
    model: &ModelConfig,
    params: &Parameters,
    quant: Option<&Quantization>,
    dtype_bytes: u64,
    tp: u64,
    stage: &Stage,
) -> u64 {
    let tp = tp.max(1);
    let (first, last) = (stage.first, stage.last);
    let mut bytes: u64 = 0;
    for i in stage.layers.clone() {
        let Some(l) = params.layers.get(i as usize) else {
            continue;
        };
        let other = l.other * dtype_bytes;
        let q = l.quantizable;
        let layer = match quant {
            None => q * dtype_bytes + other,
            Some(Quantization::Fp8 | Quantization::Int8) => q + other,
            Some(Quantization::Int4 {
                group_size,
                zero_point,
            }) => {
                let g = u128::from(*group_size);
                let bits_x_g = 4 * g + 16 + if *zero_point { 4 } else { 0 };
                let qb = (u128::from(q) * bits_x_g).div_ceil(8 * g) as u64;
                qb + other
            }
            Some(Quantization::Nf4) => (q * 9).div_ceil(16) + other,
            Some(Quantization::Mxfp4) => {
                // experts per rank computed below, exactly with padding
                (q - l.experts) * dtype_bytes + other
            }
        };
        bytes += layer.div_ceil(tp);
        if let (Some(Quantization::Mxfp4), Some(moe)) = (quant, model.moe)
            && l.experts > 0
        {
            let per_rank = cdiv(moe.expert_intermediate, tp).next_multiple_of(256);
            let expert_params = moe.num_experts * 3 * model.hidden_size * per_rank;
            bytes += (expert_params * 17).div_ceil(32);
        }
    }
    if first {
        bytes += (params.embedding * dtype_bytes).div_ceil(tp);
        bytes += (params.vision * dtype_bytes).div_ceil(tp);
    }
    if last {
        let head = if params.lm_head == 0 && !first {
            params.embedding
        } else {
            params.lm_head
        };
        bytes += (head * dtype_bytes).div_ceil(tp);
        bytes += params.final_norm * dtype_bytes;
    }
    bytes
}

/// Everything the check needs about one deployment.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    pub model_id: &'a str,
    pub model: &'a ModelConfig,
    pub flags: &'a VllmFlags,
    pub device: &'a Device,
    /// The image's vLLM version (`None`: unknown, assumed recent).
    pub version: Option<Version>,
    /// `VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS` when set.
    pub estimate_cudagraphs_env: Option<bool>,
}

/// One pipeline stage's rank (all TP ranks of a stage are alike).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RankAccount {
    pub pp_rank: u64,
    pub layers: Range<u64>,
    pub weights: u64,
    /// Estimated activation peak of the profiling run.
    pub activation: u64,
    /// Estimated non-torch memory.
    pub non_torch: u64,
    /// Estimated CUDA-graph memory (subtracted only when [`Account::graphs_subtracted`]).
    pub cuda_graphs: u64,
    /// Memory vLLM will find for the KV cache (negative: none).
    pub kv_available: i128,
    /// KV bytes one request of `max_model_len` tokens needs.
    pub kv_needed: u64,
    /// Error of `kv_available`: the estimates' uncertainty (0 with `--kv-cache-memory-bytes`).
    pub band: u64,
    /// Per-layer KV specs (for the advice; not reported).
    #[serde(skip)]
    pub kv_specs: Vec<KvSpec>,
}

/// The accounting of one vLLM deployment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub model_id: String,
    pub device: Device,
    pub utilization: Ratio,
    /// `utilization × total`.
    pub requested: u64,
    pub max_model_len: u64,
    /// `--max-model-len auto`: vLLM fits the length (`max_model_len` is then the upper bound).
    pub max_model_len_auto: bool,
    /// Upper bound of the length advice: the model's derived maximum.
    pub derived_max_model_len: u64,
    pub max_num_batched_tokens: u64,
    pub max_num_seqs: u64,
    pub block_size: u64,
    pub kv_bytes_per_element: u64,
    pub tp: u64,
    pub pp: u64,
    pub graphs_subtracted: bool,
    pub kv_cache_memory_bytes: Option<u64>,
    pub stages: Vec<RankAccount>,
}

/// Accounts a deployment: one [`RankAccount`] per pipeline stage.
pub fn account(s: &Setup<'_>) -> Result<Account, AccountError> {
    let m = s.model;
    let f = s.flags;
    let tp = f.tensor_parallel_size.max(1);
    let pp = f.pipeline_parallel_size.max(1);
    if !m.num_attention_heads.is_multiple_of(tp) {
        return Err(AccountError::TensorParallelHeads {
            model: s.model_id.to_string(),
            tp,
            heads: m.num_attention_heads,
        });
    }
    if pp > m.num_hidden_layers {
        return Err(AccountError::PipelineTooDeep {
            model: s.model_id.to_string(),
            pp,
            layers: m.num_hidden_layers,
        });
    }
    let quant = match (&m.quantization, f.quantization) {
        (Some(q), _) => Some(q.clone()),
        (None, Some(QuantizationFlag::Fp8)) => Some(Quantization::Fp8),
        (None, Some(QuantizationFlag::Bitsandbytes)) => Some(Quantization::Nf4),
        (None, Some(QuantizationFlag::Checkpoint)) => {
            return Err(AccountError::NotQuantized {
                model: s.model_id.to_string(),
            });
        }
        (None, None) => None,
    };
    let dtype_bytes = f.dtype.bytes();
    // `--kv-cache-dtype auto` follows the model dtype (`CacheConfig.cache_dtype`).
    let kv_bytes = match f.kv_cache_dtype {
        KvCacheDtype::Fp8 => 1,
        KvCacheDtype::Bfloat16 | KvCacheDtype::Float16 => 2,
        KvCacheDtype::Auto => {
            if f.dtype == Dtype::Float32 {
                4
            } else {
                2
            }
        }
    };
    let (default_tokens, default_seqs) = batch_defaults(s.device);
    let max_num_batched_tokens = f.max_num_batched_tokens.unwrap_or(default_tokens);
    let max_num_seqs = f.max_num_seqs.unwrap_or(default_seqs);
    // CUDA's default block size (`CacheConfig.block_size`; MLA backends raise it to 64).
    let block_size = f
        .block_size
        .unwrap_or(if m.mla.is_some() { 64 } else { 16 });
    let derived = m.derived_max_model_len;
    let (max_model_len, auto) = match f.max_model_len {
        None => (derived, false),
        Some(MaxModelLen::Auto) => (derived, true),
        Some(MaxModelLen::Tokens(n)) if n > derived => {
            return Err(AccountError::MaxModelLenTooLong {
                model: s.model_id.to_string(),
                requested: n,
                derived,
            });
        }
        Some(MaxModelLen::Tokens(n)) => (n, false),
    };
    let class = m.class();
    let graphs_subtracted = !f.enforce_eager
        && s.estimate_cudagraphs_env
            .unwrap_or_else(|| s.version.is_none_or(|v| v >= GRAPHS_SUBTRACTED_SINCE));
    let cuda_graphs = if f.enforce_eager {
        0
    } else {
        cuda_graphs_estimate(class)
    };
    let activation = (u128::from(activation_at_8192(class)) * u128::from(max_num_batched_tokens))
        .div_ceil(8192) as u64;
    let non_torch = non_torch(tp * pp);
    let requested = f.gpu_memory_utilization.of(s.device.total);
    let params = m.parameters();
    let partition = pp_partition(m.num_hidden_layers, pp);
    let last = partition.len().saturating_sub(1);
    let stages = partition
        .into_iter()
        .enumerate()
        .map(|(rank, layers)| {
            let stage = Stage {
                layers: layers.clone(),
                first: rank == 0,
                last: rank == last,
            };
            let weights = weights_per_rank(m, &params, quant.as_ref(), dtype_bytes, tp, &stage);
            let specs = kv_specs(m, layers.clone(), tp, block_size, kv_bytes);
            let graphs_cost = if graphs_subtracted { cuda_graphs } else { 0 };
            let (kv_available, band) = match f.kv_cache_memory_bytes {
                Some(b) => (i128::from(b), 0),
                None => (
                    i128::from(requested)
                        - i128::from(weights)
                        - i128::from(activation)
                        - i128::from(non_torch)
                        - i128::from(graphs_cost),
                    activation / 10 + 256 * MIB + graphs_cost / 2,
                ),
            };
            RankAccount {
                pp_rank: rank as u64,
                kv_needed: kv_needed(&specs, max_model_len, max_num_batched_tokens),
                layers,
                weights,
                activation,
                non_torch,
                cuda_graphs,
                kv_available,
                band,
                kv_specs: specs,
            }
        })
        .collect();
    Ok(Account {
        model_id: s.model_id.to_string(),
        device: s.device.clone(),
        utilization: f.gpu_memory_utilization,
        requested,
        max_model_len,
        max_model_len_auto: auto,
        derived_max_model_len: derived,
        max_num_batched_tokens,
        max_num_seqs,
        block_size,
        kv_bytes_per_element: kv_bytes,
        tp,
        pp,
        graphs_subtracted,
        kv_cache_memory_bytes: f.kv_cache_memory_bytes,
        stages,
    })
}
