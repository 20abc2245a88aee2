//! Will vLLM start? Its own decision and message, an `uncertain` band, and advice.
//!
//! vLLM refuses to start when a worker has no memory for KV blocks, or less than one request
//! of `max_model_len` needs (`_check_enough_kv_cache_memory`, `vllm/v1/core/kv_cache_utils.py`,
//! checked for every worker); a server sharing a GPU refuses when the device's free memory is
//! below its `utilization × total` (`Worker.init_device`, `vllm/v1/worker/gpu_worker.py`).
//! The messages are vLLM's own wording (current main, typo "models's" included) so that a
//! user can search for what they will see in the pod's log.

use super::account::{
    Account, AccountError, RankAccount, Setup, account, estimate_max_model_len, kv_needed,
};
use super::gpus::Device;
use super::{GIB, Ratio, format_gib};

/// What a user can change: the largest `--max-model-len` that fits (as vLLM estimates it:
/// block-rounded by the same binary search) and how many requests fit at once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    /// Largest length whose KV fits the available memory, up to the model's derived maximum;
    /// 0 when not even one block fits.
    pub largest_max_model_len: u64,
    /// Requests of [`Advice::largest_max_model_len`] tokens that fit at once (≥ 1 when > 0).
    pub sequences_at_largest: u64,
    /// Requests of the configured `max_model_len` that fit at once (0 when none does).
    pub sequences_at_max_model_len: u64,
}

/// The verdict for a deployment (the worst of its ranks).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(
    tag = "verdict",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Verdict {
    /// vLLM starts; with `--max-model-len auto`, `max_model_len` is the length it picks.
    Fits { max_model_len: u64, advice: Advice },
    /// vLLM refuses to start with `message` (its own text).
    DoesNotFit {
        pp_rank: u64,
        message: String,
        advice: Advice,
    },
    /// The margin (`kv_available − kv_needed`, bytes) is inside the estimates' error band.
    Uncertain {
        pp_rank: u64,
        margin: i128,
        band: u64,
        advice: Advice,
    },
}

impl Verdict {
    /// Short name for reports: `fits`, `does-not-fit`, `uncertain`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Fits { .. } => "fits",
            Verdict::DoesNotFit { .. } => "does-not-fit",
            Verdict::Uncertain { .. } => "uncertain",
        }
    }
}

/// vLLM's message when nothing is left for the KV cache.
pub fn no_available_memory_message() -> String {
    "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when \
     initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ \
     for more details."
        .to_string()
}

/// vLLM's message when one request of `max_model_len` does not fit (`estimated` omitted
/// when 0, as vLLM omits it).
pub fn max_seq_len_message(
    max_model_len: u64,
    needed: u64,
    available: i128,
    estimated: u64,
) -> String {
    let estimated_msg = if estimated > 0 {
        format!(
            "Based on the available memory, the estimated maximum model length is {estimated}. "
        )
    } else {
        String::new()
    };
    format!(
        "To serve at least one request with the models's max seq len ({max_model_len}), ({} GiB KV \
         cache is needed, which is larger than the available KV cache memory ({} GiB). {estimated_msg}\
         Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing \
         the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more \
         details.",
        format_gib(i128::from(needed)),
        format_gib(available),
    )
}

/// Advice for one rank.
pub fn advice(account: &Account, rank: &RankAccount) -> Advice {
    let t = account.max_num_batched_tokens;
    let largest = estimate_max_model_len(
        &rank.kv_specs,
        rank.kv_available,
        account.derived_max_model_len,
        t,
    );
    let per = |len: u64| -> u64 {
        let need = kv_needed(&rank.kv_specs, len, t);
        if need == 0 || rank.kv_available <= 0 {
            0
        } else {
            (rank.kv_available / i128::from(need)) as u64
        }
    };
    Advice {
        largest_max_model_len: largest,
        sequences_at_largest: if largest > 0 { per(largest) } else { 0 },
        sequences_at_max_model_len: per(account.max_model_len),
    }
}

/// vLLM's decision for one rank.
pub fn rank_verdict(account: &Account, rank: &RankAccount) -> Verdict {
    let adv = advice(account, rank);
    let band = i128::from(rank.band);
    let avail = rank.kv_available;
    let pp_rank = rank.pp_rank;
    if let Some(kv) = account.kv_cache_memory_bytes {
        // No profiling: the KV budget is given; the GPU must still hold everything.
        let total_need = rank.weights + rank.activation + rank.non_torch + rank.cuda_graphs + kv;
        if total_need > account.device.total {
            return Verdict::DoesNotFit {
                pp_rank,
                message: format!(
                    "CUDA out of memory expected: weights {} + activation {} + non-torch {} + CUDA graphs {} + --kv-cache-memory-bytes {} = {} GiB, more than the GPU's {} GiB",
                    format_gib(i128::from(rank.weights)),
                    format_gib(i128::from(rank.activation)),
                    format_gib(i128::from(rank.non_torch)),
                    format_gib(i128::from(rank.cuda_graphs)),
                    format_gib(i128::from(kv)),
                    format_gib(i128::from(total_need)),
                    format_gib(i128::from(account.device.total)),
                ),
                advice: adv,
            };
        }
    }
    if avail <= 0 {
        if avail + band > 0 {
            return Verdict::Uncertain {
                pp_rank,
                margin: avail,
                band: rank.band,
                advice: adv,
            };
        }
        return Verdict::DoesNotFit {
            pp_rank,
            message: no_available_memory_message(),
            advice: adv,
        };
    }
    if account.max_model_len_auto {
        // `--max-model-len auto`: vLLM shrinks the length to what fits.
        return if adv.largest_max_model_len == 0 {
            Verdict::DoesNotFit {
                pp_rank,
                message: no_available_memory_message(),
                advice: adv,
            }
        } else {
            Verdict::Fits {
                max_model_len: adv.largest_max_model_len,
                advice: adv,
            }
        };
    }
    let needed = i128::from(rank.kv_needed);
    let margin = avail - needed;
    if margin < 0 {
        if margin + band >= 0 {
            return Verdict::Uncertain {
                pp_rank,
                margin,
                band: rank.band,
                advice: adv,
            };
        }
        let estimated = estimate_max_model_len(
            &rank.kv_specs,
            avail,
            account.max_model_len,
            account.max_num_batched_tokens,
        );
        return Verdict::DoesNotFit {
            pp_rank,
            message: max_seq_len_message(account.max_model_len, rank.kv_needed, avail, estimated),
            advice: adv,
        };
    }
    if margin < band {
        return Verdict::Uncertain {
            pp_rank,
            margin,
            band: rank.band,
            advice: adv,
        };
    }
    Verdict::Fits {
        max_model_len: account.max_model_len,
        advice: adv,
    }
}

/// The deployment's verdict: the first rank that does not fit, else the first uncertain one,
/// else fits (with the tightest rank's advice).
pub fn decide(account: &Account) -> Verdict {
    let verdicts: Vec<Verdict> = account
        .stages
        .iter()
        .map(|r| rank_verdict(account, r))
        .collect();
    if let Some(v) = verdicts
        .iter()
        .find(|v| matches!(v, Verdict::DoesNotFit { .. }))
    {
        return v.clone();
    }
    if let Some(v) = verdicts
        .iter()
        .find(|v| matches!(v, Verdict::Uncertain { .. }))
    {
        return v.clone();
    }
    verdicts
        .into_iter()
        .min_by_key(|v| match v {
            Verdict::Fits { advice, .. } => advice.largest_max_model_len,
            _ => 0,
        })
        .unwrap_or(Verdict::Fits {
            max_model_len: account.max_model_len,
            advice: Advice {
                largest_max_model_len: 0,
                sequences_at_largest: 0,
                sequences_at_max_model_len: 0,
            },
        })
}

/// One server's start on a shared (time-sliced) GPU.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedStart {
    /// Position in start order.
    pub index: usize,
    pub starts: bool,
    /// Free memory when it starts (total minus what the servers started before it hold).
    pub free: u64,
    /// `utilization × total`.
    pub requested: u64,
    /// vLLM's refusal, when it does not start.
    pub message: Option<String>,
}

/// vLLM's free-memory check for servers started one after another on one GPU (time-slicing,
/// or several containers given the same device): each reserves `utilization × total`, and a
/// server whose request exceeds the memory still free refuses to start. So utilizations that
/// add up to more than 1 cannot all start; the later ones fail. (Each process's CUDA context
/// also takes a few hundred MiB outside the request, so even a sum of exactly 1 fails in
/// practice; that is not counted here.)
pub fn shared_gpu(total: u64, utilizations: &[Ratio]) -> Vec<SharedStart> {
    let mut held: u64 = 0;
    utilizations
        .iter()
        .enumerate()
        .map(|(index, u)| {
            let requested = u.of(total);
            let free = total.saturating_sub(held);
            let starts = free >= requested;
            if starts {
                held += requested;
            }
            SharedStart {
                index,
                starts,
                free,
                requested,
                message: (!starts).then(|| {
                    format!(
                        "Free memory on device cuda:0 ({}/{} GiB) on startup is less than desired GPU memory utilization ({u}, {} GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.",
                        format_gib(i128::from(free)),
                        format_gib(i128::from(total)),
                        format_gib(i128::from(requested)),
                    )
                }),
            }
        })
        .collect()
}

/// `bytes` as GiB with two decimals (for explanations; vLLM's own rounding is [`format_gib`]).
pub fn gib2(bytes: i128) -> String {
    let neg = bytes < 0;
    let b = bytes.unsigned_abs();
    let h = (b * 100 + u128::from(GIB) / 2) / u128::from(GIB);
    format!("{}{}.{:02}", if neg { "-" } else { "" }, h / 100, h % 100)
}

/// The smallest deployment among `devices` (the cluster's GPU kinds) and tensor-parallel
/// sizes 1, 2, 4, 8 (up to `max_gpus`, the most GPUs one node offers) that fits: the least
/// total GPU memory (`tp × device total`), fewer GPUs first on ties. The flags stay as given
/// apart from `--tensor-parallel-size`. `None` when nothing fits.
pub fn smallest_fit(
    setup: &Setup<'_>,
    devices: &[Device],
    max_gpus: u64,
) -> Result<Option<(Device, u64)>, AccountError> {
    let mut options: Vec<(u128, u64, &Device)> = Vec::new();
    for d in devices {
        for tp in [1u64, 2, 4, 8] {
            if tp <= max_gpus && setup.model.num_attention_heads.is_multiple_of(tp) {
                options.push((u128::from(d.total) * u128::from(tp), tp, d));
            }
        }
    }
    options.sort_by_key(|(mem, tp, _)| (*mem, *tp));
    for (_, tp, d) in options {
        let mut flags = setup.flags.clone();
        flags.tensor_parallel_size = tp;
        let s = Setup {
            flags: &flags,
            device: d,
            ..setup.clone()
        };
        let a = account(&s)?;
        if matches!(decide(&a), Verdict::Fits { .. }) {
            return Ok(Some((d.clone(), tp)));
        }
    }
    Ok(None)
}
