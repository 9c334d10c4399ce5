//! Files and folders only the service's own user may read: the data folder, the SQLite file, the
//! generated secrets, the local object store and its objects. Created with their mode (0700
//! folders, 0600 files) whatever the umask, never loosened then tightened; an existing one that
//! grants anything to group or others is tightened at start (data of an older install).

use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Mode bits for group and others.
#[cfg(unix)]
const GROUP_OTHER: u32 = 0o077;

/// Creates `dir` (and missing parents) as 0700; tightens it if it exists and is open to others.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(dir)?;
    tighten(dir, 0o700)
}

/// Creates `path` as a new 0600 file holding `contents` (fails if it exists).
pub fn write_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)?.write_all(contents)
}

/// Makes sure `path` exists as a 0600 file, creating it empty if needed (an empty file is an
/// empty SQLite database: SQLite then keeps its mode, and gives its `-wal` and `-shm` files the
/// same one).
pub fn touch(path: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)?;
    tighten(path, 0o600)
}

/// Sets `mode` on an existing `path` that grants group or others anything.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let current = std::fs::metadata(path)?.permissions().mode();
        if current & GROUP_OTHER != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Tightens an object just written under `root` and the folders between: 0600 and 0700. The
/// local store (object_store's `LocalFileSystem`) creates them with the umask's modes; `root`
/// itself is 0700, so nothing inside was reachable by others in between.
pub fn tighten_object(root: &Path, file: &Path) -> std::io::Result<()> {
    tighten(file, 0o600)?;
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(root) && *d != root) {
        tighten(d, 0o700)?;
        dir = d.parent();
    }
    Ok(())
}
