//! The page reader over HTTP: a loopback server serves the sample pages at `/s/<KeyID>` —
//! found (two backups: the newest wins), a page with no backup, a missing page, a server
//! that fails once, and one that never answers (the timeout ends it).

use crate::common::{key, page, vectors};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgback::provider::{Provider, TelegramPreview, open_from};
use tgback::{Error, KeyId};

/// What the server answers for a path: (status, body); `None` status: never answer.
type Routes = HashMap<String, Vec<(Option<u16>, String)>>;

/// Serves `routes` (each path's answers in turn, the last one repeated); returns the base URL
/// and the count of requests seen, with their User-Agent headers.
fn serve(routes: Routes) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let agents = Arc::new(Mutex::new(Vec::new()));
    let (h, a) = (hits.clone(), agents.clone());
    let routes = Arc::new(Mutex::new(routes));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (h, a, routes) = (h.clone(), a.clone(), routes.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some(ua) = header.to_ascii_lowercase().strip_prefix("user-agent: ") {
                        a.lock().unwrap().push(ua.trim().to_owned());
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let answer = {
                    let mut r = routes.lock().unwrap();
                    match r.get_mut(&path) {
                        Some(list) if list.len() > 1 => Some(list.remove(0)),
                        Some(list) => Some(list[0].clone()),
                        None => None,
                    }
                };
                let (status, body) = answer.unwrap_or((Some(404), "not found".into()));
                let Some(status) = status else {
                    std::thread::sleep(Duration::from_secs(30));
                    return;
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (base, hits, agents)
}

#[test]
fn found_not_found_missing_and_retried() {
    let v = vectors();
    let h = &v["html_sample"];
    let key = key(v["backup_cheap"]["scrypt_key_hex"].as_str().unwrap());
    let notfound = KeyId::parse(h["notfound_keyid"].as_str().unwrap()).unwrap();
    let missing = tgback::BackupKey::from_bytes(vec![9; 32]).key_id();
    let flaky = tgback::BackupKey::from_bytes(vec![8; 32]).key_id();
    let sample = page(h["file"].as_str().unwrap());
    let mut routes = Routes::new();
    routes.insert(
        h["served_at_path"].as_str().unwrap().into(),
        vec![(Some(200), sample.clone())],
    );
    routes.insert(
        format!("/s/{notfound}"),
        vec![(Some(200), page(h["notfound_file"].as_str().unwrap()))],
    );
    routes.insert(
        format!("/s/{flaky}"),
        vec![(Some(503), "busy".into()), (Some(200), sample.clone())],
    );
    let (base, hits, agents) = serve(routes);
    let preview = TelegramPreview::with_base(&base).with_limits(Duration::from_secs(5), 3);

    // Found: two backups on the page, the newest is the one opened.
    let (backup, skipped) = open_from(&preview, &key).unwrap();
    assert_eq!(*backup.session, h["expected_session"].as_str().unwrap());
    assert_eq!(skipped, 0);
    assert_eq!(preview.fetch(&key.key_id()).unwrap().len(), 2);
    assert!(
        agents
            .lock()
            .unwrap()
            .iter()
            .all(|a| a == &tgback::provider::USER_AGENT.to_ascii_lowercase())
    );

    // A page without backups, and no page at all.
    assert!(matches!(preview.fetch(&notfound), Err(Error::NotFound(_))));
    assert!(matches!(preview.fetch(&missing), Err(Error::NotFound(_))));

    // A 503 is retried; the page found on the second try.
    let before = hits.load(Ordering::SeqCst);
    assert_eq!(preview.fetch(&flaky).unwrap().len(), 2);
    assert_eq!(hits.load(Ordering::SeqCst) - before, 2);

    // Storing and destroying need the Telegram backend: said so, nothing pretended.
    assert!(matches!(
        preview.store(&missing, "x"),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        preview.destroy(&missing),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn a_silent_server_times_out_and_an_unreachable_one_is_a_network_error() {
    let silent = tgback::BackupKey::from_bytes(vec![7; 32]).key_id();
    let mut routes = Routes::new();
    routes.insert(format!("/s/{silent}"), vec![(None, String::new())]);
    let (base, _, _) = serve(routes);
    let preview = TelegramPreview::with_base(&base).with_limits(Duration::from_millis(300), 1);
    let started = std::time::Instant::now();
    assert!(matches!(preview.fetch(&silent), Err(Error::Network(_))));
    assert!(started.elapsed() < Duration::from_secs(10));

    // Nothing listens here.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let preview =
        TelegramPreview::with_base(format!("http://{addr}")).with_limits(Duration::from_secs(2), 2);
    assert!(matches!(preview.fetch(&silent), Err(Error::Network(_))));
}
