//! Helpers shared by unit tests.

use std::path::Path;

/// Write `text` to `dir/rel`, creating directories (fixture charts).
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
