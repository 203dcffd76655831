//! One account's connections to Telegram: timeouts, rate limits, reconnection, other DCs.
//!
//! grammers has no request timeouts and its pool runner can stall while a connection is being
//! made (notes/grammers.md §7), so every request here runs under a timeout, and a link that
//! timed out is torn down and rebuilt (its runner task aborted) rather than trusted again.
//! grammers' own retries are off ([`NoRetries`]): a blind re-send could duplicate a channel or
//! a message, and retrying is the library's job (tgbox `retry.rs`), driven by the channel
//! error kinds. What stays here is what the transport needs:
//! - a per-method flood gate for the whole account: after `FLOOD_WAIT_X` on a method, every
//!   request of that method waits until the X seconds are over instead of hitting the limit
//!   again (spec/tgbox-boxes.md §3.11 lists this as missing in the reference);
//! - several links (separate TCP connections reusing the auth key, as Telegram's own apps do
//!   for media) for parallel transfers (spec/tgbox-boxes.md §3.5 "fastelethon");
//! - exported authorization for files on other DCs (`auth.exportAuthorization` /
//!   `auth.importAuthorization`, §3.8), which raw `upload.getFile` does not get from grammers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool, SenderPoolHandle};
use grammers_session::Session;
use grammers_tl_types as tl;
use tl::RemoteCall;
use tokio::task::AbortHandle;

use crate::error::Failure;
use crate::session::AccountSession;

/// How a connection to Telegram is made.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The application's api_id (my.telegram.org).
    pub api_id: i32,
    /// How long one request may take before it is abandoned and its link rebuilt. Sized for
    /// a 512 KiB part on a slow line.
    pub timeout: Duration,
    /// Links used for transfers (each a TCP connection to the DC). The reference opens up to
    /// 20; 4 keeps a free account clear of flood limits while filling most lines.
    pub links: usize,
    /// Device model shown in the account's list of sessions.
    pub device_model: String,
    /// Application version shown there.
    pub app_version: String,
}

impl ConnectOptions {
    /// The defaults for `api_id`: 60 s per request, 4 links.
    pub fn new(api_id: i32) -> Self {
        ConnectOptions {
            api_id,
            timeout: Duration::from_secs(60),
            links: 4,
            device_model: "tgbox".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

struct Link {
    handle: SenderPoolHandle,
    runner: AbortHandle,
    generation: u64,
}

/// Which link a request goes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    /// The first link: everything but bulk transfer.
    Main,
    /// Any link, round robin: upload parts and ranged reads.
    Transfer,
}

/// An account's connections: shared by every channel of that account.
pub struct Connection {
    session: Arc<AccountSession>,
    opts: ConnectOptions,
    links: Vec<Mutex<Link>>,
    next: AtomicUsize,
    gates: Mutex<HashMap<&'static str, Instant>>,
    /// Imports done per DC: a request that failed before the latest import only retries.
    imports: tokio::sync::Mutex<HashMap<i32, u64>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("api_id", &self.opts.api_id)
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        for link in &self.links {
            if let Ok(l) = link.lock() {
                l.runner.abort();
            }
        }
    }
}

impl Connection {
    /// Connections for `session` (made lazily, on the first request). Must run inside a
    /// tokio runtime: the pool runners are spawned on it.
    pub fn new(session: Arc<AccountSession>, opts: ConnectOptions) -> Arc<Connection> {
        let n = opts.links.max(1);
        let links = (0..n)
            .map(|_| Mutex::new(spawn_link(&session, &opts, 0)))
            .collect();
        Arc::new(Connection {
            session,
            opts,
            links,
            next: AtomicUsize::new(1),
            gates: Mutex::new(HashMap::new()),
            imports: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The session these connections use (persist it after sign-in and key changes).
    pub fn session(&self) -> &Arc<AccountSession> {
        &self.session
    }

    /// The options these connections were made with.
    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// Drops every connection; the next request connects again.
    pub fn reconnect(&self) {
        for i in 0..self.links.len() {
            let generation = self.lock_link(i).generation;
            self.rebuild(i, generation);
        }
    }

    /// Sends `req` to the home DC.
    pub(crate) async fn invoke<R: RemoteCall + tl::Identifiable>(
        &self,
        lane: Lane,
        req: &R,
    ) -> Result<R::Return, Failure> {
        let dc = self
            .session
            .home_dc_id()
            .map_err(|e| Failure::Other(e.to_string()))?;
        self.invoke_in_dc(lane, dc, req).await
    }

    /// Sends `req` to DC `dc`, first importing the account's authorization there when that
    /// DC does not know the key yet (files on other DCs, spec/tgbox-boxes.md §3.8).
    pub(crate) async fn invoke_in_dc<R: RemoteCall + tl::Identifiable>(
        &self,
        lane: Lane,
        dc: i32,
        req: &R,
    ) -> Result<R::Return, Failure> {
        let home = self
            .session
            .home_dc_id()
            .map_err(|e| Failure::Other(e.to_string()))?;
        let seen = if dc == home {
            0
        } else {
            self.imports.lock().await.get(&dc).copied().unwrap_or(0)
        };
        match self.send(lane, dc, req).await {
            Err(f) if dc != home && f.is_unauthorized() => {
                self.authorize_dc(dc, seen).await?;
                self.send(lane, dc, req).await
            }
            other => other,
        }
    }

    /// Imports the account's authorization into DC `dc`, unless another request did so
    /// since `seen` (parallel reads all meet `AUTH_KEY_UNREGISTERED` at once).
    async fn authorize_dc(&self, dc: i32, seen: u64) -> Result<(), Failure> {
        let mut imports = self.imports.lock().await;
        let count = imports.get(&dc).copied().unwrap_or(0);
        if count != seen {
            return Ok(());
        }
        let home = self
            .session
            .home_dc_id()
            .map_err(|e| Failure::Other(e.to_string()))?;
        let tl::enums::auth::ExportedAuthorization::Authorization(exported) = self
            .send(
                Lane::Main,
                home,
                &tl::functions::auth::ExportAuthorization { dc_id: dc },
            )
            .await?;
        self.send(
            Lane::Main,
            dc,
            &tl::functions::auth::ImportAuthorization {
                id: exported.id,
                bytes: exported.bytes,
            },
        )
        .await?;
        imports.insert(dc, count + 1);
        tracing::debug!(dc, "imported the account's authorization");
        Ok(())
    }

    /// One request, one try: under the flood gate and the timeout.
    async fn send<R: RemoteCall + tl::Identifiable>(
        &self,
        lane: Lane,
        dc: i32,
        req: &R,
    ) -> Result<R::Return, Failure> {
        let method = tl::name_for_id(R::CONSTRUCTOR_ID);
        self.wait_gate(method).await;
        let i = match lane {
            Lane::Main => 0,
            Lane::Transfer => self.next.fetch_add(1, Ordering::Relaxed) % self.links.len(),
        };
        let (handle, generation) = {
            let mut l = self.lock_link(i);
            if l.runner.is_finished() {
                // The runner died (a panic in grammers ends it): start a fresh one.
                let g = l.generation + 1;
                l.runner.abort();
                *l = spawn_link(&self.session, &self.opts, g);
            }
            (l.handle.clone(), l.generation)
        };
        match tokio::time::timeout(self.opts.timeout, handle.invoke_in_dc(dc, req)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                let f = Failure::from_invocation(e);
                if let Some(wait) = f.flood_wait() {
                    self.close_gate(method, wait);
                    tracing::info!(method, secs = wait.as_secs(), "Telegram asks to wait");
                }
                Err(f)
            }
            Err(_) => {
                tracing::warn!(method, dc, "no answer in time; reconnecting");
                self.rebuild(i, generation);
                Err(Failure::Timeout(self.opts.timeout))
            }
        }
    }

    async fn wait_gate(&self, method: &'static str) {
        let until = self.gates.lock().ok().and_then(|g| g.get(method).copied());
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
    }

    fn close_gate(&self, method: &'static str, wait: Duration) {
        if let Ok(mut g) = self.gates.lock() {
            let until = Instant::now() + wait;
            let e = g.entry(method).or_insert(until);
            if *e < until {
                *e = until;
            }
        }
    }

    fn rebuild(&self, i: usize, generation: u64) {
        let mut l = self.lock_link(i);
        if l.generation == generation {
            l.runner.abort();
            *l = spawn_link(&self.session, &self.opts, generation + 1);
        }
    }

    fn lock_link(&self, i: usize) -> std::sync::MutexGuard<'_, Link> {
        // Replacing a Link is one assignment: a poisoned lock still holds a whole one.
        self.links[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn spawn_link(session: &Arc<AccountSession>, opts: &ConnectOptions, generation: u64) -> Link {
    let params = ConnectionParams {
        device_model: opts.device_model.clone(),
        app_version: opts.app_version.clone(),
        retry_policy: Box::new(NoRetries),
        ..Default::default()
    };
    let SenderPool {
        runner,
        handle,
        updates,
    } = SenderPool::with_configuration(Arc::clone(session), opts.api_id, params);
    // Updates are not used: dropping the receiver makes the runner discard them.
    drop(updates);
    let runner = tokio::spawn(runner.run()).abort_handle();
    Link {
        handle: handle.thin,
        runner,
        generation,
    }
}
