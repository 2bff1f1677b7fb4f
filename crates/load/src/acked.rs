//! The file of acknowledged confirmation codes: one code a line, appended only after the
//! server acknowledged it and synced to disk within a few milliseconds (the lines acknowledged
//! together are written together, then synced), so every code in the file was acknowledged by
//! the server and must be on its board, whatever crashes later.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{LoadError, Result};

/// Appends codes to the file from a thread of its own: it writes the codes acknowledged within
/// a few milliseconds of each other, then syncs once (group commit), so the submitting tasks
/// never wait for the disk.
pub struct AckedFile {
    sender: Option<Sender<String>>,
    writer: Option<JoinHandle<Result<u64>>>,
}

impl AckedFile {
    /// Opens `path` for appending (creating it, and syncing its directory, if needed).
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let existed = path.exists();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        if !existed {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            fairtally_files::sync_dir(parent.unwrap_or(Path::new(".")))?;
        }
        let (sender, receiver) = channel();
        let owned = path.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("acked-codes".into())
            .spawn(move || append_lines(file, &owned, receiver))
            .map_err(io)?;
        Ok(AckedFile {
            sender: Some(sender),
            writer: Some(writer),
        })
    }

    /// A handle that submitting tasks send acknowledged codes to.
    pub fn sender(&self) -> Option<Sender<String>> {
        self.sender.clone()
    }

    /// Waits until every code sent is written and synced; the number of codes written.
    pub fn finish(mut self) -> Result<u64> {
        drop(self.sender.take());
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(written)) => written,
            _ => Err(LoadError::Options(
                "the thread writing acknowledged codes stopped".into(),
            )),
        }
    }
}

/// How long the writer gathers acknowledged codes before it writes and syncs them.
const GATHER: Duration = Duration::from_millis(10);

fn append_lines(mut file: File, path: &Path, codes: Receiver<String>) -> Result<u64> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut written = 0u64;
    let mut buffer = String::new();
    while let Ok(code) = codes.recv() {
        buffer.clear();
        buffer.push_str(&code);
        buffer.push('\n');
        written += 1;
        // The codes acknowledged within `GATHER` of the first go to disk in one sync: at most
        // one sync (and one wake-up) per `GATHER` however fast the server answers, so the
        // load generator's own work stays small beside the server's.
        std::thread::sleep(GATHER);
        for code in codes.try_iter() {
            buffer.push_str(&code);
            buffer.push('\n');
            written += 1;
        }
        file.write_all(buffer.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_appended_one_a_line() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|source| LoadError::Io {
            path: "tmp".into(),
            source,
        })?;
        let path = dir.path().join("acked.txt");
        for round in 0..2 {
            let file = AckedFile::open(&path)?;
            let sender = file.sender();
            for i in 0..100 {
                if let Some(s) = &sender {
                    let _ = s.send(format!("CODE-{round}-{i}"));
                }
            }
            drop(sender);
            assert_eq!(file.finish()?, 100);
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(text.lines().count(), 200);
        assert_eq!(text.lines().next(), Some("CODE-0-0"));
        assert_eq!(text.lines().last(), Some("CODE-1-99"));
        Ok(())
    }
}
