//! `download-task` and `download-build`: a task's (and its children's) output files, or a
//! build's RPMs, over plain HTTP from `topurl`, with the stock client's selection rules, file
//! names and progress lines.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use common::xmlrpc::Value;
use regex::Regex;

use crate::commands::taskinfo::{TaskFiles, task_output, task_rel_path, work_dir};
use crate::commands::tasks::{state_name, watch_tasks};
use crate::commands::{field_i64, field_str};
use crate::context::Ctx;
use crate::error::{Error, Result};

/// Arguments of `download-task`.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "one field per Koji flag")]
pub struct DownloadTaskArgs {
    /// The task
    pub task_id: i64,
    /// Only download packages for this arch (may be used multiple times), only for build and buildArch task methods
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<String>,
    /// Also download build logs
    #[arg(long)]
    pub logs: bool,
    /// URL under which Koji files are accessible
    #[arg(long, value_name = "URL")]
    pub topurl: Option<String>,
    /// Do not display progress meter
    #[arg(long)]
    pub noprogress: bool,
    /// Wait for running tasks to finish, even if running in the background
    #[arg(long, conflicts_with = "nowait")]
    pub wait: bool,
    /// Do not wait for running tasks to finish
    #[arg(long)]
    pub nowait: bool,
    /// Suppress output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Download all files, all methods instead of build and buildArch
    #[arg(long)]
    pub all: bool,
    /// Download files to dir per task
    #[arg(long)]
    pub dirpertask: bool,
    /// Download parent's files only
    #[arg(long)]
    pub parentonly: bool,
    /// Regex pattern to filter files
    #[arg(long = "filter")]
    pub filters: Vec<String>,
    /// Regex pattern to skip files
    #[arg(long = "skip")]
    pub skips: Vec<String>,
}

/// One file to fetch.
#[derive(Debug, Clone, PartialEq)]
struct Download {
    task_id: i64,
    file: String,
    volume: String,
    /// Where it goes, relative to the current directory.
    local: String,
}

/// Koji's `_format_size`.
fn format_size(size: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "sizes are shown with two decimals")]
    let size = size as f64;
    for (unit, factor) in [("GiB", 1_073_741_824.0), ("MiB", 1_048_576.0), ("KiB", 1024.0)] {
        if size / factor >= 1.0 {
            return format!("{:.2} {unit}", size / factor);
        }
    }
    format!("{size:.2} B")
}

/// Koji's `_download_progress` line (ends with a carriage return); `size` is the length the
/// server announced, shown as "done / size".
fn progress_line(total: u64, done: u64, size: Option<u64>) -> String {
    let (fraction, percent) = if total == 0 {
        (0.0, "???%".to_owned())
    } else {
        #[expect(clippy::cast_precision_loss, reason = "a ratio for display")]
        let fraction = done as f64 / total as f64;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..=100")]
        let percent = format!("{:3}%", (fraction * 100.0) as u64);
        (fraction, percent)
    };
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..=36")]
    let bar = "=".repeat((fraction * 36.0) as usize);
    let amount = match size {
        Some(size) => format!("{} / {}", format_size(done), format_size(size)),
        None => format_size(done),
    };
    format!("[{bar:<36}] {percent:>4} {amount:>10}\r")
}

/// The files the stock client would fetch from these tasks' outputs.
fn select(
    args: &DownloadTaskArgs,
    tasks: &[(Value, TaskFiles)],
    filters: &[Regex],
    skips: &[Regex],
) -> Vec<Download> {
    let mut downloads = Vec::new();
    for (task, files) in tasks {
        let task_id = field_i64(task, "id").unwrap_or_default();
        let method = field_str(task, "method");
        let arch = field_str(task, "arch");
        let build_method = matches!(method, "build" | "buildArch");
        for (file, volumes) in files {
            if !filters.iter().all(|f| f.is_match(file)) {
                continue;
            }
            if skips.iter().any(|s| s.is_match(file)) {
                continue;
            }
            let file_type = if file.ends_with("src.rpm") {
                "src.rpm"
            } else {
                file.rsplit_once('.').map_or("", |(_, ext)| ext)
            };
            let rpm = matches!(file_type, "rpm" | "src.rpm");
            let per_task = |name: &str| format!("{task_id}/{name}");
            let mut add = |local: String, volume: &str| {
                downloads.push(Download {
                    task_id,
                    file: file.clone(),
                    volume: volume.to_owned(),
                    local,
                });
            };
            if args.all && !(build_method && rpm) {
                if file_type != "log" {
                    for volume in volumes {
                        let local = if args.dirpertask {
                            per_task(file)
                        } else if !file.contains(arch) && file_type != "src.rpm" {
                            let stem = file.strip_suffix(&format!(".{file_type}")).unwrap_or(file);
                            format!("{stem}.{arch}.{file_type}")
                        } else {
                            file.clone()
                        };
                        add(local, volume);
                    }
                }
            } else if build_method && rpm {
                let file_arch = file.rsplit('.').nth(1).unwrap_or_default();
                for volume in volumes {
                    if args.arches.is_empty() || args.arches.iter().any(|a| a == file_arch) {
                        let local = if args.dirpertask {
                            per_task(file)
                        } else {
                            file.clone()
                        };
                        add(local, volume);
                    }
                }
            }
            if file_type == "log" && args.logs {
                for volume in volumes {
                    let local = if args.dirpertask {
                        per_task(file)
                    } else if !file.contains(arch) {
                        let stem = file.strip_suffix(".log").unwrap_or(file);
                        format!("{stem}.{arch}.log")
                    } else {
                        file.clone()
                    };
                    add(local, volume);
                }
            }
        }
    }
    downloads
}

/// Fetches one URL to `path`, printing progress unless `quiet`.
fn fetch(url: &str, path: &str, progress: bool) -> Result<()> {
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let response = ureq::get(url)
        .call()
        .map_err(|e| Error::Failed(format!("Error: cannot download {url}: {e}")))?;
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_default();
    let size = (total > 0).then_some(total);
    let mut reader = response.into_body().into_reader();
    let mut file = File::create(path)?;
    let mut done = 0_u64;
    let mut buffer = vec![0_u8; 1 << 20];
    let mut stdout = std::io::stdout();
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(|e| Error::Failed(format!("Error: cannot download {url}: {e}")))?;
        if n == 0 {
            break;
        }
        file.write_all(buffer.get(..n).unwrap_or_default())?;
        done += n as u64;
        if progress {
            write!(stdout, "{}", progress_line(total, done, size))?;
            stdout.flush()?;
        }
    }
    if progress && total == 0 {
        write!(stdout, "{}", progress_line(done, done, size))?;
    }
    if progress {
        writeln!(stdout)?;
    }
    Ok(())
}

/// Runs `download-task`.
pub fn download_task(ctx: &mut Ctx, args: &DownloadTaskArgs) -> Result<()> {
    if !args.filters.is_empty() && !args.skips.is_empty() {
        return Err(Error::Usage(
            "Only filter or skip may be specified. Not both.".into(),
        ));
    }
    let compile = |patterns: &[String]| -> Result<Vec<Regex>> {
        patterns
            .iter()
            .map(|p| Regex::new(p).map_err(|e| Error::Usage(format!("bad pattern {p}: {e}"))))
            .collect()
    };
    let filters = compile(&args.filters)?;
    let skips = compile(&args.skips)?;
    let arches: Vec<String> = args
        .arches
        .join(",")
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    ctx.connect_anonymous()?;
    let base_id = args.task_id;
    let mut base = ctx.call("getTaskInfo", vec![Value::Int(base_id)])?;
    if base.is_nil() {
        return Err(Error::Failed(format!("No such task: {base_id}")));
    }
    let quiet = args.quiet || ctx.options.quiet;
    let unfinished = !matches!(field_i64(&base, "state"), Some(2 | 3 | 5));
    let wait = args.wait || (!args.nowait && !crate::commands::builds::running_in_background());
    if wait && unfinished {
        // The watch's outcome does not matter here: the states are checked below.
        match watch_tasks(ctx, &[base_id], quiet) {
            Ok(()) | Err(Error::Exit(_)) => {}
            Err(e) => return Err(e),
        }
        base = ctx.call("getTaskInfo", vec![Value::Int(base_id)])?;
    }
    let mut tasks = vec![base];
    if !args.parentonly {
        let children = ctx.call("getTaskChildren", vec![Value::Int(base_id)])?;
        tasks.extend(children.as_array().unwrap_or_default().iter().cloned());
    }
    tasks.sort_by_key(|t| field_i64(t, "id").unwrap_or_default());
    tasks.dedup_by_key(|t| field_i64(t, "id"));
    for task in &tasks {
        let id = field_i64(task, "id").unwrap_or_default();
        let state = state_name(field_i64(task, "state"));
        if state == "CLOSED" {
            continue;
        }
        let what = if id == base_id { "Task" } else { "Child task" };
        return Err(Error::Failed(match state {
            "FAILED" => format!("{what} {id} failed. You can use save-failed-tree plugin for FAILED tasks."),
            "CANCELED" => format!("{what} {id} was canceled."),
            _ => format!("{what} {id} has not finished yet."),
        }));
    }
    let mut outputs = Vec::new();
    for task in tasks {
        let files = task_output(ctx, field_i64(&task, "id").unwrap_or_default())?;
        outputs.push((task, files));
    }
    let selection_args = DownloadTaskArgs {
        arches,
        filters: Vec::new(),
        skips: Vec::new(),
        topurl: None,
        ..*args
    };
    let downloads = select(&selection_args, &outputs, &filters, &skips);
    if downloads.is_empty() {
        writeln!(ctx.out, "No files for download found.")?;
        return Ok(());
    }
    let top = args
        .topurl
        .clone()
        .or_else(|| ctx.config().topurl.clone())
        .ok_or_else(|| Error::Config("topurl is not configured (use --topurl)".into()))?;
    let top = top.trim_end_matches('/').to_owned();
    let total = downloads.len();
    let mut done: Vec<(String, String)> = Vec::new();
    let mut duplicates = false;
    for (index, download) in downloads.iter().enumerate() {
        let mut local = download.local.clone();
        if download.volume != "DEFAULT" {
            local = if args.dirpertask {
                format!("{}/{}/{}", download.task_id, download.volume, download.file)
            } else {
                format!("{}/{local}", download.volume)
            };
        }
        if download.file.contains("..") {
            return Err(Error::Failed(format!("Invalid file name: {}", download.file)));
        }
        let url = format!(
            "{}/{}/{}",
            work_dir(&top, &download.volume),
            task_rel_path(download.task_id),
            download.file
        );
        let number = index + 1;
        if !quiet {
            writeln!(ctx.out, "Downloading [{number}/{total}]: {local}")?;
            ctx.out.flush()?;
        }
        let key = (local.clone(), download.volume.clone());
        if done.contains(&key) {
            if !quiet {
                writeln!(ctx.out, "File {local} already downloaded, skipping")?;
            }
            duplicates = true;
            continue;
        }
        fetch(&url, &local, !(quiet || args.noprogress))?;
        done.push(key);
    }
    if duplicates {
        crate::warn("Duplicate files, for download all duplicate files use --dirpertask.");
    }
    Ok(())
}

/// Arguments of `download-build`.
#[derive(Debug, clap::Args)]
pub struct DownloadBuildArgs {
    /// The build (N-V-R or id)
    pub build: String,
    /// Only download packages for this arch (may be used multiple times)
    #[arg(short = 'a', long = "arch", value_name = "ARCH")]
    pub arches: Vec<String>,
    /// Include debuginfo rpms
    #[arg(long)]
    pub debuginfo: bool,
    /// URL under which Koji files are accessible
    #[arg(long, value_name = "URL")]
    pub topurl: Option<String>,
    /// Do not display progress meter
    #[arg(long)]
    pub noprogress: bool,
    /// Suppress output
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Koji's `is_debuginfo`.
fn is_debuginfo(name: &str) -> bool {
    name.ends_with("-debuginfo") || name.ends_with("-debugsource") || name.contains("-debuginfo-")
}

/// Runs `download-build` for RPM builds: each RPM of the build into the current directory.
pub fn download_build(ctx: &mut Ctx, args: &DownloadBuildArgs) -> Result<()> {
    ctx.connect_anonymous()?;
    let key = if args.build.chars().all(|c| c.is_ascii_digit()) {
        args.build
            .parse::<i64>()
            .map_or_else(|_| Value::from(args.build.as_str()), Value::Int)
    } else {
        Value::from(args.build.as_str())
    };
    let info = ctx.call("getBuild", vec![key])?;
    if info.is_nil() {
        return Err(Error::Failed(format!("No such build: {}", args.build)));
    }
    let top = args
        .topurl
        .clone()
        .or_else(|| ctx.config().topurl.clone())
        .ok_or_else(|| Error::Failed("You must specify --topurl to download files".into()))?;
    let top = top.trim_end_matches('/').to_owned();
    let mut keywords = vec![("buildID", info.get("id").cloned().unwrap_or_default())];
    if !args.arches.is_empty() {
        let arches = args.arches.iter().map(|a| Value::from(a.as_str())).collect();
        keywords.push(("arches", Value::Array(arches)));
    }
    let rpms = ctx.call_kw("listRPMs", vec![], keywords)?;
    let rpms: Vec<Value> = rpms.as_array().unwrap_or_default().to_vec();
    let label = format!(
        "{}-{}-{}",
        field_str(&info, "name"),
        field_str(&info, "version"),
        field_str(&info, "release")
    );
    if rpms.is_empty() {
        return Err(Error::Failed(if args.arches.is_empty() {
            format!("No packages available for {label}")
        } else {
            format!("No {} packages available for {label}", args.arches.join(" or "))
        }));
    }
    let rpms: Vec<Value> = rpms
        .into_iter()
        .filter(|r| args.debuginfo || !is_debuginfo(field_str(r, "name")))
        .collect();
    let volume = info
        .get("volume_name")
        .and_then(Value::as_str)
        .unwrap_or("DEFAULT");
    let base = if volume == "DEFAULT" {
        top
    } else {
        format!("{top}/vol/{volume}")
    };
    let quiet = args.quiet || ctx.options.quiet;
    let total = rpms.len();
    for (index, rpm) in rpms.iter().enumerate() {
        let arch = field_str(rpm, "arch");
        let file = format!(
            "{}-{}-{}.{arch}.rpm",
            field_str(rpm, "name"),
            field_str(rpm, "version"),
            field_str(rpm, "release")
        );
        let url = format!(
            "{base}/packages/{}/{}/{}/{arch}/{file}",
            field_str(&info, "name"),
            field_str(&info, "version"),
            field_str(&info, "release")
        );
        if !quiet {
            writeln!(ctx.out, "Downloading [{}/{total}]: {file}", index + 1)?;
            ctx.out.flush()?;
        }
        fetch(&url, &file, !(quiet || args.noprogress))?;
        let size = fs::metadata(&file)?.len();
        if Some(size) != field_i64(rpm, "size").and_then(|s| u64::try_from(s).ok()) {
            let _ = fs::remove_file(&file);
            return Err(Error::Failed(format!(
                "Downloaded rpm {file} size {size} does not match db size {}, deleting",
                py_str_of(rpm.get("size"))
            )));
        }
    }
    Ok(())
}

fn py_str_of(value: Option<&Value>) -> String {
    value.map(crate::output::table::py_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_progress() {
        assert_eq!(format_size(10), "10.00 B");
        assert_eq!(format_size(2048), "2.00 KiB");
        assert_eq!(format_size(3 * 1_048_576), "3.00 MiB");
        assert_eq!(
            progress_line(100, 50, None),
            format!("[{:<36}]  50%    50.00 B\r", "=".repeat(18))
        );
        assert_eq!(
            progress_line(2048, 2048, Some(2048)),
            format!("[{}] 100% 2.00 KiB / 2.00 KiB\r", "=".repeat(36))
        );
    }

    fn args(all: bool, logs: bool) -> DownloadTaskArgs {
        DownloadTaskArgs {
            task_id: 1,
            arches: Vec::new(),
            logs,
            topurl: None,
            noprogress: true,
            wait: false,
            nowait: true,
            quiet: false,
            all,
            dirpertask: false,
            parentonly: false,
            filters: Vec::new(),
            skips: Vec::new(),
        }
    }

    #[test]
    fn selects_rpms_and_logs_like_koji() {
        let task = Value::structure([
            ("id", Value::Int(7)),
            ("method", Value::from("buildArch")),
            ("arch", Value::from("x86_64")),
        ]);
        let files = vec![
            ("build.log".to_owned(), vec!["DEFAULT".to_owned()]),
            ("foo-1-1.x86_64.rpm".to_owned(), vec!["DEFAULT".to_owned()]),
            ("foo-1-1.src.rpm".to_owned(), vec!["DEFAULT".to_owned()]),
        ];
        let tasks = vec![(task, files)];
        let names = |a: &DownloadTaskArgs| -> Vec<String> {
            select(a, &tasks, &[], &[]).into_iter().map(|d| d.local).collect()
        };
        assert_eq!(
            names(&args(false, false)),
            ["foo-1-1.x86_64.rpm", "foo-1-1.src.rpm"]
        );
        assert_eq!(
            names(&args(false, true)),
            ["build.x86_64.log", "foo-1-1.x86_64.rpm", "foo-1-1.src.rpm"]
        );
    }
}
