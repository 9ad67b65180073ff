//! The files a task wrote under `work/tasks/<id % 10000>/<id>/`: `listTaskOutput` and
//! `downloadTaskOutput`.

use std::io::{Read as _, Seek as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::signature;
use common::xmlrpc::{Params, Signature, Struct, Value};
use nix::fcntl::OFlag;

use crate::db;
use crate::error::{Error, Result};
use crate::files::paths::{check_output_name, check_volume, task_dir};
use crate::rpc::call::Call;

/// One output file: its name relative to the task directory and its stat fields.
#[derive(Debug, Clone, PartialEq)]
struct OutputFile {
    name: String,
    size: u64,
    atime: f64,
    mtime: f64,
    ctime: f64,
}

/// Every regular file below `dir`, recursively (symbolic links are not followed).
fn walk(dir: &Path) -> Result<Vec<OutputFile>> {
    use std::os::unix::fs::MetadataExt as _;
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = pending.pop() {
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("list", &path, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", &path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let meta =
                std::fs::symlink_metadata(entry.path()).map_err(|e| Error::io("inspect", entry.path(), e))?;
            if meta.is_dir() {
                pending.push((entry.path(), relative));
            } else if meta.is_file() {
                #[expect(clippy::cast_precision_loss, reason = "file times fit a double")]
                let seconds = |s: i64, ns: i64| s as f64 + ns as f64 / 1e9;
                files.push(OutputFile {
                    name: relative,
                    size: meta.len(),
                    atime: seconds(meta.atime(), meta.atime_nsec()),
                    mtime: seconds(meta.mtime(), meta.mtime_nsec()),
                    ctime: seconds(meta.ctime(), meta.ctime_nsec()),
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

fn stat_map(file: &OutputFile) -> Value {
    Value::Struct(Struct::from([
        ("st_size".to_owned(), Value::String(file.size.to_string())),
        ("st_atime".to_owned(), Value::Double(file.atime)),
        ("st_mtime".to_owned(), Value::Double(file.mtime)),
        ("st_ctime".to_owned(), Value::Double(file.ctime)),
    ]))
}

/// `listTaskOutput(taskID, stat=False, all_volumes=False, strict=False)`: the names of the
/// task's files; `{name: stat}` with `stat`; `{name: [volumes]}` (or `{name: {volume: stat}}`)
/// with `all_volumes`.
pub async fn list_task_output(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!("listTaskOutput", ["taskID"], ["stat", "all_volumes", "strict"]);
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let stat: bool = bound.arg()?;
    let all_volumes: bool = bound.arg()?;
    let strict: bool = bound.arg()?;
    if strict && db::tasks::get(cx.db(), task_id).await?.is_none() {
        return Err(Error::TaskNotFound { task_id });
    }
    let dir = task_dir(&cx.ctx.config.topdir, task_id);
    let files = tokio::task::spawn_blocking(move || walk(&dir))
        .await
        .map_err(|e| Error::Internal(format!("listing task output failed: {e}")))??;
    let result = match (stat, all_volumes) {
        (false, false) => Value::Array(files.into_iter().map(|f| Value::String(f.name)).collect()),
        (true, false) => Value::Struct(files.iter().map(|f| (f.name.clone(), stat_map(f))).collect()),
        (false, true) => Value::Struct(
            files
                .into_iter()
                .map(|f| (f.name, Value::Array(vec![Value::from("DEFAULT")])))
                .collect(),
        ),
        (true, true) => Value::Struct(
            files
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        Value::Struct(Struct::from([("DEFAULT".to_owned(), stat_map(f))])),
                    )
                })
                .collect(),
        ),
    };
    Ok(result)
}

/// Reads up to `size` bytes (all with a negative size) from `offset` (from the end when
/// negative). Blocking.
fn read_range(path: &Path, offset: i64, size: i64) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(path)?;
    let length = file.metadata()?.len();
    let start = if offset >= 0 {
        offset.unsigned_abs().min(length)
    } else {
        length.saturating_sub(offset.unsigned_abs())
    };
    file.seek(std::io::SeekFrom::Start(start))?;
    let mut contents = Vec::new();
    if size < 0 {
        file.read_to_end(&mut contents)?;
    } else {
        file.take(size.unsigned_abs()).read_to_end(&mut contents)?;
    }
    Ok(contents)
}

/// `downloadTaskOutput(taskID, fileName, offset=0, size=-1, volume=None)`: base64 text of the
/// bytes read (empty at the end of the file).
pub async fn download_task_output(cx: &mut Call<'_>, params: Params) -> Result<Value> {
    const SIG: Signature = signature!(
        "downloadTaskOutput",
        ["taskID", "fileName"],
        ["offset", "size", "volume"]
    );
    let mut bound = params.bind(&SIG)?;
    let task_id: i64 = bound.arg()?;
    let file_name: String = bound.arg()?;
    let offset: Option<i64> = bound.arg()?;
    let size: Option<i64> = bound.arg()?;
    let volume: Option<String> = bound.arg()?;
    check_volume(volume.as_deref())?;
    check_output_name(&file_name)?;
    let path: PathBuf = task_dir(&cx.ctx.config.topdir, task_id).join(&file_name);
    let missing = || Error::NoTaskOutput {
        task_id,
        file: file_name.clone(),
    };
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => {}
        _ => return Err(missing()),
    }
    let (offset, size) = (offset.unwrap_or(0), size.unwrap_or(-1));
    let contents = tokio::task::spawn_blocking(move || read_range(&path, offset, size))
        .await
        .map_err(|e| Error::Internal(format!("reading task output failed: {e}")))?
        .map_err(|_| missing())?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(contents),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_like_python() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        std::fs::write(&path, b"0123456789").unwrap();
        let check = |offset, size, expected: &[u8]| {
            assert_eq!(
                read_range(&path, offset, size).unwrap(),
                expected,
                "{offset} {size}"
            );
        };
        check(0, -1, b"0123456789");
        check(3, 4, b"3456");
        check(8, 16384, b"89");
        check(10, 16384, b"");
        check(20, 5, b"");
        check(-3, -1, b"789");
        check(-30, 2, b"01");
    }

    #[test]
    fn walk_lists_files_recursively() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.log"), b"b").unwrap();
        std::fs::write(dir.path().join("sub/a.rpm"), b"aa").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        let files = walk(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b.log", "sub/a.rpm"]);
        assert_eq!(files[1].size, 2);
        assert!(walk(&dir.path().join("missing")).unwrap().is_empty());
    }
}
