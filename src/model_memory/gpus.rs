//! GPU memory by product, for nodes without GPU Feature Discovery's `nvidia.com/gpu.memory`.
//!
//! vLLM sizes everything from `torch.cuda.mem_get_info()`'s total (`MemorySnapshot`,
//! `vllm/utils/mem_utils.py`), which is *less* than the marketing size and less than
//! `nvidia-smi`'s MiB (that GFD copies into `nvidia.com/gpu.memory`): the driver reserves some.
//! So each product carries both: `smi_mib` (what GFD labels) and, where a public log shows it,
//! `torch_bytes` (the total torch reports, as printed in PyTorch's "GiB total capacity" OOM
//! message and vLLM's "Free memory on device (free/total GiB)" message). [`GpuProduct::total`]
//! prefers the torch figure.
//!
//! Sources: H100 79.18 GiB — llm-d `config_explorer/empirical-vllm-memory-results.md`
//! (vLLM log "Free memory on device 78.57/79.18 GiB"); A100-80GB 79.15, A100-40GB 39.39, A10/A10G
//! 22.20, T4 14.75, V100-16GB 15.78 GiB — PyTorch "CUDA out of
//! memory … (GPU 0; N GiB total capacity …)" messages in public issue threads and logs; the
//! `nvidia-smi` MiB are NVIDIA's (the `memory.total` each product reports, as GFD labels it).

use super::{GIB, MIB};

/// A GPU product's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuProduct {
    /// Product names as GFD's `nvidia.com/gpu.product` spells them (first = canonical).
    pub names: &'static [&'static str],
    /// `nvidia-smi`'s `memory.total` in MiB (= GFD's `nvidia.com/gpu.memory`).
    pub smi_mib: u64,
    /// Total as torch reports it, in hundredths of a GiB, where a public log shows it.
    pub torch_centi_gib: Option<u64>,
}

impl GpuProduct {
    /// Bytes vLLM will see as the device's total: the torch figure when known, else the
    /// `nvidia-smi` MiB (an over-estimate of up to ~1 %, stated by [`GpuProduct::exact`]).
    pub fn total(&self) -> u64 {
        match self.torch_centi_gib {
            Some(c) => c * GIB / 100,
            None => self.smi_mib * MIB,
        }
    }

    /// Whether [`GpuProduct::total`] is torch's own figure.
    pub fn exact(&self) -> bool {
        self.torch_centi_gib.is_some()
    }

    /// The canonical product name (also what vLLM's `get_device_name()` contains).
    pub fn name(&self) -> &'static str {
        self.names[0]
    }
}

/// Known products. Names follow GFD's `nvidia.com/gpu.product` (`NVIDIA-A100-SXM4-80GB`);
/// [`product`] matches case-insensitively and ignores a leading `NVIDIA-`/`NVIDIA `.
pub const PRODUCTS: &[GpuProduct] = &[
    GpuProduct {
        names: &["A10", "NVIDIA-A10", "A10G", "NVIDIA-A10G"],
        smi_mib: 23028,
        torch_centi_gib: Some(2220),
    },
    GpuProduct {
        names: &["A100-SXM4-40GB", "A100-PCIE-40GB", "A100-40GB"],
        smi_mib: 40960,
        torch_centi_gib: Some(3939),
    },
    GpuProduct {
        names: &[
            "A100-SXM4-80GB",
            "A100-80GB-PCIe",
            "A100-PCIE-80GB",
            "A100-80GB",
        ],
        smi_mib: 81920,
        torch_centi_gib: Some(7915),
    },
    GpuProduct {
        names: &[
            "H100-80GB-HBM3",
            "H100-SXM5-80GB",
            "H100-80GB",
            "H100-PCIe",
            "H100",
        ],
        smi_mib: 81559,
        torch_centi_gib: Some(7918),
    },
    GpuProduct {
        names: &["H100-NVL", "H100-NVL-94GB"],
        smi_mib: 95830,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["H200", "H200-141GB", "H200-NVL"],
        smi_mib: 143771,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["L4"],
        smi_mib: 23034,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["L40S", "L40"],
        smi_mib: 46068,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["T4", "Tesla-T4"],
        smi_mib: 15360,
        torch_centi_gib: Some(1475),
    },
    GpuProduct {
        names: &["V100-SXM2-16GB", "Tesla-V100-SXM2-16GB", "V100-16GB"],
        smi_mib: 16384,
        torch_centi_gib: Some(1578),
    },
    GpuProduct {
        names: &["RTX-A6000", "A6000"],
        smi_mib: 49140,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["GeForce-RTX-4090", "RTX-4090"],
        smi_mib: 24564,
        torch_centi_gib: None,
    },
    GpuProduct {
        names: &["B200"],
        smi_mib: 183359,
        torch_centi_gib: None,
    },
];

/// Looks a product up by name (`A100-SXM4-80GB`, `NVIDIA-A100-SXM4-80GB`, `nvidia a10`).
pub fn product(name: &str) -> Option<&'static GpuProduct> {
    let norm = |s: &str| {
        let s = s.trim().to_ascii_lowercase().replace(' ', "-");
        s.strip_prefix("nvidia-").map(str::to_string).unwrap_or(s)
    };
    let wanted = norm(name);
    PRODUCTS
        .iter()
        .find(|p| p.names.iter().any(|n| norm(n) == wanted))
}

/// One GPU device as vLLM sees it: its name (vLLM's per-GPU defaults test it for `a100`) and
/// total memory in bytes (for a MIG device, the slice's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    pub name: String,
    pub total: u64,
}

impl Device {
    /// A whole GPU of a known product.
    pub fn of(product: &GpuProduct) -> Device {
        Device {
            name: product.name().to_string(),
            total: product.total(),
        }
    }

    /// From GFD labels: `nvidia.com/gpu.product` and `nvidia.com/gpu.memory` (MiB). A product
    /// in [`PRODUCTS`] with a torch figure uses that figure (the label is `nvidia-smi`'s,
    /// slightly more than torch sees); others use the label.
    pub fn from_labels(product_label: &str, memory_mib: Option<u64>) -> Option<Device> {
        let known = product(product_label);
        let total = match (known, memory_mib) {
            (Some(p), Some(mib)) if p.exact() && mib == p.smi_mib => p.total(),
            (_, Some(mib)) => mib * MIB,
            (Some(p), None) => p.total(),
            (None, None) => return None,
        };
        Some(Device {
            name: product_label.to_string(),
            total,
        })
    }

    /// A MIG slice: its own memory (GFD's `nvidia.com/mig-<profile>.memory`, MiB); the name
    /// keeps the parent product (vLLM reports e.g. "NVIDIA A100-SXM4-80GB MIG 3g.40gb").
    pub fn mig(parent_product: &str, profile: &str, slice_mib: u64) -> Device {
        Device {
            name: format!("{parent_product} MIG {profile}"),
            total: slice_mib * MIB,
        }
    }
}
