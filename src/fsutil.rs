//! File I/O at the edge shared by the commands that write files.

use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` through a temporary file in the same directory (synced, then renamed
/// over `path`): readers never see a half-written file, and a failure leaves the old one intact.
/// The result keeps the mode of the file it replaces (a tracked 0644 schema stays 0644); a new
/// file gets 0644 less the umask, as Helm's own writes do, so that a web server running as
/// another user can serve a published chart. Callers map the error into their own, naming `path`.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = match std::fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut tmp = new_file_builder().tempfile_in(dir)?;
    if let Some(permissions) = existing {
        // Set explicitly: the umask applies only at creation, and the old mode is what the
        // user chose for this file.
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A temporary file created with mode 0644 (the kernel applies the umask), instead of
/// `tempfile`'s private 0600, which a rename would otherwise carry to the target.
fn new_file_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        atomic_write(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Regression (issue 17, item 7): `schema --write` turned tracked 0644 files into 0600 and
    /// `publish` wrote packages and `index.yaml` 0600.
    #[cfg(unix)]
    #[test]
    fn keeps_an_existing_mode_and_gives_new_files_0644_less_the_umask() {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let tracked = dir.path().join("values.schema.json");
        std::fs::write(&tracked, "{}").unwrap();
        std::fs::set_permissions(&tracked, std::fs::Permissions::from_mode(0o664)).unwrap();
        atomic_write(&tracked, b"{ }").unwrap();
        assert_eq!(mode(&tracked), 0o664);
        let script = dir.path().join("run.sh");
        std::fs::write(&script, "").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
        atomic_write(&script, b"true").unwrap();
        assert_eq!(mode(&script), 0o750);
        // A new file: what the kernel gives a 0644 create under this process's umask, which
        // is what `touch`-like tools and Helm give it too.
        let probe = dir.path().join("probe");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&probe)
            .unwrap();
        let fresh = dir.path().join("index.yaml");
        atomic_write(&fresh, b"apiVersion: v1").unwrap();
        assert_eq!(mode(&fresh), mode(&probe));
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = atomic_write(&dir.path().join("no/such/dir/out.txt"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
