//! Uploads into `topdir/work` (`rawUpload`, `uploadFile`, `checkUpload`).
//!
//! Where a file may land: `tasks/<id % 10000>/<id>[/…]` only for the host holding that task
//! OPEN; any other directory for the user who uploaded there first (recorded in a `.user` file,
//! as Koji does). Paths are relative, without `..`, and never follow a symbolic link. A file
//! being written is locked (`flock`), and a second writer gets Koji's `LockError`.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use nix::fcntl::{Flock, FlockArg, OFlag};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::files::checksum::Checksum;
use crate::files::paths::{check_upload_name, check_volume, upload_components, upload_task, work_dir};
use crate::host;
use crate::rpc::call::Call;
use crate::tasks::lifecycle;

/// A file an upload may write, with its directory already in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    /// The file.
    pub path: PathBuf,
    /// `<dir>/<name>` as the client named it, for messages.
    pub display: String,
}

/// Checks that the caller may upload `name` into `dir` and creates the directory.
pub async fn authorize(
    cx: &mut Call<'_>,
    dir: &str,
    name: &str,
    volume: Option<&str>,
) -> Result<UploadTarget> {
    check_volume(volume)?;
    check_upload_name(name)?;
    let parts = upload_components(dir)?;
    let owner = match upload_task(dir, &parts)? {
        Some(task_id) => {
            let verified = host::verify(cx).await?;
            if !lifecycle::host_holds(cx.db(), task_id, verified.id).await? {
                return Err(Error::NotTaskHost {
                    task_id,
                    host_id: verified.id,
                });
            }
            None
        }
        None => Some(cx.assert_login()?.user_id),
    };
    let work = work_dir(&cx.ctx.config.topdir);
    let dir_display = dir.to_owned();
    let directory = tokio::task::spawn_blocking(move || -> Result<PathBuf> {
        let directory = ensure_dirs(&work, &parts, &dir_display)?;
        if let Some(user_id) = owner {
            check_owner(&directory, user_id, &dir_display)?;
        }
        Ok(directory)
    })
    .await
    .map_err(|e| Error::Internal(format!("upload directory check failed: {e}")))??;
    Ok(UploadTarget {
        path: directory.join(name),
        display: format!("{}/{name}", dir.trim_end_matches('/')),
    })
}

/// The file `checkUpload` looks at (nothing is created).
pub fn locate(topdir: &Path, dir: &str, name: &str, volume: Option<&str>) -> Result<PathBuf> {
    check_volume(volume)?;
    check_upload_name(name)?;
    let parts = upload_components(dir)?;
    let mut path = work_dir(topdir);
    path.extend(parts);
    Ok(path.join(name))
}

/// Creates the directories below `base`, refusing symbolic links and non-directories.
fn ensure_dirs(base: &Path, parts: &[String], display: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(base).map_err(|e| Error::io("create", base, e))?;
    let mut path = base.to_path_buf();
    for part in parts {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::InvalidUploadDir {
                    dir: display.to_owned(),
                    reason: "symbolic links are not allowed",
                });
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::InvalidUploadDir {
                    dir: display.to_owned(),
                    reason: "a part of it is not a directory",
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::create_dir(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create", &path, e)),
            },
            Err(e) => return Err(Error::io("inspect", &path, e)),
        }
    }
    Ok(path)
}

/// Koji's `.user` marker: the first uploader owns a non-task directory.
fn check_owner(directory: &Path, user_id: i64, display: &str) -> Result<()> {
    let marker = directory.join(".user");
    for _ in 0..2 {
        match std::fs::read_to_string(&marker) {
            Ok(text) => {
                return if text.trim().parse::<i64>().ok() == Some(user_id) {
                    Ok(())
                } else {
                    Err(Error::UploadNotOwner {
                        dir: display.to_owned(),
                    })
                };
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let created = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .custom_flags(OFlag::O_NOFOLLOW.bits())
                    .open(&marker);
                match created {
                    Ok(mut file) => {
                        use std::io::Write as _;
                        return file
                            .write_all(user_id.to_string().as_bytes())
                            .map_err(|e| Error::io("write", &marker, e));
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(Error::io("create", &marker, e)),
                }
            }
            Err(e) => return Err(Error::io("read", &marker, e)),
        }
    }
    Err(Error::UploadNotOwner {
        dir: display.to_owned(),
    })
}

/// What writing one chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes written.
    pub size: u64,
    /// Where they were written.
    pub offset: u64,
    /// The chunk's checksum, when one was asked for.
    pub hexdigest: Option<String>,
}

/// Opens (creating) the target for writing, refusing symbolic links and non-files, and locks it.
fn open_locked(target: &UploadTarget) -> Result<(Flock<std::fs::File>, bool)> {
    let existed = match std::fs::symlink_metadata(&target.path) {
        Ok(meta) if meta.file_type().is_symlink() || meta.file_type().is_fifo() || !meta.is_file() => {
            return Err(Error::Generic(format!(
                "destination not a file: {}",
                target.display
            )));
        }
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io("inspect", &target.path, e)),
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(&target.path)
        .map_err(|e| Error::io("open", &target.path, e))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(locked) => Ok((locked, existed)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Err(Error::UploadLocked {
            path: target.display.clone(),
        }),
        Err((_, errno)) => Err(Error::io("lock", &target.path, errno.into())),
    }
}

/// Writes a chunk as `rawUpload` does: at `offset` (`-1` appends), truncating there first
/// with `overwrite`; streamed, never held in memory whole. `limit` caps the chunk's size.
pub async fn write_chunk<S>(
    target: &UploadTarget,
    offset: i64,
    overwrite: bool,
    mut verify: Option<Checksum>,
    mut chunks: S,
    limit: u64,
) -> Result<Written>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    let locate = target.clone();
    let (locked, existed) = tokio::task::spawn_blocking(move || open_locked(&locate))
        .await
        .map_err(|e| Error::Internal(format!("upload open failed: {e}")))??;
    let size = locked
        .metadata()
        .map_err(|e| Error::io("inspect", &target.path, e))?
        .len();
    if existed && offset == 0 && !overwrite {
        return Err(Error::UploadExists {
            path: target.display.clone(),
        });
    }
    let start = match offset {
        -1 => size,
        o if o < 0 => {
            return Err(Error::UploadOffset {
                path: target.display.clone(),
                offset: o,
                size,
            });
        }
        o if o.unsigned_abs() > size => {
            return Err(Error::UploadOffset {
                path: target.display.clone(),
                offset: o,
                size,
            });
        }
        o => o.unsigned_abs(),
    };
    let writer = locked
        .try_clone()
        .map_err(|e| Error::io("open", &target.path, e))?;
    let mut file = tokio::fs::File::from_std(writer);
    if overwrite {
        file.set_len(start)
            .await
            .map_err(|e| Error::io("truncate", &target.path, e))?;
    }
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| Error::io("seek", &target.path, e))?;
    let mut written: u64 = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(Error::RequestTooLong { limit_bytes: limit });
        }
        if let Some(sum) = verify.as_mut() {
            sum.update(&chunk);
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::io("write", &target.path, e))?;
    }
    file.flush()
        .await
        .map_err(|e| Error::io("write", &target.path, e))?;
    let length = file
        .metadata()
        .await
        .map_err(|e| Error::io("inspect", &target.path, e))?
        .len();
    drop(file);
    drop(locked);
    if offset != -1 && !overwrite && length != start + written {
        return Err(Error::Generic(format!(
            "Incorrect upload length for {}: {length} bytes, expected {}",
            target.display,
            start + written
        )));
    }
    Ok(Written {
        size: written,
        offset: start,
        hexdigest: verify.map(Checksum::hexdigest),
    })
}

/// What `checkUpload` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The file's size.
    pub size: u64,
    /// Its modification time, epoch seconds.
    pub mtime: f64,
    /// `(bytes summed, hexdigest)` when a checksum was asked for.
    pub digest: Option<(u64, String)>,
}

/// Looks at an uploaded file: `None` if it does not exist. Blocking: run it off the runtime.
pub fn check(
    path: &Path,
    display: &str,
    verify: Option<Checksum>,
    tail: Option<u64>,
) -> Result<Option<Checked>> {
    use std::io::{Read as _, Seek as _};
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let mut locked = match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(locked) => locked,
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
            return Err(Error::UploadLocked {
                path: display.to_owned(),
            });
        }
        Err((_, errno)) => return Err(Error::io("lock", path, errno.into())),
    };
    let meta = locked.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::Generic(format!("Not a regular file: {display}")));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    let digest = match verify {
        None => None,
        Some(mut sum) => {
            if let Some(tail) = tail {
                locked
                    .seek(std::io::SeekFrom::Start(meta.len().saturating_sub(tail)))
                    .map_err(|e| Error::io("seek", path, e))?;
            }
            let mut buffer = vec![0_u8; 1 << 16];
            let mut length: u64 = 0;
            loop {
                let n = locked.read(&mut buffer).map_err(|e| Error::io("read", path, e))?;
                if n == 0 {
                    break;
                }
                let chunk = buffer.get(..n).unwrap_or_default();
                sum.update(chunk);
                length += n as u64;
            }
            Some((length, sum.hexdigest()))
        }
    };
    Ok(Some(Checked {
        size: meta.len(),
        mtime,
        digest,
    }))
}

/// Writes a chunk as the legacy `uploadFile` does (blocking: run it off the runtime). Offset
/// `-1` marks the last call: `data` is appended, the file cut to `final_size`, and the whole
/// file's checksum compared with `whole_digest` (`(type, hexdigest)`).
pub fn write_legacy(
    target: &UploadTarget,
    offset: i64,
    data: &[u8],
    final_size: Option<u64>,
    whole_digest: Option<(&str, &str)>,
) -> Result<()> {
    use std::io::{Read as _, Seek as _, Write as _};
    let (mut locked, existed) = open_locked(target)?;
    if existed && offset == 0 && !target.display.ends_with(".log") {
        return Err(Error::Generic(format!("file already exists: {}", target.display)));
    }
    let truncate_first = offset == 0 || (offset == -1 && final_size == Some(data.len() as u64));
    if truncate_first {
        locked
            .set_len(0)
            .map_err(|e| Error::io("truncate", &target.path, e))?;
    }
    let position = match offset {
        -1 => std::io::SeekFrom::End(0),
        o if o < 0 => {
            return Err(Error::UploadOffset {
                path: target.display.clone(),
                offset: o,
                size: 0,
            });
        }
        o => std::io::SeekFrom::Start(o.unsigned_abs()),
    };
    locked
        .seek(position)
        .map_err(|e| Error::io("seek", &target.path, e))?;
    locked
        .write_all(data)
        .map_err(|e| Error::io("write", &target.path, e))?;
    if offset != -1 {
        return Ok(());
    }
    if let Some(size) = final_size {
        locked
            .set_len(size)
            .map_err(|e| Error::io("truncate", &target.path, e))?;
    }
    if let Some((kind, expected)) = whole_digest {
        let mut sum = Checksum::named(kind)?
            .ok_or_else(|| Error::InvalidValue("a checksum type is required".into()))?;
        locked
            .seek(std::io::SeekFrom::Start(0))
            .map_err(|e| Error::io("seek", &target.path, e))?;
        let mut buffer = vec![0_u8; 1 << 16];
        loop {
            let n = locked
                .read(&mut buffer)
                .map_err(|e| Error::io("read", &target.path, e))?;
            if n == 0 {
                break;
            }
            sum.update(buffer.get(..n).unwrap_or_default());
        }
        let actual = sum.hexdigest();
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(Error::UploadChecksum {
                name: target.display.clone(),
                verify: kind.to_owned(),
                expected: expected.to_owned(),
                actual,
            });
        }
    }
    Ok(())
}
