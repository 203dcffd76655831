//! `tgbox file`: upload, list, search, download, rename, move, tag and remove the files of the
//! box in use.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tgbox::{BatchItem, Edit, SearchFilter, TgBox, UploadFile};
use tgbox_core::Attributes;

use crate::context::{Ctx, Opened};
use crate::failure::{CliError, classify};
use crate::filters::{SearchArgs, parse_tag};
use crate::out;
use crate::progress::{Bar, Unit};
use crate::view::FileView;

#[derive(Debug, Subcommand)]
pub enum FileCommand {
    /// Upload files and directories (recursively, keeping their tree)
    Upload(UploadArgs),
    /// List the files of the box, or of one directory and those under it
    List(ListArgs),
    /// Search the box by name, path, type, size and tags
    Search(SearchCmd),
    /// Download files by id; a file appears only once its tag verified
    Download(DownloadArgs),
    /// Rename a file
    Rename(RenameArgs),
    /// Move a file to another directory of the box
    Move(MoveArgs),
    /// Set or remove tags (custom attributes): k=v sets, k= removes
    Tag(TagArgs),
    /// Remove files from the box (from the channel and the LocalBox)
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Files and directories to upload
    #[arg(value_name = "PATH", required_unless_present = "resume")]
    paths: Vec<PathBuf>,
    /// The directory of the box to upload into
    #[arg(long, value_name = "/DIR", default_value = "/")]
    to: String,
    /// A tag (custom attribute) for every uploaded file, as k=v; repeatable
    #[arg(long = "tag", value_name = "K=V")]
    tags: Vec<String>,
    /// Transfers in flight at once [default: the config's `jobs`, 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: Option<u16>,
    /// Only finish uploads that an earlier run left unfinished
    #[arg(long)]
    resume: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this directory of the box and those under it
    #[arg(long, value_name = "/DIR")]
    path: Option<String>,
    /// Print an array of {id, name, path, size, mime, tags, uploaded_at}
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct SearchCmd {
    #[command(flatten)]
    filter: SearchArgs,
    /// Print an array of {id, name, path, size, mime, tags, uploaded_at}
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// File ids
    #[arg(value_name = "ID", required_unless_present = "under")]
    ids: Vec<i64>,
    /// Every file under this directory of the box, its tree recreated under --out (files
    /// already there with their full size are skipped, so a cut-short run continues)
    #[arg(long, value_name = "/DIR", conflicts_with_all = ["ids", "range"])]
    under: Option<String>,
    /// Recreate each file's box directories under --out
    #[arg(long, conflicts_with = "range")]
    tree: bool,
    /// The directory to download into (created when missing); with --range, `-` is stdout
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Only bytes A to B (inclusive; `A-` to the end) of one file. A range is not covered by
    /// the file's tag: it is decrypted, not verified
    #[arg(long, value_name = "A-B")]
    range: Option<String>,
    /// Ranged reads in flight at once [default: the config's `jobs`, 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: Option<u16>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The file id
    id: i64,
    /// The new name
    name: String,
    /// Print the file as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The file id
    id: i64,
    /// The new directory
    #[arg(value_name = "/DIR")]
    dir: String,
    /// Print the file as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The file id
    id: i64,
    /// Tags: k=v sets k, k= removes it
    #[arg(value_name = "K=V", required = true)]
    tags: Vec<String>,
    /// Print the file as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// File ids
    #[arg(value_name = "ID", required = true)]
    ids: Vec<i64>,
    /// Do not ask for confirmation
    #[arg(long, short)]
    yes: bool,
}

pub async fn run(ctx: &Ctx, cmd: FileCommand) -> Result<()> {
    let opened = ctx.open_current().await?;
    match cmd {
        FileCommand::Upload(a) => upload(ctx, &opened, a).await,
        FileCommand::List(a) => list(&opened.tgbox, a).await,
        FileCommand::Search(a) => {
            let filter = a.filter.to_filter()?;
            print_files(&opened.tgbox, &filter, a.json).await
        }
        FileCommand::Download(a) => download(ctx, &opened.tgbox, a).await,
        FileCommand::Rename(a) => {
            edited(&opened.tgbox, a.id, &[Edit::Rename(a.name)], a.json).await
        }
        FileCommand::Move(a) => edited(&opened.tgbox, a.id, &[Edit::Move(a.dir)], a.json).await,
        FileCommand::Tag(a) => {
            let edits = a
                .tags
                .iter()
                .map(|t| {
                    let (k, v) = parse_tag(t)?;
                    Ok(if v.is_empty() {
                        Edit::RemoveAttr(k)
                    } else {
                        Edit::SetAttr(k, v.into_bytes())
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            edited(&opened.tgbox, a.id, &edits, a.json).await
        }
        FileCommand::Remove(a) => remove(ctx, &opened.tgbox, a).await,
    }
}

/// Joins a box directory and a name.
fn box_join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// What an upload run did.
#[derive(Default)]
struct Uploaded {
    done: Vec<FileView>,
    failed: Vec<(String, anyhow::Error)>,
}

async fn upload(ctx: &Ctx, opened: &Opened, a: UploadArgs) -> Result<()> {
    let tgbox = &opened.tgbox;
    if let Some(j) = a.jobs {
        tgbox.set_parallel(usize::from(j));
    }
    let jobs = a.jobs.map_or(ctx.config.jobs, usize::from).max(1);
    let mut cattrs = Attributes::default();
    for t in &a.tags {
        let (k, v) = parse_tag(t)?;
        cattrs.set(k, v.into_bytes());
    }
    let to = tgbox_core::paths::normalize_dir(&a.to)?;

    // Every source is checked before anything is sent: a typo uploads nothing. Sources are
    // made absolute so the journal finds them again from any working directory.
    let mut items: Vec<BatchItem> = Vec::new();
    let mut result = Uploaded::default();
    for path in &a.paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| CliError::NotFound(format!("cannot upload {}: {e}", path.display())))?;
        let path = std::path::absolute(path)
            .with_context(|| format!("cannot resolve {}", path.display()))?;
        if meta.is_dir() {
            let name = dir_name(&path)?;
            let (files, links) = tgbox::tree_items(&path, &box_join(&to, &name))?;
            items.extend(files);
            for l in links {
                result.failed.push((
                    l.source.display().to_string(),
                    CliError::Usage("a symbolic link; not followed".into()).into(),
                ));
            }
        } else {
            items.push(BatchItem {
                source: path,
                dir: to.clone(),
            });
        }
    }

    let bar = Arc::new(Bar::new(ctx.quiet(), "uploading", Unit::Bytes));
    let pending = tgbox.localbox().journal_pending()?;
    if !pending.is_empty() {
        ctx.note("finishing uploads an earlier run left unfinished");
        let finished = tgbox.resume_uploads(bar.clone()).await?;
        // A source whose cut-short upload was just finished is not uploaded a second time.
        let salts: HashSet<[u8; 32]> = finished
            .iter()
            .map(|f| *f.file.header.file_salt.as_bytes())
            .collect();
        let done_sources: HashSet<PathBuf> = pending
            .iter()
            .filter(|p| {
                salts.contains(&p.file_salt) && p.replaces.is_none() && p.source_offset == 0
            })
            .map(|p| PathBuf::from(&p.source))
            .collect();
        items.retain(|i| !done_sources.contains(&i.source));
        result.done.extend(finished.iter().map(FileView::from));
    }

    // Files over one document go up as tgbox-cli's multipart parts.
    let limit = tgbox.channel().capabilities().await?.limits.document_max;
    let (big, small): (Vec<BatchItem>, Vec<BatchItem>) = items.into_iter().partition(|i| {
        std::fs::metadata(&i.source).is_ok_and(|m| m.len() > limit.saturating_sub(1 << 20))
    });
    let mut cut_short = false;
    for r in tgbox.upload_batch(small, &cattrs, jobs, bar.clone()).await {
        match r.outcome {
            Ok(f) => result.done.push(FileView::from(&f)),
            Err(e) => {
                cut_short |= matches!(&e, tgbox::Error::Channel(c) if c.is_retryable());
                result
                    .failed
                    .push((r.item.source.display().to_string(), e.into()));
            }
        }
    }
    if cut_short {
        finish_cut_short(ctx, tgbox, &bar, &mut result).await?;
    }
    for item in big {
        let file = UploadFile {
            source: &item.source,
            dir: &item.dir,
            name: None,
            mime: "",
            cattrs: &cattrs,
        };
        match tgbox
            .upload_multipart(file, tgbox::MULTIPART_BLOCK, bar.clone())
            .await
        {
            Ok(parts) => result.done.extend(parts.iter().map(FileView::from)),
            Err(e) => result
                .failed
                .push((item.source.display().to_string(), e.into())),
        }
    }
    bar.finish();
    report(ctx, result, a.json)
}

/// Uploads a lost connection cut short are in the journal: finish them now, once, rather than
/// leave them to the next run.
async fn finish_cut_short(
    ctx: &Ctx,
    tgbox: &TgBox,
    bar: &Arc<Bar>,
    result: &mut Uploaded,
) -> Result<()> {
    let pending = tgbox.localbox().journal_pending()?;
    if pending.is_empty() {
        return Ok(());
    }
    ctx.note("the connection dropped during some uploads; continuing them");
    let finished = tgbox.resume_uploads(bar.clone()).await?;
    let salts: HashSet<[u8; 32]> = finished
        .iter()
        .map(|f| *f.file.header.file_salt.as_bytes())
        .collect();
    let done_sources: HashSet<String> = pending
        .iter()
        .filter(|p| salts.contains(&p.file_salt))
        .map(|p| p.source.clone())
        .collect();
    result
        .failed
        .retain(|(source, _)| !done_sources.contains(source));
    result.done.extend(finished.iter().map(FileView::from));
    Ok(())
}

/// The last component of a directory given on the command line (`.` and `..` resolved).
fn dir_name(path: &Path) -> Result<String> {
    let abs =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let canon = abs.canonicalize().unwrap_or(abs);
    Ok(canon
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Prints what an upload did; failures make the exit code.
fn report(ctx: &Ctx, r: Uploaded, json: bool) -> Result<()> {
    if json {
        out::json(&json!({
            "uploaded": r.done,
            "failed": r.failed.iter().map(|(s, e)| json!({"source": s, "error": format!("{e:#}")})).collect::<Vec<_>>(),
        }))?;
    } else {
        for f in &r.done {
            out::line(f.line())?;
        }
    }
    for (source, e) in &r.failed {
        eprintln!("error: {source}: {e:#}");
    }
    if let Some((_, first)) = r.failed.first() {
        let total = r.done.len() + r.failed.len();
        return Err(CliError::Partial {
            failed: r.failed.len(),
            total,
            exit: classify(first).0,
        }
        .into());
    }
    ctx.note(format!("{} file(s) uploaded", r.done.len()));
    Ok(())
}

async fn list(tgbox: &TgBox, a: ListArgs) -> Result<()> {
    let mut filter = SearchFilter::default();
    if let Some(dir) = a.path {
        let dir = tgbox_core::paths::normalize_dir(&dir)?;
        filter.include.scope = vec![dir];
    }
    print_files(tgbox, &filter, a.json).await
}

async fn print_files(tgbox: &TgBox, filter: &SearchFilter, json: bool) -> Result<()> {
    let files: Vec<FileView> = tgbox
        .search(filter)
        .await?
        .iter()
        .map(|f| FileView::from(f.as_ref()))
        .collect();
    if json {
        return out::json(&files);
    }
    for f in &files {
        out::line(f.line())?;
    }
    Ok(())
}

async fn edited(tgbox: &TgBox, id: i64, edits: &[Edit], json: bool) -> Result<()> {
    let f = FileView::from(&tgbox.edit(id, edits).await?);
    if json {
        out::json(&f)
    } else {
        out::line(f.line())
    }
}

/// A file name that stays inside the download directory: separators, NUL and control
/// characters become `_`; an empty name, `.` and `..` become `file-ID`; at most 255 bytes.
pub fn safe_name(name: &str, id: i64) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() || s == "." || s == ".." {
        s = format!("file-{id}");
    }
    while s.len() > 255 {
        s.pop();
    }
    s
}

/// `A-B` (inclusive) or `A-` as an offset and a length (`None`: to the end).
fn parse_range(text: &str) -> Result<(u64, Option<u64>)> {
    let bad = || CliError::Usage(format!("--range {text:?}: expected A-B or A- (bytes)"));
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    if b.trim().is_empty() {
        return Ok((a, None));
    }
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if b < a {
        return Err(bad().into());
    }
    Ok((a, Some(b - a + 1)))
}

async fn download(ctx: &Ctx, tgbox: &TgBox, a: DownloadArgs) -> Result<()> {
    if let Some(j) = a.jobs {
        tgbox.set_parallel(usize::from(j));
    }
    // Unknown ids fail before anything is written.
    let mut views = Vec::with_capacity(a.ids.len());
    for &id in &a.ids {
        views.push(FileView::from(&tgbox.file(id).await?));
    }
    let base = match &a.under {
        Some(dir) => {
            let dir = tgbox_core::paths::normalize_dir(dir)?;
            let mut filter = SearchFilter::default();
            filter.include.scope = vec![dir.clone()];
            views = tgbox
                .search(&filter)
                .await?
                .iter()
                .map(|f| FileView::from(f.as_ref()))
                .collect();
            if views.is_empty() {
                return Err(CliError::NotFound(format!("no files under {dir}")).into());
            }
            Some(dir)
        }
        None => None,
    };
    if let Some(range) = &a.range {
        let [view] = views.as_slice() else {
            return Err(CliError::Usage("--range takes exactly one file id".into()).into());
        };
        return download_range(tgbox, view, parse_range(range)?, &a.out).await;
    }
    if a.out == Path::new("-") {
        return Err(CliError::Usage(
            "a whole file is not written to stdout (it could not be verified before being \
             shown): give --out DIR, or --range"
                .into(),
        )
        .into());
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut done = Vec::new();
    for view in &views {
        let (rel_dir, name) = placement(view, base.as_deref(), a.tree || base.is_some());
        if name != view.name {
            ctx.note(format!(
                "file {}: its name {:?} is not a safe file name here; saved as {name:?}",
                view.id, view.name
            ));
        }
        let dir = a.out.join(&rel_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let target = dir.join(&name);
        if base.is_some()
            && std::fs::metadata(&target).is_ok_and(|m| m.is_file() && m.len() == view.size)
        {
            ctx.note(format!("{}: there already; skipped", target.display()));
            continue;
        }
        let bar = Arc::new(Bar::new(
            ctx.quiet(),
            format!("downloading {name}"),
            Unit::Bytes,
        ));
        let got = tgbox.download(view.id, &target, bar.clone()).await?;
        bar.finish();
        if !a.json {
            out::line(format!("{:>7}  {}", view.id, got.path.display()))?;
        }
        done.push(
            json!({"id": view.id, "path": got.path, "size": got.size, "verified": got.tag_checked}),
        );
    }
    if a.json {
        out::json(&done)?;
    }
    Ok(())
}

/// Where a download goes under the output directory: the box directory relative to `base`
/// when `keep_tree` (each component made safe, so nothing escapes the output directory), and
/// a safe file name.
fn placement(view: &FileView, base: Option<&str>, keep_tree: bool) -> (PathBuf, String) {
    let name = safe_name(&view.name, view.id);
    if !keep_tree {
        return (PathBuf::new(), name);
    }
    let dir = view.path.as_deref().unwrap_or("");
    let rel = match base {
        Some(b) => dir.strip_prefix(b).unwrap_or(dir),
        None => dir,
    };
    let mut out = PathBuf::new();
    for part in rel.split(['/', '\\']).filter(|p| !p.is_empty()) {
        out.push(safe_name(part, view.id));
    }
    (out, name)
}

/// Largest piece of a ranged download held in memory.
const RANGE_PIECE: u64 = 4 << 20;

async fn download_range(
    tgbox: &TgBox,
    view: &FileView,
    (offset, len): (u64, Option<u64>),
    out_dir: &Path,
) -> Result<()> {
    if offset >= view.size && view.size > 0 || (view.size == 0 && offset > 0) {
        return Err(CliError::Usage(format!(
            "--range starts at {offset}, past the end of file {} ({} bytes)",
            view.id, view.size
        ))
        .into());
    }
    let end = len.map_or(view.size, |l| (offset + l).min(view.size));
    let to_stdout = out_dir == Path::new("-");
    let mut pending = if to_stdout {
        None
    } else {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        let target = out_dir.join(safe_name(&view.name, view.id));
        if target.exists() {
            return Err(CliError::Conflict(format!(
                "{} exists; not overwritten",
                target.display()
            ))
            .into());
        }
        Some((crate::output::PendingFile::create(&target)?, target))
    };
    let mut at = offset;
    while at < end {
        let n = (end - at).min(RANGE_PIECE) as usize;
        let bytes = tgbox.read_range(view.id, at, n).await?;
        if bytes.is_empty() {
            break;
        }
        at += bytes.len() as u64;
        match &mut pending {
            Some((p, _)) => p
                .file()
                .write_all(&bytes)
                .context("cannot write the range")?,
            None => {
                let mut stdout = std::io::stdout().lock();
                if let Err(e) = stdout.write_all(&bytes) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Err(out::StdoutClosed.into());
                    }
                    return Err(e).context("cannot write to stdout");
                }
            }
        }
    }
    match pending {
        Some((p, target)) => {
            p.commit()?;
            out::line(format!("{:>7}  {}", view.id, target.display()))
        }
        None => out::flush(),
    }
}

async fn remove(ctx: &Ctx, tgbox: &TgBox, a: RemoveArgs) -> Result<()> {
    let mut views = Vec::with_capacity(a.ids.len());
    for &id in &a.ids {
        views.push(FileView::from(&tgbox.file(id).await?));
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::NotConfirmed(
                "removing files cannot be undone: give --yes to confirm".into(),
            )
            .into());
        }
        for v in &views {
            eprintln!("{}", v.line());
        }
        eprint!("Remove these {} file(s) from the box? [y/N] ", views.len());
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .context("cannot read the confirmation")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(CliError::NotConfirmed("not confirmed; nothing was removed".into()).into());
        }
    }
    let n = tgbox.delete(&a.ids).await?;
    ctx.note(format!("removed {n} file(s)"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside() {
        assert_eq!(safe_name("a.txt", 1), "a.txt");
        assert_eq!(safe_name("../../etc/passwd", 1), ".._.._etc_passwd");
        assert_eq!(safe_name("..", 7), "file-7");
        assert_eq!(safe_name(".", 7), "file-7");
        assert_eq!(safe_name("", 7), "file-7");
        assert_eq!(safe_name("a\0b\\c\nd", 1), "a_b_c_d");
        assert_eq!(safe_name("/abs", 1), "_abs");
        let long = "é".repeat(200);
        let s = safe_name(&long, 1);
        assert!(s.len() <= 255 && long.starts_with(&s));
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0-99").unwrap(), (0, Some(100)));
        assert_eq!(parse_range("5-").unwrap(), (5, None));
        assert_eq!(parse_range("7-7").unwrap(), (7, Some(1)));
        for bad in ["", "-", "a-b", "9-3", "1", "-5", "1-2-3"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placements_stay_inside() {
        let view = |path: &str, name: &str| FileView {
            id: 9,
            name: name.into(),
            path: Some(path.into()),
            size: 0,
            mime: String::new(),
            tags: Default::default(),
            uploaded_at: String::new(),
        };
        let p = |v: &FileView, base, tree| {
            let (d, n) = placement(v, base, tree);
            (d.to_string_lossy().into_owned(), n)
        };
        assert_eq!(p(&view("/a/b", "f"), None, false), ("".into(), "f".into()));
        assert_eq!(
            p(&view("/a/b", "f"), None, true),
            ("a/b".into(), "f".into())
        );
        assert_eq!(
            p(&view("/a/b", "f"), Some("/a"), true),
            ("b".into(), "f".into())
        );
        assert_eq!(
            p(&view("/../../etc", ".."), None, true),
            ("file-9/file-9/etc".into(), "file-9".into())
        );
        assert_eq!(
            p(&view("C:\\x\\y", "f"), None, true),
            ("C:/x/y".into(), "f".into())
        );
    }

    #[test]
    fn joins() {
        assert_eq!(box_join("/", "a"), "/a");
        assert_eq!(box_join("/x", "a"), "/x/a");
    }
}
