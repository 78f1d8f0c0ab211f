//! The optional state file: every acknowledged write is on disk before its answer leaves.
//!
//! A write serialises the whole store while it still holds the store lock and offers that
//! snapshot here, tagged with the store version. Then, off the async threads, it makes sure a
//! snapshot at least that new is on disk: one file write at a time (a std mutex held across the
//! whole write), and a writer that finds a newer snapshot waiting writes that one, so a burst of
//! writes shares few disk writes (group commit). Each disk write goes to `PATH.tmp`, is synced,
//! renamed over `PATH`, and the directory is synced, so the file is always one whole snapshot.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    /// The newest snapshot offered: (store version, bytes).
    latest: Mutex<(u64, Arc<Vec<u8>>)>,
    /// The store version on disk. Held for the whole of a file write.
    written: Mutex<u64>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            latest: Mutex::new((0, Arc::new(Vec::new()))),
            written: Mutex::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state file, if there is one.
    pub fn load(&self) -> io::Result<Option<Vec<u8>>> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records the snapshot of store version `version`; call it under the store lock.
    pub fn offer(&self, version: u64, bytes: Vec<u8>) {
        let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        if version > latest.0 {
            *latest = (version, Arc::new(bytes));
        }
    }

    /// Marks `version` as already on disk (after loading the file at start).
    pub fn mark_written(&self, version: u64) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        *written = (*written).max(version);
    }

    /// Returns once a snapshot of version `version` or newer is on disk.
    pub async fn persist_through(self: &Arc<Self>, version: u64) -> io::Result<()> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.persist_blocking(version))
            .await
            .map_err(io::Error::other)?
    }

    fn persist_blocking(&self, version: u64) -> io::Result<()> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if *written >= version {
            return Ok(());
        }
        let (newest, bytes) = {
            let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
            (latest.0, Arc::clone(&latest.1))
        };
        if newest < version {
            return Err(io::Error::other(format!(
                "internal: snapshot {version} was never offered (newest is {newest})"
            )));
        }
        write_atomically(&self.path, &bytes)?;
        *written = newest;
        Ok(())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Makes the rename itself durable.
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn newest_snapshot_wins_and_old_versions_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = Arc::new(Persister::new(dir.path().join("state.json")));
        assert!(p.load().unwrap().is_none());
        p.offer(1, b"one".to_vec());
        p.offer(2, b"two".to_vec());
        p.offer(1, b"stale".to_vec());
        p.persist_through(1).await.unwrap();
        assert_eq!(p.load().unwrap().unwrap(), b"two");
        p.persist_through(2).await.unwrap();
        assert!(p.persist_through(3).await.is_err());
        assert!(!dir.path().join("state.json.tmp").exists());
    }
}
