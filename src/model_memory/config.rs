//! A Hugging Face `config.json`, reduced to the fields that decide GPU memory (VLLM-MEMORY §5).
//!
//! vLLM reads the same fields through `transformers.PretrainedConfig` (`vllm/config/model.py`,
//! `vllm/transformers_utils/config.py`): layer and head counts, `head_dim` (else
//! `hidden_size / num_attention_heads`), `num_key_value_heads` (else the attention heads),
//! `max_position_embeddings` (the default `--max-model-len`), the sliding window and which
//! layers use it, MLA ranks (DeepSeek V2/V3), MoE expert counts, the checkpoint dtype and its
//! `quantization_config`. Multimodal models nest the language model in `text_config`.

use serde::Deserialize;
use serde_json::Value as Json;

/// Why a `config.json` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json is not valid JSON: {0}")]
    Json(String),
    #[error(
        "config.json has no `{0}` (nor in `text_config`): is this a transformer language model's config?"
    )]
    Missing(&'static str),
    #[error("config.json: `{field}` is {value}, which is not usable ({why})")]
    Invalid {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error(
        "config.json: layer type {0:?} (e.g. linear attention or Mamba) is not accounted yet; give the server's measured need with the stackcheck.dev/gpu-memory-min annotation"
    )]
    UnsupportedLayerType(String),
    #[error(
        "config.json: quantization method {0:?} is not accounted yet (known: fp8, fbgemm_fp8, compressed-tensors, awq, gptq, mxfp4, bitsandbytes)"
    )]
    UnsupportedQuantization(String),
}

/// Attention kind of one decoder layer, which decides its KV cache spec
/// (`FullAttentionSpec` or `SlidingWindowSpec`, `vllm/v1/kv_cache_interface.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    Full,
    Sliding,
}

/// Multi-head latent attention (DeepSeek V2/V3): the KV cache holds one latent of
/// `kv_lora_rank + qk_rope_head_dim` per token and layer (`MLAAttentionSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mla {
    pub kv_lora_rank: u64,
    pub qk_rope_head_dim: u64,
    pub qk_nope_head_dim: u64,
    pub v_head_dim: u64,
    pub q_lora_rank: Option<u64>,
}

/// Mixture of experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moe {
    pub num_experts: u64,
    pub experts_per_token: u64,
    /// Intermediate size of one routed expert.
    pub expert_intermediate: u64,
    /// Intermediate size of the always-on shared expert(s), 0 when none.
    pub shared_intermediate: u64,
    /// Leading layers that keep a dense MLP (DeepSeek's `first_k_dense_replace`).
    pub first_dense_layers: u64,
}

/// How a checkpoint stores its weights (`quantization_config`), or how `--quantization`
/// converts an unquantized one. The rules per method are in [`crate::model_memory::account`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quantization {
    /// 8-bit float weights (`fp8`, `fbgemm_fp8`, compressed-tensors `float` 8 bit).
    Fp8,
    /// 8-bit integer weights (compressed-tensors `int` 8 bit, GPTQ 8 bit).
    Int8,
    /// 4-bit integer weights in groups (`awq`, `gptq`, compressed-tensors W4A16): each group
    /// stores a 16-bit scale and, when `zero_point`, a 4-bit zero.
    Int4 { group_size: u64, zero_point: bool },
    /// OCP MXFP4 experts (gpt-oss): 4-bit values plus one 8-bit scale per 32.
    Mxfp4,
    /// bitsandbytes NF4 (blocks of 64 with a 32-bit absmax).
    Nf4,
}

/// Model class, which decides the activation estimate (VLLM-MEMORY §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelClass {
    Dense,
    Moe,
    Multimodal,
}

/// The fields of a `config.json` that decide memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelConfig {
    pub model_type: String,
    pub num_hidden_layers: u64,
    pub hidden_size: u64,
    pub num_attention_heads: u64,
    pub num_key_value_heads: u64,
    pub head_dim: u64,
    pub intermediate_size: u64,
    pub vocab_size: u64,
    pub tie_word_embeddings: bool,
    pub max_position_embeddings: u64,
    /// The longest context vLLM derives (`_get_and_verify_max_len`, `vllm/config/model.py`):
    /// `max_position_embeddings`, times a `rope_scaling` factor (see `derived_max_len`). This
    /// is vLLM's default `--max-model-len`.
    pub derived_max_model_len: u64,
    pub sliding_window: Option<u64>,
    /// One entry per decoder layer.
    pub layers: Vec<Attention>,
    pub mla: Option<Mla>,
    pub moe: Option<Moe>,
    /// `torch_dtype` (or `dtype`) as written, e.g. `bfloat16`.
    pub torch_dtype: String,
    pub quantization: Option<Quantization>,
    /// Biases on q/k/v (Qwen2) or on every attention projection (gpt-oss).
    pub attention_bias: bool,
    /// Parameters of a vision tower and projector (0 for text-only models), estimated from
    /// `vision_config` as `layers × (4·h² + 2·h·i) + h·text_hidden`.
    pub vision_parameters: u64,
}

#[derive(Debug, Default, Deserialize)]
struct Raw {
    model_type: Option<String>,
    num_hidden_layers: Option<u64>,
    hidden_size: Option<u64>,
    num_attention_heads: Option<u64>,
    num_key_value_heads: Option<u64>,
    head_dim: Option<u64>,
    intermediate_size: Option<u64>,
    vocab_size: Option<u64>,
    tie_word_embeddings: Option<bool>,
    max_position_embeddings: Option<u64>,
    sliding_window: Option<Json>,
    use_sliding_window: Option<bool>,
    sliding_window_pattern: Option<u64>,
    layer_types: Option<Vec<String>>,
    kv_lora_rank: Option<u64>,
    q_lora_rank: Option<u64>,
    qk_rope_head_dim: Option<u64>,
    qk_nope_head_dim: Option<u64>,
    v_head_dim: Option<u64>,
    // Separate fields, not serde aliases: gpt-oss's config.json carries both spellings.
    num_experts: Option<u64>,
    num_local_experts: Option<u64>,
    n_routed_experts: Option<u64>,
    num_experts_per_tok: Option<u64>,
    experts_per_token: Option<u64>,
    moe_intermediate_size: Option<u64>,
    shared_expert_intermediate_size: Option<u64>,
    n_shared_experts: Option<u64>,
    first_k_dense_replace: Option<u64>,
    torch_dtype: Option<String>,
    dtype: Option<String>,
    quantization_config: Option<Json>,
    attention_bias: Option<bool>,
    rope_scaling: Option<Json>,
    /// Vision towers of Qwen2-VL/2.5-VL name their layer count `depth`.
    depth: Option<u64>,
    text_config: Option<Box<Raw>>,
    vision_config: Option<Box<Raw>>,
}

impl ModelConfig {
    /// Parses a `config.json` text.
    pub fn from_json(text: &str) -> Result<ModelConfig, ConfigError> {
        let value: Json =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        Self::from_value(&value)
    }

    /// Parses an already decoded `config.json`.
    pub fn from_value(value: &Json) -> Result<ModelConfig, ConfigError> {
        let raw: Raw =
            serde_json::from_value(value.clone()).map_err(|e| ConfigError::Json(e.to_string()))?;
        from_raw(raw)
    }

    /// Activation class: multimodal when there is a vision tower, MoE when experts route.
    pub fn class(&self) -> ModelClass {
        if self.vision_parameters > 0 {
            ModelClass::Multimodal
        } else if self.moe.is_some() {
            ModelClass::Moe
        } else {
            ModelClass::Dense
        }
    }

    /// KV heads of one tensor-parallel rank: `max(1, kv_heads // tp)`; heads are replicated
    /// when TP exceeds them (`ModelConfig.get_num_kv_heads`, `vllm/config/model.py`).
    pub fn kv_heads_per_rank(&self, tp: u64) -> u64 {
        (self.num_key_value_heads / tp.max(1)).max(1)
    }

    /// Parameter counts by role, for the weight rules of [`crate::model_memory::account`].
    pub fn parameters(&self) -> Parameters {
        let h = self.hidden_size;
        let mut layers = Vec::with_capacity(self.layers.len());
        for i in 0..self.num_hidden_layers {
            let mut quantizable = 0u64;
            let mut other = 0u64;
            // attention projections
            if let Some(m) = self.mla {
                let heads = self.num_attention_heads;
                let qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
                match m.q_lora_rank {
                    Some(r) => {
                        quantizable += h * r + r * heads * qk;
                        other += r;
                    }
                    None => quantizable += h * heads * qk,
                }
                quantizable += h * (m.kv_lora_rank + m.qk_rope_head_dim);
                quantizable += m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim);
                quantizable += heads * m.v_head_dim * h;
                other += m.kv_lora_rank;
            } else {
                let q = self.num_attention_heads * self.head_dim;
                let kv = self.num_key_value_heads * self.head_dim;
                quantizable += h * q + 2 * h * kv + q * h;
                if self.attention_bias {
                    other += q + 2 * kv;
                    if self.model_type == "gpt_oss" {
                        // o_proj bias and the per-head attention sinks
                        other += h + self.num_attention_heads;
                    }
                }
                if matches!(
                    self.model_type.as_str(),
                    "qwen3" | "qwen3_moe" | "gemma3" | "gemma3_text"
                ) {
                    other += 2 * self.head_dim; // q_norm, k_norm
                }
            }
            // MLP or experts
            let mut experts = 0u64;
            match self.moe {
                Some(moe) if i >= moe.first_dense_layers => {
                    experts = moe.num_experts * 3 * h * moe.expert_intermediate;
                    quantizable += experts + 3 * h * moe.shared_intermediate;
                    other += h * moe.num_experts; // router, kept in 16 bit
                    if self.model_type == "gpt_oss" {
                        other += moe.num_experts * (2 * moe.expert_intermediate + h + 1);
                    }
                }
                _ => quantizable += 3 * h * self.intermediate_size,
            }
            // norms: two per layer, four in Gemma 2/3 (pre/post attention and MLP)
            other += if self.model_type.starts_with("gemma") {
                4 * h
            } else {
                2 * h
            };
            layers.push(LayerParameters {
                quantizable,
                experts,
                other,
            });
        }
        let embedding = self.vocab_size * h;
        Parameters {
            embedding,
            lm_head: if self.tie_word_embeddings {
                0
            } else {
                embedding
            },
            layers,
            final_norm: h,
            vision: self.vision_parameters,
        }
    }
}

/// Parameters of one decoder layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerParameters {
    /// Linear weights a quantization method converts (attention and MLP/expert projections).
    pub quantizable: u64,
    /// Of those, the routed experts' (MXFP4 converts only these).
    pub experts: u64,
    /// Norms, biases, MoE routers: kept in 16 bit by every method.
    pub other: u64,
}

/// Parameter counts by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    pub embedding: u64,
    /// 0 when tied to the embedding.
    pub lm_head: u64,
    pub layers: Vec<LayerParameters>,
    pub final_norm: u64,
    pub vision: u64,
}

impl Parameters {
    /// All parameters.
    pub fn total(&self) -> u64 {
        self.embedding
            + self.lm_head
            + self.final_norm
            + self.vision
            + self
                .layers
                .iter()
                .map(|l| l.quantizable + l.other)
                .sum::<u64>()
    }
}

fn from_raw(top: Raw) -> Result<ModelConfig, ConfigError> {
    let vision_raw = top.vision_config.as_deref();
    let vision_hidden = vision_raw.and_then(|v| v.hidden_size);
    let vision_inter = vision_raw.and_then(|v| v.intermediate_size);
    let vision_layers = vision_raw.and_then(|v| v.num_hidden_layers.or(v.depth));
    let top_quant = top.quantization_config.clone();
    let top_dtype = top.torch_dtype.clone().or_else(|| top.dtype.clone());
    let top_type = top.model_type.clone();
    // The language model's fields: `text_config` when the top level lacks them.
    let mut raw = if top.num_hidden_layers.is_none() {
        match top.text_config {
            Some(t) => *t,
            None => return Err(ConfigError::Missing("num_hidden_layers")),
        }
    } else {
        top
    };
    if raw.quantization_config.is_none() {
        raw.quantization_config = top_quant;
    }
    if raw.torch_dtype.is_none() && raw.dtype.is_none() {
        raw.torch_dtype = top_dtype;
    }
    let model_type = raw.model_type.clone().or(top_type).unwrap_or_default();

    let need = |v: Option<u64>, field: &'static str| -> Result<u64, ConfigError> {
        match v {
            Some(0) => Err(ConfigError::Invalid {
                field,
                value: "0".into(),
                why: "must be positive",
            }),
            Some(n) => Ok(n),
            None => Err(ConfigError::Missing(field)),
        }
    };
    let num_hidden_layers = need(raw.num_hidden_layers, "num_hidden_layers")?;
    let hidden_size = need(raw.hidden_size, "hidden_size")?;
    let num_attention_heads = need(raw.num_attention_heads, "num_attention_heads")?;
    let num_key_value_heads = raw.num_key_value_heads.unwrap_or(num_attention_heads);
    let head_dim = match raw.head_dim {
        Some(d) if d > 0 => d,
        _ => hidden_size / num_attention_heads,
    };
    let vocab_size = need(raw.vocab_size, "vocab_size")?;
    let max_position_embeddings = need(raw.max_position_embeddings, "max_position_embeddings")?;
    let intermediate_size = raw.intermediate_size.unwrap_or(0);
    let derived_max_model_len = derived_max_len(raw.rope_scaling.as_ref(), max_position_embeddings);

    let sliding_window = match &raw.sliding_window {
        Some(Json::Number(n)) => n.as_u64().filter(|w| *w > 0),
        _ => None,
    };
    let layers = layer_kinds(&raw, &model_type, num_hidden_layers, sliding_window)?;

    let mla = match (raw.kv_lora_rank, raw.qk_rope_head_dim) {
        (Some(kv_lora_rank), Some(qk_rope_head_dim)) => Some(Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim: raw.qk_nope_head_dim.unwrap_or(head_dim),
            v_head_dim: raw.v_head_dim.unwrap_or(head_dim),
            q_lora_rank: raw.q_lora_rank,
        }),
        _ => None,
    };
    let experts = raw
        .num_experts
        .or(raw.num_local_experts)
        .or(raw.n_routed_experts);
    let moe = match experts {
        Some(e) if e > 1 => {
            let expert_intermediate = raw.moe_intermediate_size.unwrap_or(intermediate_size);
            let shared_intermediate = raw
                .shared_expert_intermediate_size
                .or_else(|| raw.n_shared_experts.map(|n| n * expert_intermediate))
                .unwrap_or(0);
            Some(Moe {
                num_experts: e,
                experts_per_token: raw
                    .num_experts_per_tok
                    .or(raw.experts_per_token)
                    .unwrap_or(1),
                expert_intermediate,
                shared_intermediate,
                first_dense_layers: raw.first_k_dense_replace.unwrap_or(0),
            })
        }
        _ => None,
    };
    let quantization = match &raw.quantization_config {
        Some(q) => parse_quantization(q)?,
        None => None,
    };
    let torch_dtype = raw
        .torch_dtype
        .clone()
        .or_else(|| raw.dtype.clone())
        .unwrap_or_else(|| "bfloat16".into());
    let attention_bias = raw.attention_bias.unwrap_or(false)
        || matches!(model_type.as_str(), "qwen2" | "qwen2_moe" | "gpt_oss");
    let vision_parameters = match (vision_hidden, vision_inter, vision_layers) {
        (Some(vh), Some(vi), Some(vl)) => vl * (4 * vh * vh + 2 * vh * vi) + vh * hidden_size,
        _ => 0,
    };
    Ok(ModelConfig {
        model_type,
        num_hidden_layers,
        hidden_size,
        num_attention_heads,
        num_key_value_heads,
        head_dim,
        intermediate_size,
        vocab_size,
        tie_word_embeddings: raw.tie_word_embeddings.unwrap_or(false),
        max_position_embeddings,
        derived_max_model_len,
        sliding_window,
        layers,
        mla,
        moe,
        torch_dtype,
        quantization,
        attention_bias,
        vision_parameters,
    })
}

/// vLLM's derived maximum length (`_get_and_verify_max_len`, `vllm/config/model.py`):
/// rope scaling of any type but `su`, `longrope` and `llama3` multiplies it by its `factor`
/// (default 1), starting from `original_max_position_embeddings` for `yarn`. Only whole
/// factors are honoured exactly (a fractional one is truncated: the conservative side).
fn derived_max_len(rope: Option<&Json>, max_pos: u64) -> u64 {
    let Some(r) = rope.filter(|r| r.is_object()) else {
        return max_pos;
    };
    let kind = r["rope_type"]
        .as_str()
        .or_else(|| r["type"].as_str())
        .unwrap_or("");
    if matches!(kind, "su" | "longrope" | "llama3") {
        return max_pos;
    }
    // The integer part of the number as written (`4.0` → 4), without going through a float.
    let factor = match &r["factor"] {
        Json::Number(n) => n
            .to_string()
            .split(['.', 'e', 'E'])
            .next()
            .and_then(|i| i.parse::<u64>().ok()),
        _ => None,
    }
    .filter(|f| *f >= 1)
    .unwrap_or(1);
    let base = match (kind, r["original_max_position_embeddings"].as_u64()) {
        ("yarn", Some(orig)) => orig,
        _ => max_pos,
    };
    base * factor
}

/// Which layers slide: `layer_types` when given; Gemma 2 alternates (even layers slide) and
/// Gemma 3 slides on all but every `sliding_window_pattern`-th layer (transformers'
/// `Gemma2Config`/`Gemma3TextConfig` defaults); otherwise a `sliding_window` applies to every
/// layer unless `use_sliding_window` is false (Qwen2/Qwen3 ship the field but disable it).
fn layer_kinds(
    raw: &Raw,
    model_type: &str,
    n: u64,
    window: Option<u64>,
) -> Result<Vec<Attention>, ConfigError> {
    if let Some(types) = &raw.layer_types {
        if types.len() as u64 != n {
            return Err(ConfigError::Invalid {
                field: "layer_types",
                value: format!("{} entries", types.len()),
                why: "needs one per hidden layer",
            });
        }
        return types
            .iter()
            .map(|t| match t.as_str() {
                "full_attention" | "attention" => Ok(Attention::Full),
                "sliding_attention" => match window {
                    Some(_) => Ok(Attention::Sliding),
                    None => Err(ConfigError::Missing("sliding_window")),
                },
                other => Err(ConfigError::UnsupportedLayerType(other.to_string())),
            })
            .collect();
    }
    let Some(_) = window else {
        return Ok(vec![Attention::Full; n as usize]);
    };
    if raw.use_sliding_window == Some(false) {
        return Ok(vec![Attention::Full; n as usize]);
    }
    Ok((0..n)
        .map(|i| match model_type {
            "gemma2" => {
                if i % 2 == 0 {
                    Attention::Sliding
                } else {
                    Attention::Full
                }
            }
            "gemma3" | "gemma3_text" => {
                let p = raw.sliding_window_pattern.unwrap_or(6).max(1);
                if (i + 1) % p != 0 {
                    Attention::Sliding
                } else {
                    Attention::Full
                }
            }
            _ => Attention::Sliding,
        })
        .collect())
}

/// A checkpoint's `quantization_config` → its weight format.
pub fn parse_quantization(q: &Json) -> Result<Option<Quantization>, ConfigError> {
    let method = q["quant_method"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    let group = |v: &Json| match v.as_i64() {
        Some(g) if g > 0 => g as u64,
        // -1: one group per output channel; a very large group stores almost no scales
        Some(_) => u64::MAX / 64,
        None => 128,
    };
    Ok(Some(match method.as_str() {
        "fp8" | "fbgemm_fp8" | "modelopt" => Quantization::Fp8,
        "awq" => Quantization::Int4 {
            group_size: group(&q["group_size"]),
            zero_point: q["zero_point"].as_bool().unwrap_or(true),
        },
        // GPTQ always stores packed zeros (`qzeros`), symmetric or not.
        "gptq" => match q["bits"].as_u64().unwrap_or(4) {
            8 => Quantization::Int8,
            4 => Quantization::Int4 {
                group_size: group(&q["group_size"]),
                zero_point: true,
            },
            b => {
                return Err(ConfigError::Invalid {
                    field: "quantization_config.bits",
                    value: b.to_string(),
                    why: "GPTQ with 4 or 8 bits is accounted",
                });
            }
        },
        "mxfp4" => Quantization::Mxfp4,
        "bitsandbytes" => {
            if q["load_in_8bit"].as_bool().unwrap_or(false) {
                Quantization::Int8
            } else {
                Quantization::Nf4
            }
        }
        "compressed-tensors" => {
            let groups = q["config_groups"].as_object();
            let weights = groups
                .and_then(|g| g.values().next())
                .map(|g| &g["weights"])
                .ok_or(ConfigError::Missing("quantization_config.config_groups"))?;
            let bits = weights["num_bits"].as_u64().unwrap_or(8);
            let kind = weights["type"].as_str().unwrap_or("int");
            match (bits, kind) {
                (8, "float") => Quantization::Fp8,
                (8, _) => Quantization::Int8,
                (4, "int") => Quantization::Int4 {
                    group_size: group(&weights["group_size"]),
                    zero_point: !weights["symmetric"].as_bool().unwrap_or(true),
                },
                _ => {
                    return Err(ConfigError::UnsupportedQuantization(format!(
                        "compressed-tensors {bits}-bit {kind}"
                    )));
                }
            }
        }
        "" => return Ok(None),
        other => return Err(ConfigError::UnsupportedQuantization(other.to_string())),
    }))
}
