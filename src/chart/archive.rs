//! Packed charts (`.tgz`), read into memory with a size bound (Helm refuses archives that
//! decompress past 100 MiB too).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ChartError, ChartFiles, Location};

const MAX_DECOMPRESSED: u64 = 100 * 1024 * 1024;

pub(crate) struct ArchiveFiles {
    archive: PathBuf,
    /// `chart/` or `chart/charts/sub/` inside the archive.
    prefix: String,
    files: Arc<BTreeMap<String, Vec<u8>>>,
}

impl ArchiveFiles {
    pub fn open(path: &Path) -> Result<Self, ChartError> {
        let bytes = std::fs::read(path).map_err(|e| ChartError::Read {
            path: path.display().to_string(),
            message: crate::values::io_message(&e),
        })?;
        Self::from_bytes(path.to_path_buf(), &bytes)
    }

    fn from_bytes(archive: PathBuf, bytes: &[u8]) -> Result<Self, ChartError> {
        let err = |message: String| ChartError::Archive {
            path: archive.display().to_string(),
            message,
        };
        let decoder = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED + 1);
        let mut tar = tar::Archive::new(decoder);
        let mut files = BTreeMap::new();
        let mut total: u64 = 0;
        for entry in tar.entries().map_err(|e| err(e.to_string()))? {
            let mut entry = entry.map_err(|e| err(e.to_string()))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry
                .path()
                .map_err(|e| err(e.to_string()))?
                .to_string_lossy()
                .replace('\\', "/");
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| err(e.to_string()))?;
            total += data.len() as u64;
            if total > MAX_DECOMPRESSED {
                return Err(err(format!(
                    "decompresses to more than {} MiB",
                    MAX_DECOMPRESSED / 1024 / 1024
                )));
            }
            files.insert(name, data);
        }
        let prefix = files
            .keys()
            .find_map(|k| {
                k.strip_suffix("Chart.yaml")
                    .filter(|p| p.matches('/').count() == 1)
                    .map(str::to_string)
            })
            .ok_or_else(|| err("no <chart>/Chart.yaml inside".into()))?;
        Ok(ArchiveFiles {
            archive,
            prefix,
            files: Arc::new(files),
        })
    }
}

impl ChartFiles for ArchiveFiles {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, ChartError> {
        Ok(self.files.get(&format!("{}{rel}", self.prefix)).cloned())
    }

    fn subcharts(&self) -> Result<Vec<Box<dyn ChartFiles>>, ChartError> {
        let charts = format!("{}charts/", self.prefix);
        let mut out: Vec<Box<dyn ChartFiles>> = Vec::new();
        for (key, data) in self.files.range(charts.clone()..) {
            let Some(rest) = key.strip_prefix(&charts) else {
                break;
            };
            if let Some(dir) = rest
                .strip_suffix("/Chart.yaml")
                .filter(|d| !d.contains('/'))
            {
                out.push(Box::new(ArchiveFiles {
                    archive: self.archive.clone(),
                    prefix: format!("{charts}{dir}/"),
                    files: self.files.clone(),
                }));
            } else if !rest.contains('/') && rest.ends_with(".tgz") {
                out.push(Box::new(ArchiveFiles::from_bytes(
                    self.archive.join(rest),
                    data,
                )?));
            }
        }
        Ok(out)
    }

    fn location(&self) -> Location {
        Location::Archive {
            archive: self.archive.clone(),
            inner: self.prefix.trim_end_matches('/').to_string(),
        }
    }

    fn label(&self, rel: &str) -> String {
        format!("{}:{}{rel}", self.archive.display(), self.prefix)
    }
}
