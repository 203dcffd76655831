//! The conformance suite every [`Channel`] backend must pass.
//!
//! Each check is a public async function over a [`ChannelFactory`] that makes fresh, empty
//! channels; [`channel_conformance_tests!`](crate::channel_conformance_tests) expands to one
//! `#[test]` per check, so a backend crate (e.g. `tgbox-telegram`) runs the whole suite with one
//! line:
//!
//! ```ignore
//! tgbox::channel_conformance_tests!(MyFactory::new());
//! ```
//!
//! The checks assert the contract written on the trait and spec/local-channel.md: ids, dates,
//! limits with Telegram's error names, document replacement and `FILE_REFERENCE_EXPIRED`,
//! deletion gaps, paging, the change feed, concurrency and cancellation. A failed check panics
//! with what it expected; the functions are for tests, not for production paths.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncRead, ReadBuf};

use super::Channel;
use super::error::{ErrorKind, Result};
use super::limits::utf16_len;
pub use super::paging::{all_events, all_messages};
use super::types::{EventAction, EventFilter, EventId, Message, Photo, Upload, UploadToken};

/// Makes fresh channels for the suite.
#[async_trait]
pub trait ChannelFactory: Send + Sync {
    /// The backend under test.
    type Channel: Channel + 'static;

    /// A new, empty channel titled `title` with an empty description.
    ///
    /// # Errors
    /// Whatever creating a channel can fail with.
    async fn fresh(&self, title: &str) -> Result<Self::Channel>;
}

/// Runs a check on a fresh multi-threaded tokio runtime (used by the generated tests, so a
/// backend crate needs no test runtime of its own).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("building a tokio runtime for the conformance suite")
        .block_on(future)
}

/// Expands to one `#[test]` per conformance check, each on a fresh channel made by
/// `$factory` (an expression of a type implementing [`ChannelFactory`]).
#[macro_export]
macro_rules! channel_conformance_tests {
    ($factory:expr) => {
        $crate::channel_conformance_tests!(@each $factory;
            header_and_capabilities, title_and_about, photo, post_and_read_ranges,
            refused_documents_leave_nothing, caption_limits, edit_caption, replace_document,
            delete_leaves_gaps, paging_and_lookup, event_feed, concurrent_posts,
            cancelled_post_leaves_nothing, multi_chunk_document, upload_in_parts);
    };
    (@each $factory:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                $crate::channel::conformance::block_on(
                    $crate::channel::conformance::$check(&$factory),
                );
            }
        )*
    };
}

/// Deterministic bytes for document `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn upload(seed: u64, len: usize) -> Upload {
    Upload::from_bytes(
        format!("doc-{seed}"),
        "application/octet-stream",
        pattern(seed, len),
    )
}

async fn fresh<F: ChannelFactory>(f: &F, what: &str) -> F::Channel {
    f.fresh(&format!("TGBOX[01]: conformance {what}"))
        .await
        .expect("creating a fresh channel")
}

fn expect_kind<T: std::fmt::Debug>(r: Result<T>, kind: ErrorKind, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: expected {}, got {e}", kind.code()),
        Ok(v) => panic!("{what}: expected {}, got Ok({v:?})", kind.code()),
    }
}

/// Reads a whole document through `read_max`-sized requests.
pub async fn read_all<C: Channel + ?Sized>(ch: &C, msg: &Message) -> Result<Vec<u8>> {
    let doc = msg.document.as_ref().expect("a message with a document");
    let step = ch.capabilities().await?.read_max;
    let mut out = Vec::with_capacity(doc.size as usize);
    while (out.len() as u64) < doc.size {
        let chunk = ch
            .read_document(msg.id, doc.id, out.len() as u64, step)
            .await?;
        assert!(
            !chunk.is_empty(),
            "read_document returned nothing before the end of the document"
        );
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn last_event_id<C: Channel + ?Sized>(ch: &C) -> EventId {
    all_events(ch, 0, EventFilter::ALL)
        .await
        .expect("reading events")
        .last()
        .map_or(0, |e| e.id)
}

/// The header reads back as created; capabilities report Telegram's limits.
pub async fn header_and_capabilities<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "header").await;
    let h = ch.header().await.unwrap();
    assert_eq!(h.title, "TGBOX[01]: conformance header");
    assert_eq!(h.about, "");
    assert!(h.id > 0);
    let caps = ch.capabilities().await.unwrap();
    let l = caps.limits;
    assert_eq!(l.premium, h.premium);
    assert_eq!((l.title_max, l.about_max), (128, 255));
    if l.premium {
        assert_eq!((l.caption_max, l.document_max), (2048, 4000 * 1024 * 1024));
    } else {
        assert_eq!((l.caption_max, l.document_max), (1024, 2000 * 1024 * 1024));
    }
    assert!(caps.read_max >= 4096);
}

/// Title and description edits: limits, not-modified errors, the values read back.
pub async fn title_and_about<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "title").await;
    ch.set_title("TGBOX[01]: renamed").await.unwrap();
    assert_eq!(ch.header().await.unwrap().title, "TGBOX[01]: renamed");
    expect_kind(
        ch.set_title("TGBOX[01]: renamed").await,
        ErrorKind::TitleNotModified,
        "same title",
    );
    expect_kind(
        ch.set_title("   ").await,
        ErrorKind::TitleEmpty,
        "blank title",
    );
    expect_kind(
        ch.set_title(&"t".repeat(129)).await,
        ErrorKind::TitleTooLong,
        "129-unit title",
    );
    ch.set_title(&"é".repeat(128)).await.unwrap();
    let salt = "Te05H0skxd1xyHiDfKNIuIkxl5a1-fN7w3dKRyHrXpE=";
    ch.set_about(salt).await.unwrap();
    assert_eq!(ch.header().await.unwrap().about, salt);
    expect_kind(
        ch.set_about(salt).await,
        ErrorKind::AboutNotModified,
        "same about",
    );
    expect_kind(
        ch.set_about(&"😀".repeat(128)).await,
        ErrorKind::AboutTooLong,
        "256-unit about",
    );
    ch.set_about(&"a".repeat(255)).await.unwrap();
}

/// A photo can be set, read back and replaced.
pub async fn photo<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "photo").await;
    assert!(ch.photo().await.unwrap().is_none());
    let png = pattern(1, 3000);
    ch.set_photo(Photo {
        bytes: png.clone(),
        extension: "png".into(),
    })
    .await
    .unwrap();
    assert_eq!(ch.photo().await.unwrap().as_deref(), Some(&png[..]));
    assert!(ch.header().await.unwrap().has_photo);
    let jpg = pattern(2, 2000);
    ch.set_photo(Photo {
        bytes: jpg.clone(),
        extension: "jpg".into(),
    })
    .await
    .unwrap();
    assert_eq!(ch.photo().await.unwrap().as_deref(), Some(&jpg[..]));
    expect_kind(
        ch.set_photo(Photo {
            bytes: Vec::new(),
            extension: "png".into(),
        })
        .await,
        ErrorKind::FilePartsInvalid,
        "empty photo",
    );
}

/// Posting returns growing ids and the post date; any byte range reads back exactly.
pub async fn post_and_read_ranges<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "post").await;
    let before = chrono_now();
    let a = ch.post_document(upload(1, 5000), "").await.unwrap();
    let b = ch.post_document(upload(2, 1), "caption b").await.unwrap();
    assert!(b.id > a.id && a.id > 0);
    assert!(
        a.date >= before - 5 && a.date <= chrono_now() + 5,
        "date is the post time"
    );
    assert_eq!(a.edit_date, None);
    assert_eq!(b.caption, "caption b");
    assert!(a.forwarded_from.is_none());
    let doc = a.document.clone().unwrap();
    assert_eq!(
        (doc.name.as_str(), doc.size, doc.mime.as_str()),
        ("doc-1", 5000, "application/octet-stream")
    );
    let want = pattern(1, 5000);
    for (off, len) in [
        (0u64, 5000usize),
        (0, 1),
        (1, 4096),
        (4095, 2),
        (4999, 10),
        (1234, 0),
    ] {
        let got = ch.read_document(a.id, doc.id, off, len).await.unwrap();
        let end = (off as usize + len).min(5000);
        assert_eq!(&got[..], &want[off as usize..end], "range {off}+{len}");
    }
    assert!(
        ch.read_document(a.id, doc.id, 5000, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        ch.read_document(a.id, doc.id, 99_999, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let max = ch.capabilities().await.unwrap().read_max;
    expect_kind(
        ch.read_document(a.id, doc.id, 0, max + 1).await,
        ErrorKind::InvalidArgument,
        "oversized read",
    );
    let got = ch.get_messages(&[a.id]).await.unwrap();
    assert_eq!(got, vec![Some(a.clone())]);
    assert_eq!(read_all(&ch, &b).await.unwrap(), pattern(2, 1));
}

/// Empty, oversized and wrongly sized documents are refused and nothing becomes visible.
pub async fn refused_documents_leave_nothing<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "refused").await;
    let max = ch.capabilities().await.unwrap().limits.document_max;
    expect_kind(
        ch.post_document(upload(1, 0), "").await,
        ErrorKind::FilePartsInvalid,
        "empty document",
    );
    let never_read = Upload::new("big", "application/octet-stream", max + 1, Unreadable);
    expect_kind(
        ch.post_document(never_read, "").await,
        ErrorKind::FilePartsInvalid,
        "document over the limit",
    );
    let mut short = upload(3, 100);
    short.size = 101;
    expect_kind(
        ch.post_document(short, "").await,
        ErrorKind::FilePartsInvalid,
        "body shorter than declared",
    );
    let mut long = upload(4, 100);
    long.size = 99;
    expect_kind(
        ch.post_document(long, "").await,
        ErrorKind::FilePartsInvalid,
        "body longer than declared",
    );
    assert!(
        all_messages(&ch).await.unwrap().is_empty(),
        "a refused post must leave no message"
    );
    let ok = ch.post_document(upload(5, 10), "").await.unwrap();
    assert_eq!(read_all(&ch, &ok).await.unwrap(), pattern(5, 10));
}

/// Captions: the limit in UTF-16 units, exactly at and one past it.
pub async fn caption_limits<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "captions").await;
    let max = ch.capabilities().await.unwrap().limits.caption_max;
    let at = "a".repeat(max);
    let m = ch.post_document(upload(1, 10), &at).await.unwrap();
    assert_eq!(m.caption, at);
    expect_kind(
        ch.post_document(upload(2, 10), &"a".repeat(max + 1)).await,
        ErrorKind::CaptionTooLong,
        "caption one past the limit",
    );
    let emoji = "😀".repeat(max / 2 + 1);
    assert!(utf16_len(&emoji) > max && emoji.chars().count() <= max);
    expect_kind(
        ch.post_document(upload(3, 10), &emoji).await,
        ErrorKind::CaptionTooLong,
        "caption in UTF-16 units",
    );
    expect_kind(
        ch.edit_caption(m.id, &"b".repeat(max + 1)).await,
        ErrorKind::CaptionTooLong,
        "edit over the limit",
    );
    assert_eq!(all_messages(&ch).await.unwrap().len(), 1);
}

/// Caption edits keep id, date and document; set `edit_date`; refuse no-ops and unknown ids.
pub async fn edit_caption<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "edit").await;
    let m = ch.post_document(upload(1, 100), "").await.unwrap();
    let e = ch
        .edit_caption(m.id, "2W5IXZmHDgUEbDsbx-xcj6KyrZQ3FnYeEicurhv9yjVw")
        .await
        .unwrap();
    assert_eq!((e.id, e.date, &e.document), (m.id, m.date, &m.document));
    assert_eq!(e.caption, "2W5IXZmHDgUEbDsbx-xcj6KyrZQ3FnYeEicurhv9yjVw");
    assert!(e.edit_date.is_some_and(|d| d >= m.date));
    assert_eq!(
        ch.get_messages(&[m.id]).await.unwrap()[0].as_ref(),
        Some(&e)
    );
    expect_kind(
        ch.edit_caption(m.id, &e.caption).await,
        ErrorKind::MessageNotModified,
        "unchanged caption",
    );
    expect_kind(
        ch.edit_caption(m.id + 1000, "x").await,
        ErrorKind::MessageIdInvalid,
        "unknown message",
    );
    // Markup is never parsed: the caption comes back byte for byte.
    let raw = "**not bold** _x_ <b>y</b> [z](http://e)";
    assert_eq!(ch.edit_caption(m.id, raw).await.unwrap().caption, raw);
    let doc = m.document.unwrap();
    assert_eq!(
        ch.read_document(m.id, doc.id, 0, 100)
            .await
            .unwrap()
            .to_vec(),
        pattern(1, 100)
    );
    ch.edit_caption(m.id, "").await.unwrap();
}

/// Replacing a document keeps id and date, gives a new document id, and expires the old one.
pub async fn replace_document<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "replace").await;
    let m = ch.post_document(upload(1, 300), "keep").await.unwrap();
    let old = m.document.clone().unwrap();
    let r = ch
        .replace_document(m.id, upload(2, 700), None)
        .await
        .unwrap();
    let new = r.document.clone().unwrap();
    assert_eq!((r.id, r.date, r.caption.as_str()), (m.id, m.date, "keep"));
    assert_ne!(new.id, old.id);
    assert_eq!((new.size, new.name.as_str()), (700, "doc-2"));
    assert!(r.edit_date.is_some());
    assert_eq!(read_all(&ch, &r).await.unwrap(), pattern(2, 700));
    expect_kind(
        ch.read_document(m.id, old.id, 0, 10).await,
        ErrorKind::FileReferenceExpired,
        "old document",
    );
    let r2 = ch
        .replace_document(m.id, upload(3, 5), Some("new caption"))
        .await
        .unwrap();
    assert_eq!(r2.caption, "new caption");
    assert_eq!(read_all(&ch, &r2).await.unwrap(), pattern(3, 5));
    expect_kind(
        ch.replace_document(m.id + 1000, upload(4, 5), None).await,
        ErrorKind::MessageIdInvalid,
        "unknown",
    );
    expect_kind(
        ch.replace_document(m.id, upload(5, 0), None).await,
        ErrorKind::FilePartsInvalid,
        "empty",
    );
    assert_eq!(all_messages(&ch).await.unwrap(), vec![r2]);
}

/// Deleting returns the count, skips missing ids, leaves a gap that is never refilled.
pub async fn delete_leaves_gaps<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "delete").await;
    let a = ch.post_document(upload(1, 10), "").await.unwrap();
    let b = ch.post_document(upload(2, 10), "").await.unwrap();
    let c = ch.post_document(upload(3, 10), "").await.unwrap();
    assert_eq!(ch.delete_messages(&[b.id, b.id + 1000]).await.unwrap(), 1);
    assert_eq!(ch.delete_messages(&[b.id]).await.unwrap(), 0);
    let ids: Vec<_> = all_messages(&ch)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec![a.id, c.id]);
    let bdoc = b.document.unwrap();
    expect_kind(
        ch.read_document(b.id, bdoc.id, 0, 10).await,
        ErrorKind::FileReferenceExpired,
        "deleted document",
    );
    assert_eq!(
        ch.get_messages(&[a.id, b.id, c.id])
            .await
            .unwrap()
            .iter()
            .filter(|m| m.is_some())
            .count(),
        2
    );
    assert_eq!(ch.delete_messages(&[c.id]).await.unwrap(), 1);
    let d = ch.post_document(upload(4, 10), "").await.unwrap();
    assert!(d.id > c.id, "a deleted id is never handed out again");
    expect_kind(
        ch.edit_caption(b.id, "x").await,
        ErrorKind::MessageIdInvalid,
        "edit of a deleted message",
    );
}

/// Listing pages ascend by id; lookups by id keep the caller's order.
pub async fn paging_and_lookup<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "paging").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(ch.post_document(upload(i, 3), "").await.unwrap().id);
    }
    let page = ch.list_messages(0, 3).await.unwrap();
    assert!(!page.is_empty() && page.len() <= 3);
    assert!(page.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(page[0].id, ids[0]);
    let rest = ch.list_messages(ids[4], 100).await.unwrap();
    assert_eq!(
        rest.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids[5..].to_vec()
    );
    assert!(ch.list_messages(ids[6], 10).await.unwrap().is_empty());
    let all = all_messages(&ch).await.unwrap();
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    let got = ch
        .get_messages(&[ids[3], ids[6] + 50, ids[0]])
        .await
        .unwrap();
    assert_eq!(
        got.iter()
            .map(|m| m.as_ref().map(|m| m.id))
            .collect::<Vec<_>>(),
        vec![Some(ids[3]), None, Some(ids[0])]
    );
    assert!(ch.get_messages(&[]).await.unwrap().is_empty());
}

/// The feed records posts, edits, replacements, deletions and header edits in order, and
/// honours the filter.
pub async fn event_feed<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "events").await;
    let start = last_event_id(&ch).await;
    let m = ch.post_document(upload(1, 10), "").await.unwrap();
    let e = ch.edit_caption(m.id, "c").await.unwrap();
    let r = ch
        .replace_document(m.id, upload(2, 20), None)
        .await
        .unwrap();
    ch.set_about("salt").await.unwrap();
    ch.delete_messages(&[m.id]).await.unwrap();
    let all = all_events(&ch, start, EventFilter::ALL).await.unwrap();
    assert!(
        all.windows(2).all(|w| w[0].id < w[1].id),
        "event ids strictly increase"
    );
    let kinds: Vec<_> = all.iter().map(|e| &e.action).collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert!(matches!(kinds[0], EventAction::NewMessage { message } if *message == m));
    assert!(
        matches!(kinds[1], EventAction::EditMessage { message, prev } if *message == e && *prev == m)
    );
    assert!(
        matches!(kinds[2], EventAction::EditMessage { message, prev } if *message == r && *prev == e)
    );
    assert!(
        matches!(kinds[3], EventAction::EditAbout { about, prev } if about == "salt" && prev.is_empty())
    );
    assert!(matches!(kinds[4], EventAction::DeleteMessage { message } if *message == r));
    let fast = all_events(&ch, start, EventFilter::FAST_SYNC)
        .await
        .unwrap();
    assert_eq!(
        fast.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all[1].id, all[2].id, all[4].id]
    );
    let later = all_events(&ch, all[2].id, EventFilter::ALL).await.unwrap();
    assert_eq!(later.len(), 2);
    let one = ch.events(start, EventFilter::ALL, 1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, all[0].id);
}

/// Posts from several tasks at once all land, with distinct ids and intact bytes.
pub async fn concurrent_posts<F: ChannelFactory>(f: &F) {
    let ch = std::sync::Arc::new(fresh(f, "concurrent").await);
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let ch = ch.clone();
        tasks.push(tokio::spawn(async move {
            ch.post_document(upload(100 + i, 1000 + i as usize), "")
                .await
        }));
    }
    let mut posted = Vec::new();
    for t in tasks {
        posted.push(t.await.expect("task").expect("concurrent post"));
    }
    let mut ids: Vec<_> = posted.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8, "every post gets its own id");
    for m in &posted {
        let seed: u64 = m
            .document
            .as_ref()
            .unwrap()
            .name
            .trim_start_matches("doc-")
            .parse()
            .unwrap();
        assert_eq!(
            read_all(ch.as_ref(), m).await.unwrap(),
            pattern(seed, 1000 + (seed - 100) as usize)
        );
    }
    assert_eq!(all_messages(ch.as_ref()).await.unwrap().len(), 8);
}

/// A post dropped while its body is still streaming leaves no message; the next post works.
pub async fn cancelled_post_leaves_nothing<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "cancel").await;
    let stalled = Upload::new(
        "stalled",
        "application/octet-stream",
        2 << 20,
        Stalling { left: 1 << 20 },
    );
    let r = tokio::time::timeout(Duration::from_millis(300), ch.post_document(stalled, "")).await;
    assert!(r.is_err(), "a body that never ends cannot finish a post");
    assert!(all_messages(&ch).await.unwrap().is_empty());
    let m = ch.post_document(upload(9, 50), "").await.unwrap();
    assert_eq!(read_all(&ch, &m).await.unwrap(), pattern(9, 50));
}

/// A document of several read requests reads back whole.
pub async fn multi_chunk_document<F: ChannelFactory>(f: &F) {
    let ch = fresh(f, "chunks").await;
    let len = 3 * 1024 * 1024 + 12_345;
    let m = ch.post_document(upload(42, len), "").await.unwrap();
    assert_eq!(m.document.as_ref().unwrap().size, len as u64);
    assert!(
        read_all(&ch, &m).await.unwrap() == pattern(42, len),
        "document bytes differ"
    );
}

/// Uploads in parts: any order, re-sent parts, wrong sizes and missing parts refused, the
/// token used up by the commit.
pub async fn upload_in_parts<F: ChannelFactory>(f: &F) {
    use super::types::{PART_SIZE, part_count, part_len};
    let ch = fresh(f, "parts").await;
    let size = 2 * PART_SIZE as u64 + 1234;
    let data = pattern(77, size as usize);
    let part = |i: u32| {
        let start = i as usize * PART_SIZE;
        bytes::Bytes::copy_from_slice(&data[start..start + part_len(size, i).unwrap()])
    };
    expect_kind(
        ch.begin_upload(0).await,
        ErrorKind::FilePartsInvalid,
        "empty upload",
    );
    let max = ch.capabilities().await.unwrap().limits.document_max;
    expect_kind(
        ch.begin_upload(max + 1).await,
        ErrorKind::FilePartsInvalid,
        "upload over the limit",
    );
    let token = ch.begin_upload(size).await.unwrap();
    assert_eq!(part_count(size), 3);
    ch.upload_part(&token, 2, part(2)).await.unwrap();
    ch.upload_part(&token, 0, part(0)).await.unwrap();
    expect_kind(
        ch.upload_part(&token, 1, part(0).slice(..100)).await,
        ErrorKind::FilePartsInvalid,
        "short part",
    );
    expect_kind(
        ch.upload_part(&token, 3, part(2)).await,
        ErrorKind::FilePartsInvalid,
        "part past the end",
    );
    expect_kind(
        ch.commit_upload(&token, "n", "m", "").await,
        ErrorKind::FilePartsInvalid,
        "a missing part",
    );
    assert!(
        all_messages(&ch).await.unwrap().is_empty(),
        "nothing is posted before every part is there"
    );
    ch.upload_part(&token, 1, part(1)).await.unwrap();
    ch.upload_part(&token, 1, part(1)).await.unwrap();
    let max_caption = ch.capabilities().await.unwrap().limits.caption_max;
    expect_kind(
        ch.commit_upload(&token, "n", "m", &"c".repeat(max_caption + 1))
            .await,
        ErrorKind::CaptionTooLong,
        "caption",
    );
    let m = ch
        .commit_upload(&token, "parts.bin", "application/octet-stream", "cap")
        .await
        .unwrap();
    assert_eq!(m.caption, "cap");
    assert_eq!(
        m.document.as_ref().map(|d| (d.name.as_str(), d.size)),
        Some(("parts.bin", size))
    );
    assert!(
        read_all(&ch, &m).await.unwrap() == data,
        "the parts joined in order"
    );
    expect_kind(
        ch.commit_upload(&token, "n", "m", "").await,
        ErrorKind::FilePartsInvalid,
        "a used token",
    );
    expect_kind(
        ch.upload_part(&UploadToken("../../etc".into()), 0, part(0))
            .await,
        ErrorKind::FilePartsInvalid,
        "an unknown token",
    );
}

fn chrono_now() -> i64 {
    super::stamps::now_unix()
}

/// A body that fails the test if anything reads it.
struct Unreadable;

impl AsyncRead for Unreadable {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::Error::other(
            "the backend read a body it should have refused unread",
        )))
    }
}

/// A body that yields `left` zero bytes and then never anything again.
struct Stalling {
    left: usize,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            return Poll::Pending;
        }
        let n = self.left.min(buf.remaining());
        buf.put_slice(&vec![0u8; n]);
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}
