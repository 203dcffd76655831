//! `tgbox box check [--deep]`: proves a box whole. The LocalBox is compared with the channel
//! message by message; what differs is repaired by a deep sync (unless `--no-repair`) and
//! checked again; `--deep` then reads every file back and verifies its tag without writing
//! plaintext anywhere. The exit code is 0 only for a whole box.

use anyhow::Result;
use serde_json::json;
use std::sync::Arc;

use crate::context::Ctx;
use crate::failure::CliError;
use crate::out;
use crate::progress::{Bar, Unit};

pub async fn run(
    ctx: &Ctx,
    name: Option<String>,
    deep: bool,
    repair: bool,
    json: bool,
) -> Result<()> {
    let opened = match &name {
        Some(n) => ctx.open_named(n).await?,
        None => ctx.open_current().await?,
    };
    let tgbox = &opened.tgbox;
    let bar = Bar::new(ctx.quiet(), "checking", Unit::Items);
    let mut report = tgbox.check(&bar).await?;
    bar.finish();
    let mut repaired = None;
    if repair && report.repairable() {
        let bar = Bar::new(ctx.quiet(), "repairing (deep sync)", Unit::Items);
        let sync = tgbox.sync_deep(&bar).await?;
        bar.finish();
        repaired = Some(sync);
        let bar = Bar::new(ctx.quiet(), "checking again", Unit::Items);
        report = tgbox.check(&bar).await?;
        bar.finish();
    }
    let mut verified = 0usize;
    let mut failed: Vec<(i64, String)> = Vec::new();
    if deep {
        let files = tgbox.search(&tgbox::SearchFilter::default()).await?;
        let total: u64 = files.iter().map(|f| f.size).sum();
        let bar = Arc::new(Bar::new(ctx.quiet(), "verifying", Unit::Bytes));
        let mut done = 0u64;
        for f in &files {
            let offset = Arc::new(Offset {
                base: done,
                total,
                outer: bar.clone(),
            });
            match tgbox.verify(f.id, offset).await {
                Ok(_) => verified += 1,
                Err(e) => failed.push((f.id, e.to_string())),
            }
            done += f.size;
        }
        bar.finish();
    }
    let whole = report.is_whole() && failed.is_empty();

    if json {
        out::json(&json!({
            "box": opened.name,
            "files": report.files,
            "repaired": repaired.as_ref().map(|r| json!({
                "added": r.added, "updated": r.updated, "removed": r.removed,
            })),
            "missing_in_channel": report.missing_in_channel,
            "changed_in_channel": report.changed_in_channel,
            "not_recorded": report.not_recorded,
            "unreadable_in_channel": report.unreadable_in_channel,
            "unreadable_rows": report.unreadable_rows,
            "pending_uploads": report.pending_uploads,
            "foreign": report.foreign,
            "deep": deep,
            "verified": verified,
            "failed": failed.iter().map(|(id, e)| json!({"id": id, "error": e})).collect::<Vec<_>>(),
            "whole": whole,
        }))?;
    } else {
        out::line(format!("box {}: {} file(s)", opened.name, report.files))?;
        if let Some(r) = &repaired {
            out::line(format!(
                "  repaired by a deep sync: {} added, {} updated, {} removed",
                r.added.len(),
                r.updated.len(),
                r.removed.len()
            ))?;
        }
        let list = |what: &str, ids: &[i64]| -> Result<()> {
            if !ids.is_empty() {
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                out::line(format!("  {what}: {}", ids.join(", ")))?;
            }
            Ok(())
        };
        list("gone from the channel", &report.missing_in_channel)?;
        list("changed in the channel", &report.changed_in_channel)?;
        list("in the channel, not in the LocalBox", &report.not_recorded)?;
        list(
            "in the channel, not opened by this box's keys",
            &report.unreadable_in_channel,
        )?;
        list(
            "LocalBox rows this box's keys do not open",
            &report.unreadable_rows,
        )?;
        if report.pending_uploads > 0 {
            out::line(format!(
                "  {} upload(s) cut short: `tgbox file upload --resume` finishes them",
                report.pending_uploads
            ))?;
        }
        if report.foreign > 0 {
            out::line(format!(
                "  {} other document(s) in the channel (not this box's files)",
                report.foreign
            ))?;
        }
        if deep {
            out::line(format!(
                "  verified: {verified} file(s) read back, every tag checked"
            ))?;
            for (id, e) in &failed {
                out::line(format!("  FAILED file {id}: {e}"))?;
            }
        }
        out::line(if whole { "whole" } else { "NOT whole" })?;
    }
    if !whole {
        return Err(CliError::Integrity(format!("box {} is not whole", opened.name)).into());
    }
    Ok(())
}

/// One file's bytes as part of the whole run's progress.
struct Offset {
    base: u64,
    total: u64,
    outer: Arc<Bar>,
}

impl tgbox::Progress for Offset {
    fn update(&self, done: u64, _: Option<u64>) {
        self.outer.update(self.base + done, Some(self.total));
    }
}
