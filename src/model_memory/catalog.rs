//! Bundled configurations of popular open models and checkpoints (`models.json`).
//!
//! Each entry is the memory-deciding part of the model's hub `config.json` (its `source`), the
//! published parameter count (a test checks that the count derived from the config agrees),
//! and for quantized checkpoints the base model plus the checkpoint's `quantization_config`.
//! Weight bytes are not stored: [`crate::model_memory::account`] derives them from the
//! parameter roles and the quantization rules, so a rule is fixed in one place.
//!
//! Lookup is by Hugging Face id, case-insensitive; a local path matches by its basename
//! (`/models/Qwen3-8B`) and a hub cache directory by its encoded id (`models--Qwen--Qwen3-8B`).
//! Anything else is [`CatalogError::UnknownModel`], which says what to provide instead.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;

use super::config::{ConfigError, ModelConfig};

const MODELS_JSON: &str = include_str!("models.json");

/// A model or checkpoint of the catalog.
#[derive(Debug, Clone)]
pub struct CatalogModel {
    /// Hugging Face id, as the hub spells it.
    pub id: String,
    /// The hub `config.json` page the fields come from.
    pub source: String,
    /// Published parameter count.
    pub parameters: u64,
    /// For quantized checkpoints: the model they quantize.
    pub base: Option<String>,
    /// Remarks (checkpoint format, dtype quirks).
    pub note: Option<String>,
    pub config: ModelConfig,
}

/// Why a model could not be found or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error(
        "unknown model {0:?}: stackcheck bundles {1} popular models but not this one; provide its config.json (the stackcheck.dev/model-config annotation naming a ConfigMap of the release with a config.json key, or --model-config FILE), or state the need with stackcheck.dev/gpu-memory-min"
    )]
    UnknownModel(String, usize),
    #[error("bundled model {id}: {source}")]
    Config { id: String, source: ConfigError },
    #[error("bundled models.json: {0}")]
    Data(String),
}

#[derive(Deserialize)]
struct RawCatalog {
    models: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    id: String,
    source: String,
    parameters: u64,
    base: Option<String>,
    config: Option<Json>,
    quantization_config: Option<Json>,
    note: Option<String>,
}

fn load() -> Result<Vec<CatalogModel>, CatalogError> {
    let raw: RawCatalog =
        serde_json::from_str(MODELS_JSON).map_err(|e| CatalogError::Data(e.to_string()))?;
    let mut configs: Vec<(String, Json)> = Vec::new();
    let mut out = Vec::with_capacity(raw.models.len());
    for entry in raw.models {
        let mut config = match (&entry.config, &entry.base) {
            (Some(c), _) => c.clone(),
            (None, Some(base)) => configs
                .iter()
                .find(|(id, _)| id == base)
                .map(|(_, c)| c.clone())
                .ok_or_else(|| {
                    CatalogError::Data(format!("{}: base {base} is not listed before it", entry.id))
                })?,
            (None, None) => {
                return Err(CatalogError::Data(format!(
                    "{}: neither config nor base",
                    entry.id
                )));
            }
        };
        if let (Some(q), Some(obj)) = (&entry.quantization_config, config.as_object_mut()) {
            obj.insert("quantization_config".into(), q.clone());
        }
        let parsed = ModelConfig::from_value(&config).map_err(|source| CatalogError::Config {
            id: entry.id.clone(),
            source,
        })?;
        configs.push((entry.id.clone(), config));
        out.push(CatalogModel {
            id: entry.id,
            source: entry.source,
            parameters: entry.parameters,
            base: entry.base,
            note: entry.note,
            config: parsed,
        });
    }
    Ok(out)
}

/// Every bundled model (parsed once).
pub fn models() -> Result<&'static [CatalogModel], CatalogError> {
    static CATALOG: OnceLock<Result<Vec<CatalogModel>, CatalogError>> = OnceLock::new();
    match CATALOG.get_or_init(load) {
        Ok(v) => Ok(v.as_slice()),
        Err(e) => Err(e.clone()),
    }
}

/// Finds a model by what a server was given as its model: a hub id (any case), a local path
/// whose last component is the model's name, or a hub cache directory `models--org--name`.
pub fn lookup(model: &str) -> Result<&'static CatalogModel, CatalogError> {
    let all = models()?;
    let wanted = model.trim().trim_end_matches('/');
    let lower = wanted.to_ascii_lowercase();
    if let Some(m) = all.iter().find(|m| m.id.to_ascii_lowercase() == lower) {
        return Ok(m);
    }
    // hub cache layout: .../models--Qwen--Qwen3-8B[/snapshots/<hash>]
    if let Some(pos) = lower.find("models--") {
        let rest = &lower[pos + "models--".len()..];
        let dir = rest.split('/').next().unwrap_or(rest);
        let id = dir.replacen("--", "/", 1);
        if let Some(m) = all.iter().find(|m| m.id.to_ascii_lowercase() == id) {
            return Ok(m);
        }
    }
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    let mut found = all
        .iter()
        .filter(|m| m.id.to_ascii_lowercase().rsplit('/').next() == Some(base));
    match (found.next(), found.next()) {
        (Some(m), None) => Ok(m),
        _ => Err(CatalogError::UnknownModel(wanted.to_string(), all.len())),
    }
}
